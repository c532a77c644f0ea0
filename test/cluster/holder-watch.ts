/**
 * Watches which nodes carry an address, from the kernel's own address events in every node
 * (`ip -o monitor address` in each node's namespace), so a test can say the address was never lost
 * (or never held twice) over a whole operation, not only at the moments it happened to look.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, readdir, readlink } from 'node:fs/promises';
import type { ClusterDescription } from './description.js';
import { ClusterError } from './errors.js';
import { cleanEnv } from './exec.js';
import { addressesOf } from './helpers.js';
import { waitFor } from './wait-for.js';

/** One change seen on a node: it gained (`held`) or lost the address, at `atMs` (epoch ms). */
export interface HolderChange {
  atMs: number;
  node: string;
  held: boolean;
}

/** A stretch of time in which the number of holders was not one. */
export interface HolderGap {
  fromMs: number;
  toMs: number;
  holders: string[];
}

export interface HolderReport {
  /** Holders when the watch started. */
  initialHolders: string[];
  changes: HolderChange[];
  /** Periods with no node holding the address. */
  lost: HolderGap[];
  /** Periods with two or more nodes holding it. */
  shared: HolderGap[];
  /** Holders when the watch stopped. */
  finalHolders: string[];
}

/** "Deleted 2: eth0    inet 198.18.0.100/24 scope global secondary eth0 ..." → [deleted, address]. */
export function parseMonitorLine(line: string): { deleted: boolean; address: string } | undefined {
  const match = /^(Deleted\s+)?\d+:\s+\S+\s+inet6?\s+([0-9a-f.:]+)\//i.exec(line.trim());
  if (!match?.[2]) return undefined;
  return { deleted: match[1] !== undefined, address: match[2].toLowerCase() };
}

/** The periods of `changes` (starting from `initial` at `startMs`) in which the holder count fails `ok`. */
export function gapsOf(
  initial: readonly string[],
  changes: readonly HolderChange[],
  startMs: number,
  endMs: number,
  bad: (count: number) => boolean,
): HolderGap[] {
  const holders = new Set(initial);
  const gaps: HolderGap[] = [];
  let open: HolderGap | undefined = bad(holders.size)
    ? { fromMs: startMs, toMs: endMs, holders: [...holders] }
    : undefined;
  for (const change of changes) {
    if (change.held) holders.add(change.node);
    else holders.delete(change.node);
    if (bad(holders.size)) {
      if (open) open.holders = [...new Set([...open.holders, ...holders])];
      else open = { fromMs: change.atMs, toMs: endMs, holders: [...holders] };
    } else if (open) {
      open.toMs = change.atMs;
      gaps.push(open);
      open = undefined;
    }
  }
  if (open) gaps.push(open);
  return gaps;
}

/**
 * When `node` first held the address alone (no other node with it) after the watch started, from
 * the report's changes; undefined if it never did.
 */
export function firstHeldAlone(
  report: Pick<HolderReport, 'initialHolders' | 'changes'>,
  node: string,
): HolderChange | undefined {
  const holders = new Set(report.initialHolders);
  for (const change of report.changes) {
    if (change.held) holders.add(change.node);
    else holders.delete(change.node);
    if (holders.size === 1 && holders.has(node)) return change;
  }
  return undefined;
}

/**
 * Whether process `pid` has a netlink socket subscribed to multicast groups (the last columns of
 * /proc/<pid>/net/netlink: `sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode`), i.e. `ip monitor`
 * has bound its socket and the kernel queues every event from then on, even before it reads them.
 */
async function monitorSubscribed(pid: number): Promise<boolean> {
  const inodes = new Set<string>();
  // A handful of descriptors for `ip monitor`; bounded anyway.
  for (const fd of (await readdir(`/proc/${pid}/fd`)).slice(0, 64)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const table = (await readFile(`/proc/${pid}/net/netlink`, 'utf8')).slice(0, 1_000_000);
  return table
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .some(([, protocol, , groups, , , , , , inode]) => {
      // Protocol 0 is NETLINK_ROUTE; groups is a hex mask, zero until subscribed.
      return protocol === '0' && /[1-9a-f]/i.test(groups ?? '') && inodes.has(inode ?? '');
    });
}

export class HolderWatch {
  private readonly changes: HolderChange[] = [];
  private readonly monitors: ChildProcess[] = [];
  private initial: string[] = [];
  private startMs = 0;

  private constructor(
    private readonly cluster: ClusterDescription,
    private readonly address: string,
  ) {}

  /** Starts one monitor per node, then reads who holds the address now. */
  static async start(cluster: ClusterDescription, address: string): Promise<HolderWatch> {
    const watch = new HolderWatch(cluster, address.split('/')[0]?.toLowerCase() ?? address);
    await watch.begin();
    return watch;
  }

  private async begin(): Promise<void> {
    for (const node of this.cluster.nodes) {
      const child = spawn('nsenter', [`--net=/run/netns/${node.netns}`, 'ip', '-o', 'monitor', 'address'], {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let buffered = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const event = parseMonitorLine(line);
          if (event?.address === this.address)
            this.changes.push({ atMs: Date.now(), node: node.name, held: !event.deleted });
        }
      });
      this.monitors.push(child);
    }
    // Each monitor must be subscribed before the first picture: a change between the picture and
    // its subscription would be in neither. Waited for, not assumed after a fixed delay (a loaded
    // machine can take longer to start nsenter and ip).
    try {
      await Promise.all(
        this.monitors.map((child, i) =>
          waitFor(
            async () => {
              if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
                throw new ClusterError('command-failed', 'ip monitor exited');
              return monitorSubscribed(child.pid);
            },
            {
              timeoutMs: 15_000,
              intervalMs: 20,
              description: `ip monitor in ${this.cluster.nodes[i]?.netns ?? '?'} to subscribe`,
            },
          ),
        ),
      );
    } catch (error) {
      for (const child of this.monitors) child.kill('SIGTERM');
      throw error;
    }
    this.startMs = Date.now();
    const held = await Promise.all(
      this.cluster.nodes.map(async (node) => (await addressesOf(node)).includes(this.address)),
    );
    this.initial = this.cluster.nodes.filter((_, i) => held[i]).map((node) => node.name);
    // Changes before the picture are in it already.
    this.changes.splice(0, this.changes.filter((change) => change.atMs < this.startMs).length);
  }

  /** Stops the monitors and reports every period without exactly one holder. */
  stop(): HolderReport {
    for (const child of this.monitors) child.kill('SIGTERM');
    return this.report();
  }

  /** What the monitors have seen so far (they keep watching): to wait for a sequence of changes. */
  report(): HolderReport {
    const endMs = Date.now();
    const changes = [...this.changes];
    const final = new Set(this.initial);
    for (const change of changes) {
      if (change.held) final.add(change.node);
      else final.delete(change.node);
    }
    return {
      initialHolders: [...this.initial],
      changes,
      lost: gapsOf(this.initial, changes, this.startMs, endMs, (count) => count === 0),
      shared: gapsOf(this.initial, changes, this.startMs, endMs, (count) => count > 1),
      finalHolders: [...final].sort(),
    };
  }
}
