import type { SchedulerLike, Subscription } from 'rxjs';
import {
  anomalyKey,
  detectAnomalies,
  runsCurrentSpec,
  type Anomaly,
  type ContainerFacts,
  type NodeFacts,
} from '../core/anomalies.js';
import type { BackoffOptions } from '../core/backoff.js';
import { stopCountsAsCrash } from '../core/container-exit.js';
import { healthySince, type CrashLoopView } from '../core/crash-loops.js';
import {
  REJECTION_MEMORY_MS,
  type AdvertRejection,
  type ContainerReport,
} from '../core/container-reports.js';
import { buildStatus, type VipStatus, type VrrpState } from '../core/status.js';
import type { ActualContainer, NodeObservation } from '../core/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NodeEvent, NodeRuntime } from '../ports.js';
import { vipTraits, type VipTraits } from './anomaly-facts.js';
import { AnomalyEpisodes } from './anomaly-episodes.js';
import { IdleNodeReads } from './idle-node-reads.js';
import type { WorldView } from './pass.js';
import { SickContainers } from './sick-containers.js';
import { StaleAddressRepairs, type RepairCount, type StaleAddress } from './stale-address-repairs.js';
import type { StartGuard } from './start-guard.js';
import { Throttle } from './throttle.js';

export interface VrrpWatchOptions {
  /** A container whose keepalived stays in FAULT this long is replaced (VIPs without a health check). */
  faultReplaceMs: number;
  /** This many stops of a VIP's container on one node within `crashLoopWindowMs` is a crash loop. */
  crashLoopStops: number;
  crashLoopWindowMs: number;
  /** Delay before the n-th replacement of a sick container on one node (crash-loop backoff). */
  replaceBackoff: BackoffOptions;
  /**
   * How often the addresses of a target node that runs no managed keepalived (stopped, crash
   * looping, not created yet) are read in a helper container: nothing else reports them.
   */
  addressReadIntervalMs: number;
}

export interface VrrpWatchDeps extends VrrpWatchOptions {
  log: Logger;
  scheduler: SchedulerLike;
  /** Asks for a pass (to start or replace containers). */
  requestPass: () => void;
  /** Called on every change of what the watch knows. */
  onChange: (view: WatchView) => void;
  /** Keeps removals through other containers apart from the passes' starts of the VIP's keepalived. */
  startGuard: Pick<StartGuard, 'removal'>;
}

/** What the watch knows right now. */
export interface WatchView {
  vips: VipStatus[];
  /** Anomalies that outlasted their grace period. */
  anomalies: Anomaly[];
  /** Stale addresses removed so far, by VIP and node. */
  repairs: RepairCount[];
  /** VIPs' containers replaced for being sick, per node: how often, why, and the backoff. */
  crashLoops: CrashLoopView[];
}

export type { CrashLoopView };

/** Running managed containers on reachable nodes, by id, with their node's runtime. */
function liveContainers(world: WorldView): Map<string, { container: ActualContainer; runtime: NodeRuntime }> {
  const live = new Map<string, { container: ActualContainer; runtime: NodeRuntime }>();
  for (const node of world.actual.nodes) {
    const runtime = world.runtimes.get(node.node);
    if (!node.reachable || !runtime) continue;
    for (const c of node.containers) if (c.running) live.set(c.id, { container: c, runtime });
  }
  return live;
}

interface Followed {
  container: ActualContainer;
  runtime: NodeRuntime;
  subscription: Subscription;
  state: VrrpState;
  /** When we began to follow it: adverts it dropped before may be a replaced peer's (core/anomalies.ts). */
  sinceMs: number;
  faultSinceMs: number | undefined;
  /** Since when its keepalived has been MASTER or BACKUP without a break (see core/crash-loop-reset.ts). */
  healthySinceMs: number | undefined;
  /** The latest advert its keepalived dropped, and when. */
  rejected?: { rejection: AdvertRejection; detail: string; atMs: number };
  /** The priority its keepalived was last reloaded with since the container started (a hand-over). */
  reloadedPriority?: number;
}

/**
 * The loop's third input: each managed keepalived's own reports, followed through its log stream
 * (see core/container-reports.ts) — VRRP transitions with the node's addresses at that moment,
 * and address changes on the node. No `docker exec` per probe, no polling from here: a change is
 * known as soon as its report line arrives, and the status is rebuilt at once.
 *
 * Who holds an address is read from the nodes' interfaces (the reports; on a target node where
 * none of ours runs, a helper's reading: idle-node-reads.ts), never from keepalived's state. On
 * those facts it finds anomalies (core/anomalies.ts) and, once one outlasts its grace period
 * (anomaly-episodes.ts), repairs it: a stale address is removed from its node
 * (stale-address-repairs.ts); a missing holder asks for a pass; a split brain is an alarm. A
 * keepalived stuck in FAULT or restarting in a loop is marked sick (sick-containers.ts), and the
 * next pass replaces it, no sooner than the crash-loop backoff allows.
 */
