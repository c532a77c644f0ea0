/**
 * The baseline of `npm run bench:events`: what the daemon did before VRRP state came as events —
 * every 5 s, list each node's managed containers and `docker exec` a probe (VRRP state file and
 * `ip -o addr`) in each running one. Runs until killed; the bench reads its CPU time.
 *
 * Usage: tsx bench/exec-poll-baseline.ts <unix-socket-url>...
 */
import { dockerClientFor } from '../src/adapters/docker/connect.js';
import { DockerNodeRuntime } from '../src/adapters/docker/node-runtime.js';

const PROBE_INTERVAL_MS = 5000;
const runtimes = process.argv.slice(2).map(
  (url, i) =>
    new DockerNodeRuntime(
      `node${i + 1}`,
      dockerClientFor(`node${i + 1}`, { url }, 10_000),
      dockerClientFor(`node${i + 1}`, { url }, undefined),
      {
        probeTimeoutMs: 5000,
        stopTimeoutSeconds: 10,
        startWaitMs: 5000,
        events: { reconnect: { baseMs: 500, maxMs: 5000 } },
      },
    ),
);

async function probeAll(): Promise<void> {
  await Promise.all(
    runtimes.map(async (runtime) => {
      const { managed } = await runtime.listContainers();
      await Promise.all(
        managed.filter((c) => c.running).map((c) => runtime.probe(c.id, []).catch(() => undefined)),
      );
    }),
  );
}

setInterval(() => void probeAll().catch(() => undefined), PROBE_INTERVAL_MS);
