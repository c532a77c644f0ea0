/**
 * Who holds a VIP, recorded from the kernel's own events: one `ip -ts -o monitor link address` per
 * node, run in the node's network namespace (nsenter --net). Nothing is polled: each address added
 * or deleted, and each change of the node's cluster link, arrives as a netlink event stamped by
 * `ip` itself (so a busy bench process does not skew the timeline).
 *
 * A node holds an address while the address is on one of its interfaces; it is a *reachable*
 * holder while its cluster link is also up (a node whose cable is pulled may still carry the
 * address, but no client reaches it). The failover and chaos benchmarks share this recorder and
 * the pure timeline analysis below.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import type { ClusterDescription, ClusterNodeDescription } from '../test/cluster/index.js';
import { inNode } from '../test/cluster/index.js';

/** Epoch milliseconds with sub-millisecond precision: the clock of every benchmark timeline. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** One change seen on one node. */
export type HolderEvent =
  | { kind: 'address'; atMs: number; node: string; address: string; present: boolean }
  | { kind: 'link'; atMs: number; node: string; up: boolean };

/** What a node looks like at one moment. */
interface NodeState {
  addresses: Set<string>;
  linkUp: boolean;
}

/** `[2026-12-01T07:32:06.800115] ...` → epoch ms (ip prints local time; we run it with TZ=UTC). */
export function parseStamp(line: string): { atMs: number; rest: string } | undefined {
  const match = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\]\s*(.*)$/.exec(line);
  if (!match?.[1]) return undefined;
  const whole = Date.parse(`${match[1]}Z`);
  if (!Number.isFinite(whole)) return undefined;
  return { atMs: whole + Number(match[2] ?? 0) * 1000, rest: match[3] ?? '' };
}

/**
 * One line of `ip -o monitor link address` (timestamp already removed), as an event of `node`
 * when it concerns one of `addresses` or the node's cluster interface `iface`.
 */
export function parseMonitorLine(
  rest: string,
  atMs: number,
  node: string,
  iface: string,
  addresses: ReadonlySet<string>,
): HolderEvent | undefined {
  const deleted = rest.startsWith('Deleted ');
  const body = deleted ? rest.slice('Deleted '.length) : rest;
  const address = /^\d+:\s+\S+\s+inet6?\s+([0-9a-fA-F.:]+)\//.exec(body)?.[1]?.toLowerCase();
  if (address !== undefined) {
    return addresses.has(address) ? { kind: 'address', atMs, node, address, present: !deleted } : undefined;
  }
  // "2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 ... state UP ..."
  const link = /^\d+:\s+([^:@\s]+)(?:@[^:\s]+)?:\s+<([^>]*)>/.exec(body);
  if (!link || link[1] !== iface) return undefined;
  const flags = (link[2] ?? '').split(',');
  const up = !deleted && flags.includes('UP') && flags.includes('LOWER_UP') && !flags.includes('NO-CARRIER');
  return { kind: 'link', atMs, node, up };
}

