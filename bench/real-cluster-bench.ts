/**
 * The real test cluster (`npm run bench`): convergence in watch mode against the engines' own
 * create + start (convergence-bench.ts), what each Docker call costs, and how long the real
 * reconciler CLI takes, `--once` and in watch mode, to put a new VIP on its highest-priority node
 * and to recover from `docker rm -f` of the holder's container, set against keepalived's own
 * failover (`docker stop` of the holder) on the same cluster in the same run.
 *
 * The cluster is private to the benchmark (prefix `bn`, subnet 198.18.9.0/24, state dir
 * /run/swarm-vip-bn unless SWARM_VIP_TB_* say otherwise; never the e2e defaults) and is always
 * taken down at the end.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  down,
  findLeftovers,
  holderOf,
  holdersOf,
  optionsFromEnv,
  up,
  waitFor,
  type ClusterDescription,
  type ClusterOptions,
} from '../test/cluster/index.js';
import { DEFAULT_OPTIONS } from '../test/cluster/options.js';
import {
  RunningReconciler,
  containersOnNodes,
  manifestDir,
  removeManagedContainers,
  runCli,
  vipYaml,
  removeLockFile,
} from '../test/e2e/reconciler-harness.js';
import {
  convergenceTrial,
  desiredContainers,
  engineLimitTrial,
  operationTimings,
  type ConvergenceTrial,
  type OperationTimings,
} from './convergence-bench.js';
import { ms, ratio, summarise, type Stats } from './measure.js';
import { MEASURED_COSTS, type OperationCosts } from './simulated-costs.js';

/** Trials per measurement, and where progress lines go. */
export interface RealOptions {
  trials: number;
  log: (message: string) => void;
}

/** Timings (ms) of each trial; NaN for a trial that timed out. */
export interface RealResult {
  cluster: string;
  cliStartup: number[];
  failover: number[];
  /** How long the `docker stop` call of each failover trial took by itself. */
  stopCall: number[];
  dropOnce: number[];
  convergence: ConvergenceTrial[];
  operations?: OperationTimings;
  rmOnce: number[];
  rmWatch: number[];
  /** What was left of the cluster after `down`, and our namespaces still listed by `ip netns list`. */
  leftovers: string[];
}

/** Every poll reads `ip addr` in each node's namespace: 50 ms keeps that load low on a small machine. */
const POLL = { intervalMs: 50, timeoutMs: 30_000 };
const VIP = 'bench';

/** The benchmark's own cluster options: env SWARM_VIP_TB_* or bn / 9 / /run/swarm-vip-bn, never the defaults. */
export function benchClusterOptions(env: NodeJS.ProcessEnv = process.env): ClusterOptions {
  const options = optionsFromEnv({
    SWARM_VIP_TB_PREFIX: 'bn',
    SWARM_VIP_TB_SUBNET: '9',
    SWARM_VIP_TB_STATE_DIR: '/run/swarm-vip-bn',
    ...env,
    SWARM_VIP_TB_NODES: '3',
  });
  if (
    options.prefix === DEFAULT_OPTIONS.prefix ||
    options.subnet === DEFAULT_OPTIONS.subnet ||
    options.stateDir === DEFAULT_OPTIONS.stateDir
  ) {
    throw new Error(
      'the benchmark cluster must not use the default prefix, subnet or state dir (e2e uses them)',
    );
  }
  return options;
}

/**
 * Milliseconds from the start of `act` until `until` is first seen to hold, polling while `act`
 * runs (NaN if it never held within the bound). `act` must also finish.
 */
async function timeUntil(
  act: () => Promise<unknown>,
  until: () => Promise<boolean>,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  const acting = act();
  try {
    await waitFor(async () => (await until()) || undefined, { ...POLL, description: what });
    const elapsed = performance.now() - t0;
    await acting;
    return elapsed;
  } catch (error) {
    await acting.catch(() => undefined);
    console.error(`[bench] trial failed: ${what}: ${(error as Error).message}`);
    return NaN;
  }
}

class Bench {
  readonly address: string;
  readonly top: string;
  readonly file: string;
  readonly lockFile = path.join(tmpdir(), `swarm-vip-bench-${process.pid}.lock`);

