/**
 * The one grammar of a Docker engine URL, used by validation (NodeEndpoint manifests, swarm
 * labels) and by the adapter that connects: what `validate` accepts is what `plan` can use.
 */
import { isHost } from './grammar.js';

export type DockerUrl =
  | { scheme: 'unix'; socketPath: string }
  | { scheme: 'tcp'; host: string; port: number | undefined }
  | { scheme: 'ssh'; host: string; port: number | undefined; user: string | undefined };

export type DockerUrlResult = { ok: true; url: DockerUrl } | { ok: false; reason: string };

const USAGE = 'use unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host[:port]';
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/;

/** Parses `text` as unix:///path, tcp://host[:port] or ssh://[user@]host[:port]. */
export function parseDockerUrl(text: string): DockerUrlResult {
  const scheme = /^(unix|tcp|ssh):\/\//.exec(text)?.[1];
  if (scheme === undefined) return fail('not a Docker engine URL');
  const rest = text.slice(scheme.length + 3);
  if (scheme === 'unix') {
    if (!/^\/[A-Za-z0-9._/@:+-]*$/.test(rest) || rest.endsWith('/')) {
      return fail('a unix:// URL needs an absolute socket path of plain characters');
    }
    return { ok: true, url: { scheme: 'unix', socketPath: rest } };
  }
  const authority = parseAuthority(scheme, rest);
  if ('reason' in authority) return fail(authority.reason);
  const { user, host, port } = authority;
  if (scheme === 'tcp') {
    return user === undefined
      ? { ok: true, url: { scheme: 'tcp', host, port } }
      : fail('a tcp:// URL takes no user');
  }
  if (user !== undefined && !USER.test(user)) return fail('the ssh user is not a plain user name');
  return { ok: true, url: { scheme: 'ssh', host, port, user } };
}

function fail(why: string): DockerUrlResult {
  return { ok: false, reason: `${why}; ${USAGE}` };
}

/** `[user@]host[:port][/]`, the host a name or an address (IPv6 in brackets). */
function parseAuthority(
  scheme: string,
  rest: string,
): { user: string | undefined; host: string; port: number | undefined } | { reason: string } {
  const match = /^(?:([^@/]*)@)?(\[[0-9A-Fa-f:.]+\]|[^:/[\]]+)(?::([0-9]{1,5}))?\/?$/.exec(rest);
  const [, user, rawHost = '', portText] = match ?? [];
  const host = rawHost.replace(/^\[|\]$/g, '');
  if (!match || !isHost(host)) {
    return { reason: `a ${scheme}:// URL needs a host name or address (and nothing after the port)` };
  }
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && (port < 1 || port > 65535)) return { reason: 'the port must be in 1..65535' };
  return { user, host, port };
}
