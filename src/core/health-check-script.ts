import { isHost, isHttpUrl } from './grammar.js';
import type { HealthCheck } from './types.js';
import { shellQuote } from './shell-quote.js';

/** Defaults of the schema, applied here because the core must not rely on the loader filling them in. */
export const HEALTH_CHECK_DEFAULTS = { intervalSeconds: 2, timeoutSeconds: 1, fall: 2, rise: 2 } as const;
export const DEFAULT_TCP_HOST = '127.0.0.1';
export const DEFAULT_EXPECT_STATUS = 200;

/** Which of the three probes a health check uses (the schema allows exactly one). */
export type HealthProbe =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string; expectStatus: number }
  | { kind: 'exec'; argv: readonly string[] };

/** The probe a health check declares, or undefined when it declares none (the schema forbids that). */
export function healthProbeOf(check: HealthCheck): HealthProbe | undefined {
  if (check.tcp) return { kind: 'tcp', host: check.tcp.host ?? DEFAULT_TCP_HOST, port: check.tcp.port };
  if (check.http) {
    return {
      kind: 'http',
      url: check.http.url,
      expectStatus: check.http.expectStatus ?? DEFAULT_EXPECT_STATUS,
    };
  }
  if (check.exec && check.exec.length > 0) return { kind: 'exec', argv: check.exec };
  return undefined;
}

/** A probe value the script cannot carry (validation refuses these earlier). */
export class HealthProbeError extends Error {
  override readonly name = 'HealthProbeError';
}

/**
 * A POSIX sh script that exits 0 when the probe succeeds. It uses only tools that busybox images
 * and Debian images both have (`nc`, `wget`, `awk`). Time limits come from keepalived's own
 * script `timeout`, which kills an overdue check and counts it as failed.
 *
 * Manifest values appear only as single-quoted words (no here-documents, nothing in comments),
 * after `--` where a program takes options, and only after passing their grammar (host name or
 * address, http URL, integer port and status).
 *
 * @throws HealthProbeError when a value does not fit its grammar.
 */
export function renderHealthCheckScript(probe: HealthProbe, timeoutSeconds: number): string {
  const header = ['#!/bin/sh', '# Written by swarm-vip: keepalived runs it as the VirtualIP health check.'];
  return [...header, ...probeLines(probe, wholeNumber(timeoutSeconds, 1, 3600)), ''].join('\n');
}

function probeLines(probe: HealthProbe, timeoutSeconds: number): string[] {
  switch (probe.kind) {
    case 'tcp': {
      if (!isHost(probe.host))
        throw new HealthProbeError('healthCheck.tcp.host is not a host name or address');
      const port = wholeNumber(probe.port, 1, 65535);
      return [
        '# Healthy when a TCP connection to the host and port opens.',
        // busybox nc has no -z; with stdin at EOF it connects, then exits 0 at once (1 when refused).
        `exec nc -w ${timeoutSeconds} -- ${shellQuote(probe.host)} ${port} </dev/null >/dev/null 2>&1`,
      ];
    }
    case 'http': {
      if (!isHttpUrl(probe.url))
        throw new HealthProbeError('healthCheck.http.url is not a plain http:// URL');
      const expect = wholeNumber(probe.expectStatus, 100, 599);
      return [
        '# Healthy when a GET of the URL ends with the expected HTTP status.',
        // busybox wget exits non-zero on any status >= 300, so the status comes from the headers
        // that -S prints; the last one wins, which is the answer after redirects. (-T would bound
        // the time, but it crashes the static busybox 1.35 build; keepalived's timeout does it.)
        'unset http_proxy HTTP_PROXY',
        `url=${shellQuote(probe.url)}`,
        `status=$(wget -S -O /dev/null -- "$url" 2>&1 | awk '$1 ~ /^HTTP\\// { code = $2 } END { print code }')`,
        `[ "$status" = '${expect}' ]`,
      ];
    }
    case 'exec':
      return ['# Healthy when this command exits 0.', `exec ${probe.argv.map(shellQuote).join(' ')}`];
    default: {
      const unknown: never = probe;
      throw new Error(`unknown health probe ${JSON.stringify(unknown)}`);
    }
  }
}

/** Numbers reach the script as digits only. */
function wholeNumber(value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HealthProbeError(`not a whole number in ${min}..${max}`);
  }
  return value;
}