  constructor(
    readonly cluster: ClusterDescription,
    readonly dir: string,
  ) {
    this.address = cluster.spareIpv4[0] ?? '';
    // Creates of a new VIP run in node-name order: the last node gets the highest priority, so the
    // figure covers the whole rollout, not just the first container.
    this.top = cluster.nodes.at(-1)?.name ?? '';
    this.file = path.join(dir, `${VIP}.yaml`);
  }

  cli(): Promise<unknown> {
    return runCli(['--once', '--manifests', this.dir, '--lock-file', this.lockFile]);
  }

  dropManifest(): Promise<void> {
    const priorities = Object.fromEntries(this.cluster.nodes.map((n, i) => [n.name, 100 + 50 * i]));
    return writeFile(
      this.file,
      vipYaml({
        name: VIP,
        address: `${this.address}/${this.cluster.ipv4PrefixLength}`,
        priorities,
        image: KEEPALIVED_TEST_IMAGE,
      }),
    );
  }

  async managed() {
    return (await containersOnNodes(this.cluster, `keepalived-${VIP}`)).filter((c) => c.managed);
  }

  async heldBy(node: string): Promise<boolean> {
    return (await holderOf(this.cluster, this.address)) === node;
  }

  async topContainerId(): Promise<string> {
    const found = (await this.managed()).find((c) => c.node === this.top && c.running);
    if (!found) throw new Error(`no running keepalived-${VIP} on ${this.top}`);
    return found.id;
  }

  /** Held by exactly one node, and a running container on the top node other than `oldId`. */
  async recovered(oldId: string): Promise<boolean> {
    const holder = await holderOf(this.cluster, this.address);
    const mine = (await this.managed()).find((c) => c.node === this.top);
    return holder !== undefined && mine !== undefined && mine.running && mine.id !== oldId;
  }

  async settled(): Promise<void> {
    await waitFor(
      async () => (await this.managed()).every((c) => c.running) && (await this.heldBy(this.top)),
      {
        ...POLL,
        description: 'all containers running, VIP on the top node',
      },
    );
  }

  async cleared(): Promise<void> {
    await waitFor(
      async () =>
        (await this.managed()).length === 0 && (await holdersOf(this.cluster, this.address)).length === 0,
      { ...POLL, description: 'no managed container and nobody holding the VIP' },
    );
  }

  docker(node: string) {
    const found = this.cluster.nodes.find((n) => n.name === node);
    if (!found) throw new Error(`no node ${node}`);
    return dockerOf(found);
  }
}

async function oncePhase(b: Bench, trials: number, result: RealResult): Promise<void> {
  for (let i = 0; i < trials; i++) {
    const t0 = performance.now();
    await b.cli();
    result.cliStartup.push(performance.now() - t0);
  }
  for (let i = 0; i < trials; i++) {
    result.dropOnce.push(
      await timeUntil(
        async () => {
          await b.dropManifest();
          await b.cli();
        },
        () => b.heldBy(b.top),
        'manifest → VIP on the top node (--once)',
      ),
    );
    await b.settled();
    const stopped = await b.topContainerId();
    result.failover.push(
      await timeUntil(
        async () => {
          const t0 = performance.now();
          await b.docker(b.top).getContainer(stopped).stop({ t: 10 });
          result.stopCall.push(performance.now() - t0);
        },
        async () => {
          const holder = await holderOf(b.cluster, b.address);
          return holder !== undefined && holder !== b.top;
        },
        'docker stop of the holder → VIP on another node',
      ),
    );
    await b.docker(b.top).getContainer(stopped).start();
    await b.settled();
    const killed = await b.topContainerId();
    result.rmOnce.push(
      await timeUntil(
        async () => {
          await b.docker(b.top).getContainer(killed).remove({ force: true });
          await b.cli();
        },
        () => b.recovered(killed),
        'rm -f of the holder → held again and recreated (--once)',
      ),
    );
    await rm(b.file, { force: true });
    await b.cli();
    await b.cleared();
  }
}

