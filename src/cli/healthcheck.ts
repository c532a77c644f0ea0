#!/usr/bin/env node
/**
 * The container image's HEALTHCHECK (`node dist/cli/healthcheck.js`): exit 0 when the daemon's
 * `/livez` answers 200 on `SWARM_VIP_LISTEN`, else 1. Apart from the CLI, so a check every few
 * seconds loads little.
 */
import { livezUrl, probeLiveness } from './liveness-probe.js';

const PROBE_TIMEOUT_MS = 3_000;

async function main(): Promise<number> {
  const listen = process.env['SWARM_VIP_LISTEN'];
  if (!listen) {
    console.error('SWARM_VIP_LISTEN is not set: the daemon serves /livez only with --listen');
    return 1;
  }
  const { ok, line } = await probeLiveness(livezUrl(listen), PROBE_TIMEOUT_MS);
  (ok ? console.log : console.error)(line);
  return ok ? 0 : 1;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`health check failed: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