/** Records address and link events of every node of `cluster` for the given VIP addresses. */
export class HolderMonitor {
  /** Every event, in arrival order (per node in kernel order). */
  readonly events: HolderEvent[] = [];
  private readonly state = new Map<string, NodeState>();
  private readonly children: ChildProcess[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly wanted: Set<string>;

  private constructor(
    readonly cluster: ClusterDescription,
    addresses: readonly string[],
  ) {
    this.wanted = new Set(addresses.map((a) => a.toLowerCase()));
  }

  /**
   * Starts one monitor per node, then reads each node's addresses and link once (the state the
   * events start from). Start it while nothing is changing: an event that races the first read is
   * applied on top of it, which is right for every event that happened after the read.
   */
  static async start(cluster: ClusterDescription, addresses: readonly string[]): Promise<HolderMonitor> {
    const monitor = new HolderMonitor(cluster, addresses);
    for (const node of cluster.nodes) monitor.follow(node);
    // Let every `ip monitor` subscribe to netlink before the snapshot is read.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await Promise.all(cluster.nodes.map((node) => monitor.snapshot(node)));
    return monitor;
  }

  private follow(node: ClusterNodeDescription): void {
    this.state.set(node.name, { addresses: new Set(), linkUp: true });
    // SCHED_FIFO: `ip` stamps each event when it reads it, so on a saturated machine a starved
    // monitor would stamp late; the instrument must not wait behind the load it measures.
    const child = spawn(
      'nsenter',
      [`--net=/run/netns/${node.netns}`, 'chrt', '-f', '10', 'ip', '-ts', '-o', 'monitor', 'link', 'address'],
      {
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', TZ: 'UTC' },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    this.children.push(child);
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const stamped = parseStamp(line);
      if (!stamped) return;
      const event = parseMonitorLine(stamped.rest, stamped.atMs, node.name, node.interface, this.wanted);
      if (event) this.apply(event);
    });
  }

  private async snapshot(node: ClusterNodeDescription): Promise<void> {
    const atMs = nowMs();
    const addrs = await inNode(node, 'ip', ['-o', 'addr', 'show'], { timeoutMs: 5_000 });
    const link = await inNode(node, 'ip', ['-o', 'link', 'show', 'dev', node.interface], {
      timeoutMs: 5_000,
    });
    const state = this.state.get(node.name);
    if (!state) return;
    for (const line of addrs.stdout.split('\n')) {
      const event = parseMonitorLine(line, atMs, node.name, node.interface, this.wanted);
      if (event?.kind === 'address' && !state.addresses.has(event.address)) this.apply(event);
    }
    const linkEvent = parseMonitorLine(link.stdout.trim(), atMs, node.name, node.interface, this.wanted);
    if (linkEvent?.kind === 'link' && linkEvent.up !== state.linkUp) this.apply(linkEvent);
  }

  private apply(event: HolderEvent): void {
    const state = this.state.get(event.node);
    if (!state) return;
    if (event.kind === 'address') {
      if (event.present) state.addresses.add(event.address);
      else state.addresses.delete(event.address);
    } else {
      state.linkUp = event.up;
    }
    this.events.push(event);
    for (const wake of [...this.waiters]) wake();
  }

  /** Nodes carrying `address` right now, reachable or not. */
  holders(address: string): string[] {
    const wanted = address.toLowerCase();
    return [...this.state].filter(([, s]) => s.addresses.has(wanted)).map(([name]) => name);
  }

  /** Nodes carrying `address` right now whose cluster link is up. */
  reachableHolders(address: string): string[] {
    const wanted = address.toLowerCase();
    return [...this.state].filter(([, s]) => s.linkUp && s.addresses.has(wanted)).map(([name]) => name);
  }

  /**
   * Resolves with the time (ms, the stamp of the event that made it true, or now if it already
   * holds) when `condition` first holds; rejects after `timeoutMs`. Checked on every event: no poll.
   */
  until(condition: () => boolean, timeoutMs: number, description: string): Promise<number> {
    if (condition()) return Promise.resolve(nowMs());
    return new Promise((resolve, reject) => {
      const wake = (): void => {
        if (!condition()) return;
        done();
        resolve(this.events.at(-1)?.atMs ?? nowMs());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${description}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
    });
  }

  /** Stops every `ip monitor` (by its own pid) and waits for them to exit, bounded. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => {
              child.kill('SIGKILL');
              resolve();
            }, 2_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }
}

/** A stretch of time during which the set of reachable holders of one address did not change. */
export interface Segment {
  fromMs: number;
  toMs: number;
  holders: string[];
}

/**
 * The reachable holders of `address` over [fromMs, toMs] (every holder, reachable or not, with
 * `reachableOnly: false`), replayed from `events` (which must hold every event since the monitor
 * started, so the state at `fromMs` is known).
 */
export function holderSegments(
  events: readonly HolderEvent[],
  address: string,
  fromMs: number,
  toMs: number,
  { reachableOnly = true } = {},
): Segment[] {
  const wanted = address.toLowerCase();
  const has = new Map<string, boolean>();
  const up = new Map<string, boolean>();
  const reachable = (): string[] =>
    [...has]
      .filter(([node, held]) => held && (!reachableOnly || up.get(node) !== false))
      .map(([node]) => node)
      .sort();
  const segments: Segment[] = [];
  let start = fromMs;
  const sorted = [...events].sort((a, b) => a.atMs - b.atMs);
  for (const event of sorted) {
    if (event.kind === 'address' && event.address !== wanted) continue;
    if (event.atMs > toMs) break;
    const before = reachable();
    if (event.kind === 'address') has.set(event.node, event.present);
    else up.set(event.node, event.up);
    if (event.atMs <= fromMs) continue;
    const after = reachable();
    if (after.join() === before.join()) continue;
    if (event.atMs > start) segments.push({ fromMs: start, toMs: event.atMs, holders: before });
    start = Math.max(start, event.atMs);
  }
  segments.push({ fromMs: start, toMs, holders: reachable() });
  return segments.filter((s) => s.toMs > s.fromMs);
}

/** Time with exactly one, no and several reachable holders in a window, and the longest stretches. */
export interface WindowSummary {
  totalMs: number;
  exactlyOneMs: number;
  noneMs: number;
  severalMs: number;
  longestNoneMs: number;
  longestSeveralMs: number;
}

/** Sums `segments` (consecutive stretches with the same count are joined for the longest ones). */
export function summariseSegments(segments: readonly Segment[]): WindowSummary {
  const out: WindowSummary = {
    totalMs: 0,
    exactlyOneMs: 0,
    noneMs: 0,
    severalMs: 0,
    longestNoneMs: 0,
    longestSeveralMs: 0,
  };
  let run = { kind: '', ms: 0 };
  for (const s of segments) {
    const length = s.toMs - s.fromMs;
    const kind = s.holders.length === 0 ? 'none' : s.holders.length === 1 ? 'one' : 'several';
    out.totalMs += length;
    if (kind === 'one') out.exactlyOneMs += length;
    else if (kind === 'none') out.noneMs += length;
    else out.severalMs += length;
    run = run.kind === kind ? { kind, ms: run.ms + length } : { kind, ms: length };
    if (kind === 'none') out.longestNoneMs = Math.max(out.longestNoneMs, run.ms);
    if (kind === 'several') out.longestSeveralMs = Math.max(out.longestSeveralMs, run.ms);
  }
  return out;
}