async function watchPhase(b: Bench, trials: number, result: RealResult): Promise<void> {
  // As in the e2e tests: slow resync and health probes, so what reacts is the manifest watch and
  // the Docker event streams. Debug logs carry the timestamps of each pass's phases.
  const reconciler = new RunningReconciler([
    '--manifests',
    b.dir,
    '--lock-file',
    b.lockFile,
    '--resync-interval',
    '10m',
    '--health-interval',
    '10m',
    '--log-level',
    'debug',
  ]);
  const idle = async () => {
    // The pass in flight (if any) has ended and no other has started since.
    await waitFor(
      () => {
        const last = reconciler.logs.filter((l) => l.msg === 'pass started').at(-1);
        return last === undefined || reconciler.logs.some((l) => l.pass === last.pass && PASS_END.has(l.msg));
      },
      { ...POLL, description: 'the reconciler to be idle' },
    );
  };
  try {
    await reconciler.waitForLog((l) => l.msg === 'converged, nothing to do', 'the first pass');
    for (let i = 0; i < trials; i++) {
      // Alternate which goes first, so neither always runs on a machine still busy with the other.
      const engineFirst = i % 2 === 0;
      let engine = engineFirst ? await engineLimitTrial(b.cluster, KEEPALIVED_TEST_IMAGE, i) : undefined;
      const ours = await convergenceTrial(
        b.cluster,
        reconciler,
        `keepalived-${VIP}`,
        () => b.dropManifest(),
        async () => {
          const list = await b.managed();
          return list.length === b.cluster.nodes.length && list.every((c) => c.running);
        },
      );
      await b.settled();
      await idle();
      engine ??= await engineLimitTrial(b.cluster, KEEPALIVED_TEST_IMAGE, i);
      result.convergence.push({ ...engine, ...ours });
      console.error(`[bench] convergence trial ${i + 1}: ${JSON.stringify(result.convergence.at(-1))}`);

      const killed = await b.topContainerId();
      result.rmWatch.push(
        await timeUntil(
          () => b.docker(b.top).getContainer(killed).remove({ force: true }),
          () => b.recovered(killed),
          'rm -f of the holder → held again and recreated (watch)',
        ),
      );
      await b.settled();
      await rm(b.file, { force: true });
      await b.cleared();
      await idle();
    }
  } finally {
    await reconciler.stop();
  }
}

const PASS_END = new Set(['converged, nothing to do', 'pass applied']);

/** Each Docker call of a real create / remove of the bench VIP's container, on the top node. */
async function operationsPhase(b: Bench, trials: number, result: RealResult): Promise<void> {
  await b.dropManifest();
  const desired = (await desiredContainers(b.dir)).find((c) => c.node === b.top);
  await rm(b.file, { force: true });
  if (!desired) throw new Error('the bench VIP renders no container on the top node');
  result.operations = await operationTimings(b.cluster, desired, trials);
}

async function ourNamespaces(prefix: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'list']);
  const pattern = new RegExp(`^${prefix}(hub|node\\d+)\\b`);
  return stdout.split('\n').filter((line) => pattern.test(line));
}

/** Brings the benchmark's cluster up, runs both phases, and always takes the cluster down again. */
export async function benchRealCluster(options: RealOptions): Promise<RealResult> {
  const clusterOptions = benchClusterOptions();
  const result: RealResult = {
    cluster: `prefix ${clusterOptions.prefix}, 198.18.${clusterOptions.subnet}.0/24, ${clusterOptions.nodes} nodes`,
    cliStartup: [],
    failover: [],
    stopCall: [],
    dropOnce: [],
    convergence: [],
    rmOnce: [],
    rmWatch: [],
    leftovers: [],
  };
  let inodes: number[] = [];
  let bench: Bench | undefined;
  try {
    const cluster = await up(clusterOptions, options.log);
    inodes = [cluster.hub.netnsInode, ...cluster.nodes.map((n) => n.netnsInode)];
    bench = new Bench(cluster, await manifestDir(cluster));
    await operationsPhase(bench, options.trials, result);
    await watchPhase(bench, options.trials, result);
    await oncePhase(bench, options.trials, result);
  } finally {
    if (bench) {
      await removeManagedContainers(bench.cluster).catch(() => undefined);
      await rm(bench.dir, { recursive: true, force: true });
      await removeLockFile(bench.lockFile);
    }
    const report = await down(clusterOptions, options.log);
    result.leftovers = [
      ...report.problems,
      ...(await findLeftovers(clusterOptions, inodes)),
      ...(await ourNamespaces(clusterOptions.prefix)).map((n) => `ip netns list: ${n}`),
    ];
    options.log(
      result.leftovers.length === 0
        ? 'down left nothing behind'
        : `LEFTOVERS: ${result.leftovers.join('; ')}`,
    );
  }
  return result;
}