export class VrrpWatch {
  private world: WorldView | undefined;
  private readonly followed = new Map<string, Followed>();
  /** Latest addresses reported from each node's interfaces, and when they were reported. */
  private readonly nodeAddresses = new Map<string, ReadonlySet<string>>();
  private readonly nodeAddressesAtMs = new Map<string, number>();
  /** Containers whose log stream ended (stopped) since the latest pass. */
  private readonly stopped = new Set<string>();
  /** What each container's keepalived last reported when its stream ended, until its `die` event. */
  private readonly lastStateOf = new Map<string, VrrpState>();
  /** Containers the OOM killer hit, until their `die` event. */
  private readonly oomKilled = new Set<string>();
  private readonly episodes: AnomalyEpisodes;
  private readonly throttle = new Throttle(() => this.now());
  private readonly sick: SickContainers;
  private readonly staleRepairs: StaleAddressRepairs;
  private readonly idleReads: IdleNodeReads;
  private wakeUp: Subscription | undefined;

  constructor(private readonly deps: VrrpWatchDeps) {
    this.episodes = new AnomalyEpisodes({ ...deps, now: () => this.now() });
    this.sick = new SickContainers({ ...deps, now: () => this.now() });
    this.staleRepairs = new StaleAddressRepairs({
      ...deps,
      now: () => this.now(),
      runtimeOf: (node) => this.world?.runtimes.get(node),
      addressesGone: (node, addresses) => this.forgetAddresses(node, addresses),
      removalEnded: () => this.evaluate(),
    });
    this.idleReads = new IdleNodeReads({
      ...deps,
      now: () => this.now(),
      reportsFrom: (node) => [...this.followed.values()].some((f) => f.container.node === node),
      addressesRead: (node, addresses) => this.noteAddresses(node, addresses),
      readEnded: () => this.evaluate(),
    });
  }

  /** Follows the running managed containers of the latest pass; forgets the others. */
  follow(world: WorldView): void {
    this.world = world;
    this.stopped.clear();
    const live = liveContainers(world);
    for (const [id, f] of this.followed) {
      if (live.has(id)) continue;
      f.subscription.unsubscribe();
      this.followed.delete(id);
    }
    for (const [id, { container, runtime }] of live) {
      if (!this.followed.has(id)) this.subscribe(container, runtime);
    }
    this.sick.forget(world, (id) => this.known(id, world));
    for (const id of this.lastStateOf.keys()) if (!this.known(id, world)) this.lastStateOf.delete(id);
    for (const id of this.oomKilled) if (!this.known(id, world)) this.oomKilled.delete(id);
    this.evaluate();
  }

  /**
   * Docker's word on a managed container. A `die` counts towards a crash loop only when keepalived
   * ended on its own (core/container-exit.ts): faults from outside — SIGKILL, `rm -f`, an engine
   * stopping — are repaired by a restart, and replacing the container for them would only hold
   * up the passes that repair the next fault.
   */
  noteEvent(event: NodeEvent): void {
    const id = event.containerId;
    if (id === undefined) return;
    if (event.action === 'oom') {
      this.oomKilled.add(id);
      return;
    }
    if (event.action !== 'die') return;
    const exit = {
      exitCode: event.exitCode,
      oomKilled: this.oomKilled.delete(id),
      lastState: this.followed.get(id)?.state ?? this.lastStateOf.get(id) ?? 'UNKNOWN',
    };
    this.lastStateOf.delete(id);
    const container = this.world?.actual.nodes
      .flatMap((n) => (n.reachable ? n.containers : []))
      .find((c) => c.id === id);
    if (container && stopCountsAsCrash(exit))
      this.sick.countStop(container, this.world?.runtimes.get(container.node));
  }

  /** Marks sick containers in a pass's observation, so its plan replaces them. */
  annotate(nodes: readonly NodeObservation[]): NodeObservation[] {
    return nodes.map((n) =>
      n.reachable ? { ...n, containers: n.containers.map((c) => this.annotated(c)) } : n,
    );
  }

  /** The priority the manifests give `c`'s node, when it is still targeted. */
  private manifestPriority(c: ActualContainer): number | undefined {
    return this.world?.desired.containers.find((d) => d.node === c.node && d.name === c.name)?.priority;
  }

  /** With the priority its keepalived was reloaded with, if any, and whether it is sick (sick-containers.ts). */
  private annotated(container: ActualContainer): ActualContainer {
    const reloadedPriority = this.followed.get(container.id)?.reloadedPriority;
    return this.sick.annotated(
      reloadedPriority === undefined ? container : { ...container, reloadedPriority },
    );
  }

