/**
 * Convergence at the engine's speed, on the real cluster: how long from a VirtualIP manifest
 * written to keepalived running on every target node (watch mode), set against the engines' own
 * limit measured in the same run — raw dockerode createContainer + start of the same image, with
 * the same host config, on all nodes at once. Both ends are read from the engines' own `create`
 * and `start` events (the host clock, shared by every node), so neither side pays for polling.
 *
 * Also measures what each Docker call of a real create/remove costs (the simulator's costs), and
 * where a watch-mode convergence spends its time, from the reconciler's own debug timestamps.
 */
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { DockerNodeRuntime } from '../src/adapters/docker/node-runtime.js';
import { containerArchive } from '../src/adapters/docker/container-archive.js';
import { keepalivedHostConfig } from '../src/adapters/docker/keepalived-host-config.js';
import { fileEnvironment } from '../src/core/container-command.js';
import { clusterNodesFromEndpoints } from '../src/core/cluster-nodes.js';
import { desiredState } from '../src/core/desired-state.js';
import type { DesiredContainer } from '../src/core/types.js';
import { loadManifestDir } from '../src/manifest/load-manifest-dir.js';
import { validateAgainstNodes } from '../src/manifest/validate-against-nodes.js';
import { KEEPALIVED_TEST_IMAGE, dockerOf, waitFor, type ClusterDescription } from '../test/cluster/index.js';
import { engineEvents, type LogLine, type RunningReconciler } from '../test/e2e/reconciler-harness.js';
import type { OperationCosts } from './simulated-costs.js';

/** Timings (ms) of each Docker call of a real create / remove, one array per call. */
export type OperationTimings = Record<keyof OperationCosts, number[]>;

/** One convergence trial: the engines' limit, ours, and where each spent its time. */
export interface ConvergenceTrial {
  engineMs: number;
  /** Engine: the action → the last `create` event (the create requests). */
  engineCreateMs: number;
  oursMs: number;
  /** Manifest written → the pass starts (file watch + debounce). */
  detectMs: number;
  /** Pass start → plan ready (read the snapshot, parse, validate, list every node, plan). */
  readMs: number;
  /** … of which pass start → manifests read and parsed (`manifests loaded`). */
  loadMs: number;
  /** Plan ready → the last `create` event (the create requests). */
  createMs: number;
  /** The last `create` event → the last `start` event (the start requests, files, anything between). */
  startMs: number;
}

/** When the engines recorded the last `create` and the last `start` of one container name. */
interface EngineMarks {
  lastCreateMs: number;
  lastStartMs: number;
}

/** Same host config as the reconciler's keepalived containers. */
const HOST_CONFIG = keepalivedHostConfig();

/** The desired containers the manifest directory `dir` implies (the pure core, as a pass computes them). */
export async function desiredContainers(dir: string): Promise<readonly DesiredContainer[]> {
  const parsed = await loadManifestDir(dir);
  const nodes = clusterNodesFromEndpoints(parsed.endpoints.map((e) => e.manifest));
  const set = validateAgainstNodes(parsed, nodes);
  return desiredState({
    virtualIPs: set.virtualIPs.map((v) => v.manifest),
    nodes,
    passwords: new Map(),
    frozen: set.frozen,
  }).containers;
}

/** Times each Docker call of one create + remove of `desired` on its node, `trials` times. */
export async function operationTimings(
  cluster: ClusterDescription,
  desired: DesiredContainer,
  trials: number,
): Promise<OperationTimings> {
  const node = cluster.nodes.find((n) => n.name === desired.node);
  if (!node) throw new Error(`no node ${desired.node}`);
  const docker = dockerOf(node);
  const runtime = new DockerNodeRuntime(node.name, docker, docker, {
    probeTimeoutMs: 5000,
    stopTimeoutSeconds: 10,
    startWaitMs: 0,
    events: { reconnect: { baseMs: 500, maxMs: 5000 } },
  });
  const t: OperationTimings = {
    listMs: [],
    createMs: [],
    putArchiveMs: [],
    startMs: [],
    stopMs: [],
    removeMs: [],
    probeMs: [],
  };
  const time = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await fn();
    into.push(performance.now() - t0);
    return value;
  };
  for (let i = 0; i < trials; i++) {
    await time(t.listMs, () => docker.listContainers({ all: true }));
    const container = await time(t.createMs, () =>
      docker.createContainer({
        name: `swarm-vip-bench-op-${i}`,
        Image: desired.image,
        Entrypoint: [],
        Cmd: [...desired.command],
        Env: desired.fileDelivery === 'environment' ? fileEnvironment(desired.files) : [],
        StopSignal: 'SIGTERM',
        HostConfig: HOST_CONFIG,
      }),
    );
    // What a config holding a password costs on top (files without secrets ride in the create).
    await time(t.putArchiveMs, async () =>
      container.putArchive(await containerArchive(desired.files), { path: '/' }),
    );
    await time(t.startMs, async () => {
      await container.start();
      await container.inspect();
    });
    await waitFor(
      async () => (await runtime.probe(container.id, desired.addresses)).state !== 'UNKNOWN' || undefined,
      { timeoutMs: 10_000, intervalMs: 100, description: 'keepalived to report a VRRP state' },
    );
    await time(t.probeMs, () => runtime.probe(container.id, desired.addresses));
    await time(t.stopMs, () => container.stop({ t: 10 }));
    await time(t.removeMs, () => container.remove());
  }
  return t;
}

