/**
 * Failover on a real test cluster (`npm run bench:failover`): several VirtualIPs side by side,
 * identical but for their advertisement interval (the product's default, keepalived's stock 1 s,
 * and any others asked for), all held by the same top-priority node. Each trial hits that node
 * once — its keepalived processes SIGKILLed, its link cut, or its engine stopped —
 * and times, per VIP, how long until another node carries the address, read from `ip monitor`
 * events (bench/holder-monitor.ts). Then a window with every node's CPU saturated by bounded busy
 * loops counts false failovers: any moment the address is not on exactly the top node.
 *
 * The reconciler only deploys the VIPs (`reconciler --once`): what is measured is the hand-over
 * that the rendered keepalived.conf gives, not the reconciler's repair.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cutLink,
  dockerOf,
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
import {
  intervalVips,
  reconcileOnce,
  withBenchCluster,
  writeVips,
  type IntervalVip,
} from './vip-bench-cluster.js';
import { removeLockFile } from '../test/e2e/reconciler-harness.js';

export const FAULT_KINDS = ['sigkill', 'link-cut', 'engine-stop'] as const;
export type FailoverFault = (typeof FAULT_KINDS)[number];

const FAULT_TITLES: Record<FailoverFault, string> = {
  sigkill: "holder's keepalived SIGKILLed (`kill -9` of its pid)",
  'link-cut': "holder's link cut (`ip link set eth0 down`)",
  'engine-stop': "holder's engine stopped (dockerd SIGTERM: containers stopped)",
};

export interface FailoverOptions {
  /** `default,0.1,1`: the VIPs compared side by side. */
  intervals: string;
  trials: number;
  faults: readonly FailoverFault[];
  /** Length of the CPU-saturated window; 0 skips it. */
  loadSeconds: number;
  /** Busy loops per node during the window. */
  loadProcsPerNode: number;
  keepCluster: boolean;
  log: (message: string) => void;
}

export interface FailoverTrial {
  fault: FailoverFault;
  /** Per VIP label: ms from the fault to another node carrying the address (NaN: never within 20 s). */
  failoverMs: Record<string, number>;
  /** Per VIP label: the longest stretch without a reachable holder between the fault and the restore. */
  longestNoneMs: Record<string, number>;
}

export interface LoadWindow {
  seconds: number;
  procs: number;
  /** Share of all CPU time that was busy during the window (from /proc/stat). */
  cpuBusy: number;
  /** Per VIP label: times the address left "exactly the top node", and for how long in all. */
  falseFailovers: Record<string, number>;
  offTopMs: Record<string, number>;
}

export interface FailoverResult {
  cluster: string;
  vips: IntervalVip[];
  trials: FailoverTrial[];
  load: LoadWindow | undefined;
  /** undefined when the cluster was kept up. */
  leftovers: string[] | undefined;
}

interface Target {
  id: string;
  pid: number;
}

const FAILOVER_TIMEOUT_MS = 20_000;
const SETTLE_TIMEOUT_MS = 60_000;

class FailoverBench {
  readonly top: ClusterNodeDescription;

  constructor(
    readonly cluster: ClusterDescription,
    readonly vips: readonly IntervalVip[],
    readonly monitor: HolderMonitor,
    readonly log: (message: string) => void,
  ) {
    const top = cluster.nodes.at(-1);
    if (!top) throw new Error('the cluster has no nodes');
    this.top = top;
  }

  onlyTop(vip: IntervalVip): boolean {
    const all = this.monitor.holders(vip.address);
    const reachable = this.monitor.reachableHolders(vip.address);
    return all.length === 1 && reachable.length === 1 && reachable[0] === this.top.name;
  }

  /** Every VIP on the top node alone, then long enough for the backups to have heard it. */
  async settled(): Promise<void> {
    await this.monitor.until(
      () => this.vips.every((v) => this.onlyTop(v)),
      SETTLE_TIMEOUT_MS,
      `every VIP held by ${this.top.name} alone`,
    );
    await sleep(2_500);
    if (!this.vips.every((v) => this.onlyTop(v))) await this.settled();
  }