  stop(): void {
    this.wakeUp?.unsubscribe();
    for (const f of this.followed.values()) f.subscription.unsubscribe();
    this.followed.clear();
  }

  private known(id: string, world: WorldView): boolean {
    return world.actual.nodes.some((n) => n.reachable && n.containers.some((c) => c.id === id));
  }

  private subscribe(container: ActualContainer, runtime: NodeRuntime): void {
    const entry: Followed = {
      container,
      runtime,
      subscription: undefined as unknown as Subscription,
      state: 'UNKNOWN',
      sinceMs: this.now(),
      faultSinceMs: undefined,
      healthySinceMs: undefined,
    };
    this.followed.set(container.id, entry);
    entry.subscription = runtime.reports(container.id).subscribe({
      next: (report) => this.take(entry, report),
      complete: () => this.ended(entry, true),
      error: (error: unknown) => {
        this.deps.log.debug({ node: container.node, err: describeError(error) }, 'report stream broke');
        this.ended(entry, false);
      },
    });
  }

  private take(entry: Followed, report: ContainerReport): void {
    if (report.kind === 'rejected-advert') {
      const fresh = entry.rejected === undefined || this.now() - entry.rejected.atMs >= REJECTION_MEMORY_MS;
      entry.rejected = { rejection: report.rejection, detail: report.detail, atMs: this.now() };
      // One evaluation per episode: a foreign router repeats its advert many times a second.
      if (fresh) this.evaluate();
      return;
    }
    if (report.kind === 'priority') {
      entry.reloadedPriority = report.priority;
      // Raised and never restored (the reconciler that raised it stopped mid-hand-over, and this
      // one read the raise from the log): a pass restores it (see annotate).
      if (report.priority !== this.manifestPriority(entry.container)) this.deps.requestPass();
      return;
    }
    this.noteAddresses(entry.container.node, report.addresses);
    if (report.kind === 'state')
      entry.healthySinceMs = healthySince(entry.healthySinceMs, report.state, this.now());
    if (report.kind === 'state' && report.state !== entry.state) {
      entry.state = report.state;
      entry.faultSinceMs = report.state === 'FAULT' ? this.now() : undefined;
      this.deps.log.info(
        { vip: entry.container.vip, node: entry.container.node, state: report.state },
        `${entry.container.name} on ${entry.container.node} is ${report.state}`,
      );
    }
    this.evaluate();
  }

  /** The stream ended: the container stopped (complete) or the connection broke (error). */
  private ended(entry: Followed, stopped: boolean): void {
    if (this.followed.get(entry.container.id) !== entry) return;
    this.followed.delete(entry.container.id);
    if (stopped) {
      this.stopped.add(entry.container.id);
      this.lastStateOf.set(entry.container.id, entry.state);
    }
    // Either way the next pass looks again (a broken stream reconnects with the node's events).
    this.deps.requestPass();
    this.evaluate();
  }

  private now(): number {
    return this.deps.scheduler.now();
  }

  private noteAddresses(node: string, addresses: Iterable<string>): void {
    this.nodeAddresses.set(node, new Set(addresses));
    this.nodeAddressesAtMs.set(node, this.now());
  }

  /** Rebuilds the facts, the status and the anomalies, and acts on confirmed ones. */
  private evaluate(): void {
    const world = this.world;
    if (!world) return;
    const traits = vipTraits(world);
    const confirmed = this.episodes.confirm(detectAnomalies(traits, this.nodeFacts(world)), traits);
    for (const anomaly of confirmed) this.act(anomaly, traits);
    this.checkFaults(traits);
    for (const f of this.followed.values()) this.sick.forgiveHealthyRun(f.container, f.healthySinceMs);
    this.idleReads.read(world);
    this.deps.onChange({
      vips: this.status(world),
      anomalies: confirmed,
      repairs: this.staleRepairs.repairCounts(),
      crashLoops: this.sick.views(),
    });
    this.scheduleWakeUp();
  }

  private nodeFacts(world: WorldView): NodeFacts[] {
    return world.actual.nodes.map((n) => {
      const claims = new Set(world.claims.filter((c) => c.container.node === n.node).map((c) => c.vip));
      if (!n.reachable) {
        return {
          node: n.node,
          reachable: false,
          addresses: undefined,
          containers: [],
          foreignClaims: claims,
        };
      }
      return {
        node: n.node,
        reachable: true,
        addresses: this.nodeAddresses.get(n.node),
        containers: n.containers.map((c) => ({
          vip: c.vip,
          name: c.name,
          running: this.isRunning(c),
          state: this.followed.get(c.id)?.state ?? 'UNKNOWN',
          current: runsCurrentSpec(world.desired, c),
          speaksSinceMs: this.followed.get(c.id)?.sinceMs,
          ...this.recentRejection(c.id),
        })),
        foreignClaims: claims,
      };
    });
  }

