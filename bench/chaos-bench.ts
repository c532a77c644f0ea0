/**
 * Chaos on a real test cluster (`npm run bench:chaos`): the reconciler runs in watch mode under a
 * supervisor (this bench), two VirtualIPs side by side — the product's default advertisement
 * interval and keepalived's stock 1 s, same nodes, same priorities — and a seeded, bounded
 * sequence of faults hits the node holding the address every few seconds:
 *
 * - `keepalived-sigkill`: the holder's keepalived processes SIGKILLed, as a crash or the OOM killer
 *   ends them (the container's own shell, process 1, lives on; where keepalived is process 1, that);
 * - `container-rm`: the holder's managed containers `docker rm -f` (SIGKILL, address left behind);
 * - `container-rm-one` (only with `--kinds`): the default VIP's container on the holder `docker rm
 *   -f`, the other VIP's keepalived left running there;
 * - `engine-restart`: the holder's dockerd stopped (SIGTERM) and started again;
 * - `link-cut`: the holder's link cut, restored after a while (default route re-added);
 * - `manifest-broken`: both VIP manifests replaced by broken YAML, fixed after a while;
 * - `reconciler-sigterm` / `reconciler-sigkill`: the reconciler signalled; the supervisor restarts it.
 *
 * Who holds each address comes from `ip monitor` events in every node (bench/holder-monitor.ts);
 * a node whose link is cut is not a reachable holder. Container state (for convergence) is read
 * from the engines every 250 ms.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cutLink,
  dockerOf,
  keepalivedPids,
  restoreLink,
  startNodeDockerd,
  stopNodeDockerd,
  type ClusterDescription,
  type ClusterNodeDescription,
} from '../test/cluster/index.js';
import {
  HolderMonitor,
  holderSegments,
  nowMs,
  summariseSegments,
  type HolderEvent,
} from './holder-monitor.js';
import { ms, summarise } from './measure.js';
import { SupervisedReconciler } from './supervised-reconciler.js';
import { intervalVips, vipFile, withBenchCluster, writeVips, type IntervalVip } from './vip-bench-cluster.js';
import { removeLockFile } from '../test/e2e/reconciler-harness.js';

export const CHAOS_KINDS = [
  'keepalived-sigkill',
  'container-rm',
  'engine-restart',
  'link-cut',
  'manifest-broken',
  'reconciler-sigterm',
  'reconciler-sigkill',
] as const;
/** Kinds a run takes only when named with `--kinds` (the default schedule stays comparable). */
export const EXTRA_CHAOS_KINDS = ['container-rm-one'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number] | (typeof EXTRA_CHAOS_KINDS)[number];

/** `a,b` → those kinds, each known; empty → every default kind. */
export function parseKinds(spec: string): ChaosKind[] {
  if (spec.trim() === '') return [...CHAOS_KINDS];
  const known: readonly string[] = [...CHAOS_KINDS, ...EXTRA_CHAOS_KINDS];
  return spec.split(',').map((raw) => {
    const kind = raw.trim();
    if (!known.includes(kind))
      throw new Error(`unknown fault kind ${JSON.stringify(kind)}; known: ${known.join(', ')}`);
    return kind as ChaosKind;
  });
}

export interface ChaosOptions {
  seed: number;
  /** Each kind occurs this often, in a seeded order. */
  rounds: number;
  /** The fault kinds of the run (default: CHAOS_KINDS). */
  kinds?: readonly ChaosKind[];
  /** Seconds between the starts of two faults, drawn from [min, max]. */
  gapSeconds: [number, number];
  /** How long a cut link or a broken manifest lasts. */
  holdSeconds: number;
  /** `default,1`: the VIPs compared side by side. */
  intervals: string;
  restartDelayMs: number;
  keepCluster: boolean;
  /** Appends the reconciler's log (stderr) to this file. */
  reconcilerLog?: string;
  log: (message: string) => void;
}

/** One fault as it happened, and per VIP what it did to the address. */
export interface ChaosFault {
  kind: ChaosKind;
  node: string;
  startMs: number;
  /** Until the next fault starts (or the end of the final settle). */
  windowEndMs: number;
  perVip: Record<
    string,
    {
      noneMs: number;
      longestNoneMs: number;
      severalMs: number;
      longestSeveralMs: number;
      /** ms from the fault to the last moment the VIP was not converged; NaN if not converged in the window. */
      convergeMs: number;
    }
  >;
}

export interface ChaosResult {
  cluster: string;
  seed: number;
  vips: IntervalVip[];
  faults: ChaosFault[];
  /** Whole run, per VIP. */
  totals: Record<string, ReturnType<typeof summariseSegments>>;
  reconcilerStarts: number;
  reconcilerExits: { code: number | null; signal: string | null; tail: string }[];
  /** Every `ip monitor` event of the run, for a closer look (`--timeline FILE`). */
  events: HolderEvent[];
  leftovers: string[] | undefined;
}

