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

/**
 * A POSIX sh script that exits 0 when the probe succeeds. It uses only tools that busybox images
 * and Debian images both have (`nc`, `wget`). Time limits come from keepalived's own script
 * `timeout`, which kills an overdue check and counts it as failed.
 */
export function renderHealthCheckScript(probe: HealthProbe, timeoutSeconds: number): string {
  const header = ['#!/bin/sh', '# Written by swarm-vip: keepalived runs it as the VirtualIP health check.'];
  return [...header, ...probeLines(probe, timeoutSeconds), ''].join('\n');
}

function probeLines(probe: HealthProbe, timeoutSeconds: number): string[] {
  switch (probe.kind) {
    case 'tcp':
      return [
        `# Healthy when a TCP connection to ${probe.host} port ${probe.port} opens.`,
        // busybox nc has no -z; with stdin at EOF it connects, then exits 0 at once (1 when refused).
        `exec nc -w ${timeoutSeconds} ${shellQuote(probe.host)} ${probe.port} </dev/null >/dev/null 2>&1`,
      ];
    case 'http':
      return [
        `# Healthy when GET ${probe.url.replace(/[\r\n]/g, '')} ends with HTTP status ${probe.expectStatus}.`,
        // busybox wget exits non-zero on any status >= 300, so the status comes from the headers
        // that -S prints; the last one wins, which is the answer after redirects. (-T would bound
        // the time, but it crashes the static busybox 1.35 build; keepalived's timeout does it.)
        'unset http_proxy HTTP_PROXY',
        "status=''",
        'while read -r proto code _rest; do',
        '  case $proto in HTTP/*) status=$code ;; esac',
        'done <<EOF',
        `$(wget -S -O /dev/null ${shellQuote(probe.url)} 2>&1)`,
        'EOF',
        `[ "$status" = '${probe.expectStatus}' ]`,
      ];
    case 'exec':
      return ['# Healthy when this command exits 0.', `exec ${probe.argv.map(shellQuote).join(' ')}`];
    default: {
      const unknown: never = probe;
      throw new Error(`unknown health probe ${JSON.stringify(unknown)}`);
    }
  }
}