  private recentRejection(id: string): Pick<ContainerFacts, 'rejected'> {
    const rejected = this.followed.get(id)?.rejected;
    if (!rejected || this.now() - rejected.atMs >= REJECTION_MEMORY_MS) return {};
    return { rejected };
  }

  private isRunning(c: ActualContainer): boolean {
    return c.running && !this.stopped.has(c.id);
  }

  /**
   * Holders are the nodes whose interfaces carry the address as last reported, not the nodes
   * whose keepalived we follow: a node whose keepalived stopped or was killed stays a holder (and
   * a stale address) until a report from it, or a helper's reading, shows the address gone.
   */
  private status(world: WorldView): VipStatus[] {
    const states = new Map([...this.followed].map(([id, f]) => [id, f.state]));
    const nodes = world.actual.nodes.map((n) =>
      n.reachable ? { ...n, containers: n.containers.map((c) => ({ ...c, running: this.isRunning(c) })) } : n,
    );
    return buildStatus(world.desired, nodes, { states, nodeAddresses: this.nodeAddresses });
  }

  private act(anomaly: Anomaly, traits: readonly VipTraits[]): void {
    switch (anomaly.kind) {
      case 'stale-address':
        return this.removeStale(anomaly, traits);
      case 'no-holder':
        return this.throttle.run(anomalyKey(anomaly), 5000, () => this.deps.requestPass());
      case 'split-brain':
      case 'vrid-clash':
        return;
      default: {
        const unknown: never = anomaly;
        throw new Error(`unknown anomaly ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Hands a confirmed stale address to its repair (stale-address-repairs.ts) with what the watch knows. */
  private removeStale(anomaly: StaleAddress, traits: readonly VipTraits[]): void {
    const world = this.world;
    const trait = traits.find((t) => t.vip === anomaly.vip);
    if (!world || !trait) return;
    this.staleRepairs.repair(anomaly, {
      trait,
      onNode: [...this.followed.values()]
        .filter((f) => f.container.node === anomaly.node)
        .map((f) => ({ id: f.container.id, name: f.container.name, vip: f.container.vip })),
      image: world.desired.containers.find((c) => c.vip === anomaly.vip)?.image,
      firstSeenMs: this.episodes.firstSeenMs(anomaly),
      inBackoff: this.sick.backoffUntilMs(anomaly.vip, anomaly.node) !== undefined,
      addressesAtMs: this.nodeAddressesAtMs.get(anomaly.node),
    });
  }

  /** Removed: the watch notes it itself (after a helper, no keepalived there reports it at all). */
  private forgetAddresses(node: string, removed: readonly string[]): void {
    const known = this.nodeAddresses.get(node);
    if (known)
      this.noteAddresses(
        node,
        [...known].filter((a) => !removed.includes(a)),
      );
  }

  /** A keepalived in FAULT for too long (without a health check to explain it) is sick. */
  private checkFaults(traits: readonly VipTraits[]): void {
    for (const f of this.followed.values()) {
      if (f.faultSinceMs === undefined || this.sick.isSick(f.container.id)) continue;
      if (traits.find((t) => t.vip === f.container.vip)?.hasHealthCheck !== false) continue;
      const forMs = this.now() - f.faultSinceMs;
      if (forMs >= this.deps.faultReplaceMs) {
        this.sick.markSick(
          f.container,
          f.runtime,
          `keepalived stayed in FAULT for ${Math.round(forMs / 1000)} s`,
        );
      }
    }
  }

  /** When a FAULT becomes sick, a healthy run clears a crash loop, and a dropped advert is forgotten. */
  private containerTimers(now: number): number[] {
    const due: number[] = [];
    for (const f of this.followed.values()) {
      if (f.faultSinceMs !== undefined) due.push(f.faultSinceMs + this.deps.faultReplaceMs);
      const forgivenAtMs = (f.healthySinceMs ?? 0) + this.deps.crashLoopWindowMs;
      if (
        f.healthySinceMs !== undefined &&
        forgivenAtMs > now &&
        this.sick.hasRecord(f.container.vip, f.container.node)
      )
        due.push(forgivenAtMs);
      if (f.rejected && f.rejected.atMs + REJECTION_MEMORY_MS > now)
        due.push(f.rejected.atMs + REJECTION_MEMORY_MS);
    }
    return due;
  }

  /** Evaluates again when the earliest pending anomaly or FAULT timer is due. */
  private scheduleWakeUp(): void {
    this.wakeUp?.unsubscribe();
    const now = this.now();
    const due: number[] = [];
    due.push(...this.episodes.dueMs(now));
    due.push(...this.containerTimers(now));
    due.push(...this.idleReads.dueMs(now));
    if (due.length === 0) return;
    const delay = Math.max(10, Math.min(...due) - now);
    this.wakeUp = this.deps.scheduler.schedule(() => this.evaluate(), delay);
  }
}