  async trial(fault: FailoverFault): Promise<FailoverTrial> {
    await this.settled();
    const targets = await this.prepare(fault);
    const started = nowMs();
    const acting = this.act(fault, targets);
    const moves = this.vips.map((vip) =>
      this.monitor
        .until(
          () => this.monitor.reachableHolders(vip.address).some((n) => n !== this.top.name),
          FAILOVER_TIMEOUT_MS,
          `${vip.name} on another node`,
        )
        .catch(() => NaN),
    );
    const movedAt = await Promise.all(moves);
    await acting;
    const t0 = this.faultTime(fault, started);
    const tRestore = nowMs();
    const failoverMs: Record<string, number> = {};
    const longestNoneMs: Record<string, number> = {};
    this.vips.forEach((vip, i) => {
      failoverMs[vip.label] = (movedAt[i] ?? NaN) - t0;
      longestNoneMs[vip.label] = summariseSegments(
        holderSegments(this.monitor.events, vip.address, t0, tRestore),
      ).longestNoneMs;
    });
    await this.restore(fault, targets);
    return { fault, failoverMs, longestNoneMs };
  }

  /**
   * When the fault happened: the kill itself, the kernel's link-down event (spawning `ip` under
   * load takes tens of ms), or the SIGTERM to dockerd (the engine then stops its containers).
   */
  private faultTime(fault: FailoverFault, started: number): number {
    if (fault !== 'link-cut') return started;
    const down = this.monitor.events.find(
      (e) => e.kind === 'link' && e.node === this.top.name && !e.up && e.atMs >= started - 5,
    );
    return down?.atMs ?? started;
  }

  /**
   * For a SIGKILL: the containers' restart policy set to `no` (so only the kill is measured, not a
   * restart racing it) and keepalived's host pid (pid 1 of the container: its death takes the VRRP
   * child with it).
   */
  private async prepare(fault: FailoverFault): Promise<Target[]> {
    const docker = dockerOf(this.top);
    const list = await docker.listContainers({ all: true, filters: { label: ['swarm-vip.managed=true'] } });
    return Promise.all(
      list.map(async (c) => {
        const container = docker.getContainer(c.Id);
        if (fault === 'sigkill')
          await container.update({ RestartPolicy: { Name: 'no', MaximumRetryCount: 0 } });
        const info = await container.inspect();
        return { id: c.Id, pid: info.State.Pid };
      }),
    );
  }

  private async act(fault: FailoverFault, targets: readonly Target[]): Promise<void> {
    switch (fault) {
      case 'sigkill':
        for (const t of targets) if (t.pid > 1) process.kill(t.pid, 'SIGKILL');
        return;
      case 'link-cut':
        await cutLink(this.top);
        return;
      case 'engine-stop':
        await stopNodeDockerd(this.cluster, this.top);
        return;
    }
  }

