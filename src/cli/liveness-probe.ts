/**
 * What the container image's HEALTHCHECK asks: the daemon's `/livez`, on the address the daemon
 * listens on.
 */
import { parseListen } from '../listen-address.js';

/** The URL to probe for a `--listen` address; a wildcard host is reached over loopback. */
export function livezUrl(listen: string): string {
  const { host, port } = parseListen(listen);
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}/livez`;
}

/**
 * One bounded GET: ok only for a 200. The one-line verdict (control characters removed, at most
 * 200 characters of the body) ends up in `docker inspect`'s health log.
 */
export async function probeLiveness(url: string, timeoutMs: number): Promise<{ ok: boolean; line: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = (await response.text())
      .slice(0, 200)
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim();
    return { ok: response.status === 200, line: `${url}: ${response.status} ${body}` };
  } catch (error) {
    return { ok: false, line: `${url}: ${error instanceof Error ? error.message : String(error)}` };
  }
}