function row(what: string, timings: readonly number[], baseline: Stats): string {
  const ok = timings.filter((t) => Number.isFinite(t));
  const s = summarise(ok);
  const failed = timings.length - ok.length;
  return `| ${what} | ${ok.length}${failed ? ` (+${failed} timed out)` : ''} | ${ms(s.minMs)} | ${ms(s.medianMs)} | ${ms(s.maxMs)} | ${ratio(s.medianMs, baseline.medianMs)} |`;
}

/** Markdown tables of a real-cluster run. */
export function realReport(r: RealResult): string {
  const baseline = summarise(r.failover.filter((t) => Number.isFinite(t)));
  const engine = summarise(r.convergence.map((c) => c.engineMs).filter((t) => Number.isFinite(t)));
  const column = (key: keyof ConvergenceTrial) => r.convergence.map((c) => c[key]);
  const engineStarts = r.convergence.map((c) => c.engineMs - c.engineCreateMs);
  return [
    `Cluster: ${r.cluster}. Times in ms.`,
    '',
    '#### Convergence against the engine',
    '',
    'From the action to the last `start` event on the nodes (the engines’ own clocks).',
    '',
    '| measurement | trials | min | median | max | median ÷ engine |',
    '|---|---|---|---|---|---|',
    row(
      '**engine’s own limit**: raw `createContainer` + `start` of the same image on all 3 nodes at once',
      column('engineMs'),
      engine,
    ),
    row(
      '**convergence**: VirtualIP manifest written → keepalived running on all 3 nodes (watch mode)',
      column('oursMs'),
      engine,
    ),
    row('… engine: action → last `create` event', column('engineCreateMs'), engine),
    row('… engine: last `create` → last `start` event', engineStarts, engine),
    row('… ours: written → pass starts (file watch + debounce)', column('detectMs'), engine),
    row(
      '… ours: pass starts → plan ready (snapshot, parse, validate, list nodes, plan)',
      column('readMs'),
      engine,
    ),
    row('… ours, of that: pass starts → manifests read and parsed', column('loadMs'), engine),
    row('… ours: plan ready → last `create` event (create requests)', column('createMs'), engine),
    row('… ours: last `create` → last `start` event (start requests)', column('startMs'), engine),
    '',
    operationsTable(r.operations),
    '#### Recovery, against keepalived’s own failover',
    '',
    'From the action to the condition seen on the nodes’ interfaces (polled every 50 ms).',
    '',
    '| measurement | trials | min | median | max | median ÷ keepalived failover |',
    '|---|---|---|---|---|---|',
    row(
      'baseline: keepalived failover (`docker stop` of holder → VIP on another node)',
      r.failover,
      baseline,
    ),
    row('(the `docker stop` API call of those trials by itself)', r.stopCall, baseline),
    row('`reconciler --once` with nothing to do (CLI start-up + one pass)', r.cliStartup, baseline),
    row('manifest dropped → VIP on highest-priority node, `--once`', r.dropOnce, baseline),
    row('`docker rm -f` holder → VIP held + container recreated, `--once`', r.rmOnce, baseline),
    row('`docker rm -f` holder → VIP held + container recreated, watch mode', r.rmWatch, baseline),
    '',
    r.leftovers.length === 0
      ? 'After `down`: nothing left, and `ip netns list` shows none of the cluster’s namespaces.'
      : `After \`down\`, LEFTOVERS: ${r.leftovers.join('; ')}`,
    '',
  ].join('\n');
}

/** Medians of each Docker call, beside the costs the simulator uses (simulated-costs.ts). */
function operationsTable(timings: OperationTimings | undefined): string {
  if (!timings) return '';
  const keys = Object.keys(MEASURED_COSTS) as (keyof OperationCosts)[];
  return [
    '#### Docker calls of one real create / remove (keepalived container, one node)',
    '',
    '| call | trials | min | median | max | the simulator uses |',
    '|---|---|---|---|---|---|',
    ...keys.map((key) => {
      const s = summarise(timings[key]);
      return `| ${key.replace(/Ms$/, '')} | ${s.runs} | ${ms(s.minMs)} | ${ms(s.medianMs)} | ${ms(s.maxMs)} | ${MEASURED_COSTS[key]} |`;
    }),
    '',
  ].join('\n');
}
