import { backoffDelayMs, type BackoffOptions } from '../core/backoff.js';
import { crashLoopForgiven, type CrashLoopView } from '../core/crash-loops.js';
import type { ActualContainer } from '../core/types.js';
import type { Logger } from '../log.js';
import type { NodeRuntime } from '../ports.js';
import type { WorldView } from './pass.js';

export interface SickContainersDeps {
  log: Logger;
  now: () => number;
  /** Asks for a pass, which replaces what is marked sick. */
  requestPass: () => void;
  /** This many stops of a VIP's container on one node within `crashLoopWindowMs` is a crash loop. */
  crashLoopStops: number;
  crashLoopWindowMs: number;
  /** Delay before the n-th replacement of a sick container on one node (crash-loop backoff). */
  replaceBackoff: BackoffOptions;
}

/** One VIP's keepalived on one node: its recent stops and replacements. */
interface Record {
  failures: number;
  nextAllowedMs: number;
  stopsMs: number[];
  container?: string;
  /** Spec hash of the container found sick: a new spec (the fix) starts afresh. */
  specHash?: string;
  reason?: string;
}

/**
 * The crash-loop book of the VRRP watch (vrrp-watch.ts): which managed containers are sick (a
 * keepalived that crashes again and again, or stays in FAULT) and must be replaced, and the
 * backoff per VIP and node that keeps a broken image from thrashing the node. Records are kept
 * per VIP and node, since a replacement is a new container; a new spec (the fix) or a whole
 * crash-loop window of healthy running clears them.
 */
export class SickContainers {
  private readonly records = new Map<string, Record>();
  /** Containers marked for replacement, with the reason. */
  private readonly sick = new Map<string, string>();

  constructor(private readonly deps: SickContainersDeps) {}

  isSick(containerId: string): boolean {
    return this.sick.has(containerId);
  }

  /** Whether a record (stops or replacements) exists for the VIP on the node. */
  hasRecord(vip: string, node: string): boolean {
    return this.records.has(key(vip, node));
  }

  /** Until when the VIP's keepalived on the node waits out its crash-loop backoff, if it does. */
  backoffUntilMs(vip: string, node: string): number | undefined {
    const entry = this.records.get(key(vip, node));
    if (!entry || entry.failures === 0 || this.deps.now() >= entry.nextAllowedMs) return undefined;
    return entry.nextAllowedMs;
  }

  /** Sick: the pass replaces it; else waiting out its node's backoff: the pass leaves it be. */
  annotated(c: ActualContainer): ActualContainer {
    const sick = this.sick.get(c.id);
    if (sick !== undefined) return { ...c, sick };
    const until = this.backoffUntilMs(c.vip, c.node);
    if (until === undefined) return c;
    const failures = this.records.get(key(c.vip, c.node))?.failures ?? 0;
    const at = new Date(until).toISOString();
    return { ...c, crashLoopBackoff: `crash loop: replaced ${failures} times, waiting until ${at}` };
  }

  /**
   * Forgets containers that are gone, and the records of VIPs and nodes no longer declared or
   * whose spec changed (the fix).
   */
  forget(world: WorldView, known: (containerId: string) => boolean): void {
    for (const id of this.sick.keys()) if (!known(id)) this.sick.delete(id);
    const specs = new Map(world.desired.containers.map((c) => [key(c.vip, c.node), c.specHash]));
    for (const [k, entry] of this.records) {
      const spec = specs.get(k);
      if (spec === undefined || (entry.specHash !== undefined && entry.specHash !== spec)) {
        this.records.delete(k);
      }
    }
  }

  /** A stop of keepalived on its own; the `crashLoopStops`-th within the window makes it sick. */
  countStop(container: ActualContainer, runtime: NodeRuntime | undefined): void {
    const entry = this.recordOf(container);
    const now = this.deps.now();
    entry.stopsMs = [...entry.stopsMs.filter((t) => now - t < this.deps.crashLoopWindowMs), now];
    if (entry.stopsMs.length >= this.deps.crashLoopStops && runtime) {
      const seconds = Math.round(this.deps.crashLoopWindowMs / 1000);
      this.markSick(container, runtime, `stopped ${entry.stopsMs.length} times within ${seconds} s`);
    }
  }

  /** Marks a container for replacement by the next pass, no sooner than its node's backoff allows. */
  markSick(container: ActualContainer, runtime: NodeRuntime, why: string): void {
    const entry = this.recordOf(container);
    if (this.sick.has(container.id) || this.deps.now() < entry.nextAllowedMs) return;
    entry.failures += 1;
    entry.stopsMs = [];
    entry.nextAllowedMs = this.deps.now() + backoffDelayMs(entry.failures, this.deps.replaceBackoff);
    entry.container = container.name;
    entry.specHash = container.specHash;
    entry.reason = why;
    this.sick.set(container.id, why);
    void runtime
      .recentLogs(container.id)
      .catch(() => '(logs unavailable)')
      .then((logs) => {
        const reason = `${why}; last log lines: ${logs}`;
        entry.reason = reason;
        if (this.sick.has(container.id)) this.sick.set(container.id, reason);
        this.deps.log.warn(
          { vip: container.vip, node: container.node, container: container.name, failures: entry.failures },
          `${container.name} on ${container.node} is sick and will be replaced: ${reason}`,
        );
        this.deps.requestPass();
      });
  }

  /**
   * A VIP's keepalived on a node that has done its job for a whole crash-loop window starts again
   * with a clean record: no stops, no replacements, no backoff.
   */
  forgiveHealthyRun(container: ActualContainer, healthySinceMs: number | undefined): void {
    const k = key(container.vip, container.node);
    const entry = this.records.get(k);
    if (!entry || this.sick.has(container.id)) return;
    const run = { healthySinceMs, lastStopMs: entry.stopsMs.at(-1) };
    if (!crashLoopForgiven(run, this.deps.now(), this.deps.crashLoopWindowMs)) return;
    this.records.delete(k);
    if (entry.failures > 0) {
      const seconds = Math.round(this.deps.crashLoopWindowMs / 1000);
      this.deps.log.info(
        { vip: container.vip, node: container.node, container: container.name },
        `${container.name} on ${container.node} ran healthy for ${seconds} s: its crash-loop record (${entry.failures} replacements) is cleared`,
      );
    }
  }

  /** The crash loops as status and `/status` show them. */
  views(): CrashLoopView[] {
    const now = this.deps.now();
    return [...this.records.entries()]
      .filter(([, e]) => e.failures > 0)
      .map(([k, e]) => {
        const [vip = '', node = ''] = k.split('/');
        return {
          vip,
          node,
          container: e.container ?? '',
          replacements: e.failures,
          reason: e.reason ?? '',
          ...(now < e.nextAllowedMs ? { backoffUntil: new Date(e.nextAllowedMs).toISOString() } : {}),
        };
      });
  }

  private recordOf(container: ActualContainer): Record {
    const k = key(container.vip, container.node);
    const entry = this.records.get(k) ?? { failures: 0, nextAllowedMs: 0, stopsMs: [] };
    this.records.set(k, entry);
    return entry;
  }
}

function key(vip: string, node: string): string {
  return `${vip}/${node}`;
}