/** mulberry32: a small seeded PRNG, so a run can be repeated fault for fault. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every kind `rounds` times, shuffled (Fisher–Yates) by `random`. */
export function faultSchedule(
  rounds: number,
  random: () => number,
  kinds: readonly ChaosKind[] = CHAOS_KINDS,
): ChaosKind[] {
  const list = Array.from({ length: rounds }, () => [...kinds]).flat();
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j] as ChaosKind, list[i] as ChaosKind];
  }
  return list;
}

/** When each VIP was fully deployed: a running managed container on every node, sampled. */
interface ContainerSample {
  atMs: number;
  ok: Record<string, boolean>;
}

const CONTAINER_POLL_MS = 250;
const SETTLE_MS = 30_000;

class Chaos {
  readonly top: ClusterNodeDescription;
  readonly samples: ContainerSample[] = [];
  private sampling = true;
  private sampler: Promise<void> = Promise.resolve();

  constructor(
    readonly cluster: ClusterDescription,
    readonly dir: string,
    readonly vips: readonly IntervalVip[],
    readonly monitor: HolderMonitor,
    readonly reconciler: SupervisedReconciler,
    readonly options: ChaosOptions,
  ) {
    const top = cluster.nodes.at(-1);
    if (!top) throw new Error('the cluster has no nodes');
    this.top = top;
  }

  startSampling(): void {
    this.sampler = (async () => {
      // Bounded by the run: stopSampling() ends it; each read is bounded by the client timeout.
      while (this.sampling) {
        this.samples.push({ atMs: nowMs(), ok: await this.containersOk() });
        await sleep(CONTAINER_POLL_MS);
      }
    })();
  }

  async stopSampling(): Promise<void> {
    this.sampling = false;
    await this.sampler;
  }

  private async containersOk(): Promise<Record<string, boolean>> {
    const running = await Promise.all(
      this.cluster.nodes.map(async (node) => {
        const list = await dockerOf(node, { timeoutMs: 2_000 })
          .listContainers({ filters: { label: ['swarm-vip.managed=true'] } })
          .catch(() => []);
        return new Set(list.filter((c) => c.State === 'running').map((c) => c.Labels['swarm-vip.vip']));
      }),
    );
    return Object.fromEntries(this.vips.map((v) => [v.label, running.every((names) => names.has(v.name))]));
  }