/**
 * The last `create` and last `start` of `container` over the nodes, in ms after `sinceMs`; NaN
 * when some node recorded none.
 */
async function engineMarks(
  cluster: ClusterDescription,
  container: string,
  sinceMs: number,
): Promise<EngineMarks> {
  const seen = (await engineEvents(cluster, sinceMs, Date.now())).filter(
    (e) => e.container === container && e.timeMs >= sinceMs,
  );
  const last = (action: string): number => {
    const events = seen.filter((e) => e.action === action);
    if (new Set(events.map((e) => e.node)).size < cluster.nodes.length) return NaN;
    return Math.max(...events.map((e) => e.timeMs)) - sinceMs;
  };
  return { lastCreateMs: last('create'), lastStartMs: last('start') };
}

/** The engines' own limit: createContainer + start of the same image on every node at once. */
export async function engineLimitTrial(
  cluster: ClusterDescription,
  image: string,
  trial: number,
): Promise<Pick<ConvergenceTrial, 'engineMs' | 'engineCreateMs'>> {
  const name = `swarm-vip-bench-raw-${trial}`;
  const dockers: Docker[] = cluster.nodes.map((n) => dockerOf(n));
  const t0 = Date.now();
  await Promise.all(
    dockers.map(async (docker) => {
      const c = await docker.createContainer({
        name,
        Image: image,
        Entrypoint: [],
        Cmd: ['sh', '-c', 'sleep 60'],
        HostConfig: HOST_CONFIG,
      });
      await c.start();
    }),
  );
  const marks = await engineMarks(cluster, name, t0);
  await Promise.all(dockers.map((d) => d.getContainer(name).remove({ force: true })));
  return { engineMs: marks.lastStartMs, engineCreateMs: marks.lastCreateMs };
}

/** Milliseconds between two pino log lines' `time`. */
const at = (line: LogLine | undefined): number => Number(line?.time ?? NaN);

/**
 * One watch-mode trial: writes the manifest (`write`), waits for the pass it triggers to end (from
 * the reconciler's log, so no poll of the engines adds to their load while ours is measured),
 * checks with `running()` that keepalived runs on every target node, and splits the time with the
 * reconciler's debug timestamps and the engines' events.
 */
export async function convergenceTrial(
  cluster: ClusterDescription,
  reconciler: RunningReconciler,
  container: string,
  write: () => Promise<void>,
  running: () => Promise<boolean>,
): Promise<Omit<ConvergenceTrial, 'engineMs' | 'engineCreateMs'>> {
  const mark = reconciler.logs.length;
  const t0 = Date.now();
  await write();
  const started = await reconciler.waitForLog(
    (l) => l.msg === 'pass started' && reconciler.logs.indexOf(l) >= mark,
    'the pass of the new manifest',
  );
  await reconciler.waitForPassEnd(started.pass);
  if (!(await running())) throw new Error(`${container} is not running on every node after the pass`);
  const read = await reconciler.waitForLog(
    (l) => l.msg === 'world read' && l.pass === started.pass,
    'the plan of that pass',
  );
  const loaded = reconciler.logs.find(
    (l) => l.msg === 'manifests loaded' && reconciler.logs.indexOf(l) > reconciler.logs.indexOf(started),
  );
  const marks = await engineMarks(cluster, container, t0);
  return {
    loadMs: at(loaded) - at(started),
    oursMs: marks.lastStartMs,
    detectMs: at(started) - t0,
    readMs: at(read) - at(started),
    createMs: t0 + marks.lastCreateMs - at(read),
    startMs: marks.lastStartMs - marks.lastCreateMs,
  };
}

export { KEEPALIVED_TEST_IMAGE };