  private async restore(fault: FailoverFault, targets: readonly Target[]): Promise<void> {
    const docker = dockerOf(this.top);
    switch (fault) {
      case 'sigkill':
        for (const { id } of targets) {
          await docker.getContainer(id).update({ RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
          await docker
            .getContainer(id)
            .start()
            .catch(() => undefined);
        }
        return;
      case 'link-cut':
        await restoreLink(this.cluster, this.top);
        return;
      case 'engine-stop':
        // Restart policy `always`: the engine starts its keepalived containers again.
        await startNodeDockerd(this.cluster, this.top);
        return;
    }
  }

  async loadWindow(seconds: number, procsPerNode: number): Promise<LoadWindow> {
    await this.settled();
    const hogs: ChildProcess[] = [];
    const before = cpuTimes();
    const t0 = nowMs();
    try {
      for (const node of this.cluster.nodes) {
        for (let i = 0; i < procsPerNode; i++) hogs.push(busyLoop(node, seconds));
      }
      this.log(`load: ${hogs.length} busy loops for ${seconds} s`);
      await sleep(seconds * 1000);
    } finally {
      // SIGTERM: `timeout` passes it on to its busy loop (a SIGKILL would orphan the loop).
      for (const hog of hogs) hog.kill('SIGTERM');
    }
    const t1 = nowMs();
    const after = cpuTimes();
    const falseFailovers: Record<string, number> = {};
    const offTopMs: Record<string, number> = {};
    for (const vip of this.vips) {
      const { count, totalMs } = offTop(this.monitor.events, vip.address, this.top.name, t0, t1);
      falseFailovers[vip.label] = count;
      offTopMs[vip.label] = totalMs;
    }
    const busy = after.busy - before.busy;
    const total = busy + (after.idle - before.idle);
    return { seconds, procs: hogs.length, cpuBusy: total > 0 ? busy / total : NaN, falseFailovers, offTopMs };
  }
}

/** A bounded busy loop in the node's network namespace (busybox `timeout` ends it even if we die). */
function busyLoop(node: ClusterNodeDescription, seconds: number): ChildProcess {
  return spawn(
    'nsenter',
    [`--net=/run/netns/${node.netns}`, 'timeout', String(seconds + 5), 'sh', '-c', 'while :; do :; done'],
    { stdio: 'ignore' },
  );
}

/** Busy and idle jiffies of all CPUs together. */
function cpuTimes(): { busy: number; idle: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const [, user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .map(Number);
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait };
}

/** How often, and how long in all, the address was anything but "on the top node alone" in a window. */
export function offTop(
  events: readonly HolderEvent[],
  address: string,
  top: string,
  fromMs: number,
  toMs: number,
): { count: number; totalMs: number } {
  let count = 0;
  let totalMs = 0;
  let wasTop = true;
  for (const s of holderSegments(events, address, fromMs, toMs)) {
    const isTop = s.holders.length === 1 && s.holders[0] === top;
    if (!isTop) totalMs += s.toMs - s.fromMs;
    if (wasTop && !isTop) count++;
    wasTop = isTop;
  }
  return { count, totalMs };
}

/** Runs the trials and the load window on the bench's own cluster, and takes it down again. */
export async function benchFailover(options: FailoverOptions): Promise<FailoverResult> {
  const lockFile = path.join(tmpdir(), `swarm-vip-failover-${process.pid}.lock`);
  const { value, leftovers } = await withBenchCluster(options, async ({ cluster, dir, describe }) => {
    const vips = intervalVips(cluster, options.intervals, 'fo', 4);
    await writeVips(cluster, dir, vips);
    await reconcileOnce(dir, lockFile);
    const monitor = await HolderMonitor.start(
      cluster,
      vips.map((v) => v.address),
    );
    try {
      const bench = new FailoverBench(cluster, vips, monitor, options.log);
      const trials: FailoverTrial[] = [];
      for (const fault of options.faults) {
        for (let i = 0; i < options.trials; i++) {
          const trial = await bench.trial(fault);
          trials.push(trial);
          options.log(
            `${fault} #${i + 1}: ${vips.map((v) => `${v.label} ${ms(trial.failoverMs[v.label] ?? NaN)} ms`).join(', ')}`,
          );
        }
      }
      const load =
        options.loadSeconds > 0
          ? await bench.loadWindow(options.loadSeconds, options.loadProcsPerNode)
          : undefined;
      return { cluster: describe, vips, trials, load };
    } finally {
      await monitor.stop();
      await removeLockFile(lockFile);
    }
  });
  return { ...value, leftovers };
}

function vipTitle(vip: IntervalVip, defaultInterval: number): string {
  return vip.interval === undefined ? `default (${defaultInterval} s)` : `${vip.interval} s`;
}

/** Markdown tables of a failover run. */
export function failoverReport(r: FailoverResult, defaultInterval: number): string {
  const lines = [
    `Cluster: ${r.cluster}. VIPs side by side, all on the top node; ms from the fault to another node carrying the address (\`ip monitor\` events).`,
    '',
    '| fault | VIP (advertInterval) | trials | min | median | max | longest no reachable holder, median / max |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const fault of FAULT_KINDS) {
    const trials = r.trials.filter((t) => t.fault === fault);
    if (trials.length === 0) continue;
    for (const vip of r.vips) {
      const times = trials.map((t) => t.failoverMs[vip.label] ?? NaN);
      const ok = times.filter((t) => Number.isFinite(t));
      const s = summarise(ok);
      const none = summarise(trials.map((t) => t.longestNoneMs[vip.label] ?? NaN));
      const missed = times.length - ok.length;
      lines.push(
        `| ${FAULT_TITLES[fault]} | ${vipTitle(vip, defaultInterval)} | ${ok.length}${missed ? ` (+${missed} never)` : ''} | ${ms(s.minMs)} | ${ms(s.medianMs)} | ${ms(s.maxMs)} | ${ms(none.medianMs)} / ${ms(none.maxMs)} |`,
      );
    }
  }
  if (r.load) {
    const l = r.load;
    lines.push(
      '',
      `CPU saturated for ${l.seconds} s (${l.procs} busy loops in the nodes' namespaces; all CPUs ${(l.cpuBusy * 100).toFixed(1)} % busy):`,
      '',
      '| VIP (advertInterval) | false failovers | time not on the top node alone (ms) |',
      '|---|---|---|',
      ...r.vips.map(
        (v) =>
          `| ${vipTitle(v, defaultInterval)} | ${l.falseFailovers[v.label] ?? 'n/a'} | ${ms(l.offTopMs[v.label] ?? NaN)} |`,
      ),
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