  /** On the top node alone (reachable or not, nobody else) and every node running its container. */
  converged(vip: IntervalVip): boolean {
    const holders = this.monitor.holders(vip.address);
    const reachable = this.monitor.reachableHolders(vip.address);
    const sample = this.samples.at(-1);
    return (
      holders.length === 1 &&
      reachable[0] === this.top.name &&
      reachable.length === 1 &&
      sample?.ok[vip.label] === true
    );
  }

  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline) {
      if (this.vips.every((v) => this.converged(v))) return true;
      await sleep(100);
    }
    return false;
  }

  /** The node the fault hits: the reachable holder of the first (default) VIP, else the top node. */
  target(): ClusterNodeDescription {
    const first = this.vips[0];
    const holder = first ? this.monitor.reachableHolders(first.address)[0] : undefined;
    return this.cluster.nodes.find((n) => n.name === holder) ?? this.top;
  }

  /**
   * Applies one fault (and, for a cut link or a broken manifest, its repair after the hold time).
   * Returns when the fault itself happened: right before the kill, the removal, the SIGTERM or
   * the write, or the kernel's link-down event (the Docker reads that pick the targets come first).
   */
  async inject(kind: ChaosKind, node: ClusterNodeDescription): Promise<number> {
    const hold = () => sleep(this.options.holdSeconds * 1000);
    const docker = dockerOf(node);
    switch (kind) {
      case 'keepalived-sigkill': {
        const list = await docker.listContainers({ filters: { label: ['swarm-vip.managed=true'] } });
        const roots = await Promise.all(
          list.map(async (c) => (await docker.getContainer(c.Id).inspect()).State.Pid),
        );
        const pids = (await Promise.all(roots.filter((p) => p > 1).map(keepalivedOrRoot))).flat();
        const at = nowMs();
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        return at;
      }
      case 'container-rm':
      case 'container-rm-one': {
        const first = this.vips[0];
        const label =
          kind === 'container-rm-one' && first ? `swarm-vip.vip=${first.name}` : 'swarm-vip.managed=true';
        const list = await docker.listContainers({ all: true, filters: { label: [label] } });
        const at = nowMs();
        await Promise.all(
          list.map((c) =>
            docker
              .getContainer(c.Id)
              .remove({ force: true })
              .catch(() => undefined),
          ),
        );
        return at;
      }
      case 'engine-restart': {
        const at = nowMs();
        await stopNodeDockerd(this.cluster, node);
        await startNodeDockerd(this.cluster, node);
        return at;
      }
      case 'link-cut': {
        const before = nowMs();
        await cutLink(node);
        const down = this.monitor.events.find(
          (e) => e.kind === 'link' && e.node === node.name && !e.up && e.atMs >= before - 5,
        );
        await hold();
        await restoreLink(this.cluster, node);
        return down?.atMs ?? before;
      }
      case 'manifest-broken': {
        const good = await Promise.all(this.vips.map((v) => readFile(vipFile(this.dir, v), 'utf8')));
        const at = nowMs();
        const broken = 'apiVersion: swarm-vip/v1\nkind: VirtualIP\nspec: [\n';
        await Promise.all(this.vips.map((v) => writeFile(vipFile(this.dir, v), broken)));
        await hold();
        await Promise.all(this.vips.map((v, i) => writeFile(vipFile(this.dir, v), good[i] ?? '')));
        return at;
      }
      case 'reconciler-sigterm':
      case 'reconciler-sigkill': {
        const at = nowMs();
        this.reconciler.signal(kind === 'reconciler-sigterm' ? 'SIGTERM' : 'SIGKILL');
        return at;
      }
    }
  }

  /** ms from `startMs` to the end of the last stretch in [startMs, endMs) when `vip` was not converged. */
  convergeMs(vip: IntervalVip, startMs: number, endMs: number): number {
    let lastBadMs = startMs;
    const containerBad = this.samples.filter((s) => s.atMs >= startMs && s.atMs < endMs && !s.ok[vip.label]);
    const lastContainerBad = containerBad.at(-1);
    if (lastContainerBad) {
      const next = this.samples.find((s) => s.atMs > lastContainerBad.atMs);
      if (!next || next.atMs >= endMs) return NaN;
      lastBadMs = Math.max(lastBadMs, next.atMs);
    }
    const onlyTop = (holders: string[]) => holders.length === 1 && holders[0] === this.top.name;
    // Unreachable holders count too: an address stuck on a cut-off node is not converged.
    for (const reachableOnly of [true, false]) {
      const segments = holderSegments(this.monitor.events, vip.address, startMs, endMs, { reachableOnly });
      const last = segments.at(-1);
      if (last && !onlyTop(last.holders)) return NaN;
      for (const s of segments) if (!onlyTop(s.holders)) lastBadMs = Math.max(lastBadMs, s.toMs);
    }
    return lastBadMs - startMs;
  }
}

/** The keepalived processes of a container (`root` itself when none is named keepalived). */
async function keepalivedOrRoot(root: number): Promise<number[]> {
  const named = await keepalivedPids(root);
  return named.length > 0 ? named : [root];
}

async function runFaults(
  chaos: Chaos,
  options: ChaosOptions,
): Promise<{ kind: ChaosKind; node: string; startMs: number }[]> {
  const random = seededRandom(options.seed);
  const schedule = faultSchedule(options.rounds, random, options.kinds);
  const [gapMin, gapMax] = options.gapSeconds;
  const done: { kind: ChaosKind; node: string; startMs: number }[] = [];
  for (const [i, kind] of schedule.entries()) {
    const node = chaos.target();
    const startMs = await chaos.inject(kind, node);
    done.push({ kind, node: node.name, startMs });
    const gapMs = (gapMin + random() * (gapMax - gapMin)) * 1000;
    const waitMs = Math.max(startMs + gapMs - nowMs(), 1_000);
    options.log(`fault ${i + 1}/${schedule.length}: ${kind} on ${node.name}; next in ${ms(waitMs)} ms`);
    await sleep(waitMs);
  }
  return done;
}

/** Runs the chaos sequence on the bench's own cluster and takes it down again. */
export async function benchChaos(options: ChaosOptions): Promise<ChaosResult> {
  const lockFile = path.join(tmpdir(), `swarm-vip-chaos-${process.pid}.lock`);
  const { value, leftovers } = await withBenchCluster(options, async ({ cluster, dir, describe }) => {
    const vips = intervalVips(cluster, options.intervals, 'ch', 0);
    await writeVips(cluster, dir, vips);
    const reconciler = new SupervisedReconciler(
      ['--manifests', dir, '--lock-file', lockFile],
      options.restartDelayMs,
      nowMs,
      options.reconcilerLog,
    );
    const monitor = await HolderMonitor.start(
      cluster,
      vips.map((v) => v.address),
    );
    const chaos = new Chaos(cluster, dir, vips, monitor, reconciler, options);
    try {
      reconciler.start();
      chaos.startSampling();
      if (!(await chaos.settle(60_000))) throw new Error('the VIPs never converged before the first fault');
      const runStart = nowMs();
      const done = await runFaults(chaos, options);
      const settled = await chaos.settle(SETTLE_MS);
      options.log(
        settled ? 'settled after the last fault' : `NOT settled ${SETTLE_MS} ms after the last fault`,
      );
      const runEnd = nowMs();
      const faults = done.map((f, i): ChaosFault => {
        const windowEndMs = done[i + 1]?.startMs ?? runEnd;
        const perVip: ChaosFault['perVip'] = {};
        for (const vip of vips) {
          const s = summariseSegments(holderSegments(monitor.events, vip.address, f.startMs, windowEndMs));
          perVip[vip.label] = {
            noneMs: s.noneMs,
            longestNoneMs: s.longestNoneMs,
            severalMs: s.severalMs,
            longestSeveralMs: s.longestSeveralMs,
            convergeMs: chaos.convergeMs(vip, f.startMs, windowEndMs),
          };
        }
        return { ...f, windowEndMs, perVip };
      });
      const totals = Object.fromEntries(
        vips.map((v) => [
          v.label,
          summariseSegments(holderSegments(monitor.events, v.address, runStart, runEnd)),
        ]),
      );
      return {
        cluster: describe,
        seed: options.seed,
        vips,
        faults,
        totals,
        reconcilerStarts: reconciler.starts,
        reconcilerExits: reconciler.exits.map(({ code, signal, tail }) => ({ code, signal, tail })),
        events: monitor.events,
      };
    } finally {
      await chaos.stopSampling();
      await reconciler.stop();
      await monitor.stop();
      await removeLockFile(lockFile);
    }
  });
  return { ...value, leftovers };
}

function vipTitle(vip: IntervalVip, defaultInterval: number): string {
  return vip.interval === undefined ? `default (${defaultInterval} s)` : `stock ${vip.interval} s`;
}

function medMax(values: readonly number[]): string {
  const ok = values.filter((v) => Number.isFinite(v));
  const s = summarise(ok);
  const missed = values.length - ok.length;
  return `${ms(s.medianMs)} / ${ms(s.maxMs)}${missed > 0 ? ` (${missed} not converged)` : ''}`;
}

const pct = (part: number, whole: number): string => `${((part / whole) * 100).toFixed(2)} %`;

/** Markdown tables of a chaos run. */
export function chaosReport(r: ChaosResult, defaultInterval: number): string {
  const lines = [
    `Cluster: ${r.cluster}. Seed ${r.seed}, ${r.faults.length} faults. Reconciler (re)started ${r.reconcilerStarts} times by the bench.`,
    '',
    '| VIP (advertInterval) | run length (s) | exactly one reachable holder | no holder | several holders | longest no holder (ms) | longest several (ms) |',
    '|---|---|---|---|---|---|---|',
    ...r.vips.map((v) => {
      const t = r.totals[v.label];
      if (!t) return `| ${v.label} | n/a |`;
      return `| ${vipTitle(v, defaultInterval)} | ${(t.totalMs / 1000).toFixed(0)} | ${pct(t.exactlyOneMs, t.totalMs)} | ${pct(t.noneMs, t.totalMs)} | ${pct(t.severalMs, t.totalMs)} | ${ms(t.longestNoneMs)} | ${ms(t.longestSeveralMs)} |`;
    }),
    '',
    'Per fault kind, ms, median / max over the faults of that kind (window: from the fault to the next one):',
    '',
    '| fault | n | VIP | no holder, longest | two or more holders, longest | time to converge |',
    '|---|---|---|---|---|---|',
  ];
  for (const kind of [...CHAOS_KINDS, ...EXTRA_CHAOS_KINDS]) {
    const faults = r.faults.filter((f) => f.kind === kind);
    if (faults.length === 0) continue;
    for (const v of r.vips) {
      const per = faults.map((f) => f.perVip[v.label]);
      lines.push(
        `| ${kind} | ${faults.length} | ${vipTitle(v, defaultInterval)} | ${medMax(per.map((p) => p?.longestNoneMs ?? NaN))} | ${medMax(per.map((p) => p?.longestSeveralMs ?? NaN))} | ${medMax(per.map((p) => p?.convergeMs ?? NaN))} |`,
      );
    }
  }
  const abnormal = r.reconcilerExits.filter((e) => e.signal === null && e.code !== 0);
  if (abnormal.length > 0) {
    lines.push(
      '',
      `Reconciler exits other than by our signals: ${abnormal.length}; last: exit ${abnormal.at(-1)?.code}`,
    );
  }
  lines.push(
    '',
    r.leftovers === undefined
      ? 'Cluster kept up (`--keep-cluster`).'
      : r.leftovers.length === 0
        ? 'After `down`: nothing left, and `ip netns list` shows none of the cluster’s namespaces.'
        : `After \`down\`, LEFTOVERS: ${r.leftovers.join('; ')}`,
    '',
  );
  return lines.join('\n');
}
