import {
  EMPTY,
  Subject,
  asyncScheduler,
  interval,
  merge,
  switchMap,
  tap,
  timer,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Anomaly } from '../core/anomalies.js';
import type { RevisionAudit } from '../core/revision-audit.js';
import type { BackoffOptions } from '../core/backoff.js';
import { NO_FACTS, buildStatus, needsReconcile, type VipStatus } from '../core/status.js';
import { describeError } from '../errors.js';
import type { ManifestSource, NodeRuntime } from '../ports.js';
import { observeNodes } from './observe.js';
import { runPass, type PassDeps, type PassResult } from './pass.js';
import { PassInputsCache } from './pass-inputs.js';
import { PassRunner } from './pass-runner.js';
import type { RevisionTracker } from './revision-tracker.js';
import { StartGuard } from './start-guard.js';
import { VrrpWatch, type VrrpWatchOptions, type WatchView } from './vrrp-watch.js';

export interface LoopDeps extends PassDeps {
  manifests: ManifestSource;
  resyncIntervalMs: number;
  healthIntervalMs: number;
  /** After the latest of a burst of passes, probe this much later, once VRRP has settled. */
  settleMs: number;
  requeue: BackoffOptions;
  /** Timers run on this scheduler (tests pass their own). */
  scheduler?: SchedulerLike;
  /** Called after every pass and every change the VRRP watch sees, with the freshest view. */
  onStatus?: (status: LoopStatus) => void;
  /** Called when a pass threw before it could plan (manifests unreadable, manager unreachable). */
  onPassError?: (error: unknown) => void;
  /** Called after every health probe (or tick without a world to probe yet): a sign of life for `/livez`. */
  onHeartbeat?: () => void;
  /** Sick-container rules of the VRRP watch (defaults: see DEFAULT_WATCH_OPTIONS). */
  watch?: Partial<VrrpWatchOptions>;
  /** Keeps the applied and the last attempted manifest revision. */
  revisions?: RevisionTracker;
}

export interface LoopStatus {
  lastPass?: PassResult;
  /** The revision applied by the latest successful pass and the latest one attempted, with why. */
  revisions?: RevisionAudit;
  vips: VipStatus[];
  /** Anomalies that outlasted their grace period (stale address, no holder, split brain, VRID clash). */
  anomalies: Anomaly[];
  /** Stale addresses removed so far, by VIP and node. */
  repairs: WatchView['repairs'];
  /** Containers replaced for being sick (FAULT, restarting in a loop), with the reason and backoff. */
  crashLoops: WatchView['crashLoops'];
  updatedAtMs: number;
}

/**
 * FAULT for 10 s, or 3 stops within a minute, is sick; replacements back off from 10 s to 5 min.
 * A target node with no keepalived of ours running has its addresses read every 5 s.
 */
export const DEFAULT_WATCH_OPTIONS: VrrpWatchOptions = {
  faultReplaceMs: 10_000,
  crashLoopStops: 3,
  crashLoopWindowMs: 60_000,
  replaceBackoff: { baseMs: 10_000, maxMs: 300_000 },
  addressReadIntervalMs: 5000,
};

/**
 * Watch mode. Merges the inputs into triggers for the PassRunner: manifest changes, swarm node
 * changes, Docker events of managed containers on every node (the streams follow the node set of
 * the latest pass), a slow full resync, and health probes that trigger a pass only when a pass
 * would change something. Triggers carry no information: every pass reads every node's
 * containers. Only a manifest change re-reads the manifests, only a node event (or the resync)
 * the swarm's node list; the resync re-reads everything, the safety net for a missed event.
 */
export class ReconcileLoop {
  private readonly sources: Subscription[] = [];
  private readonly eventStreams = new Map<NodeRuntime, Subscription>();
  private readonly settle = new Subject<void>();
  private readonly runner: PassRunner<PassResult>;
  /** Artifacts kept between passes: re-read only when their own source says so. */
  private readonly inputs: PassInputsCache;
  private readonly scheduler: SchedulerLike;
  private readonly watch: VrrpWatch;
  private status: LoopStatus = { vips: [], anomalies: [], repairs: [], crashLoops: [], updatedAtMs: 0 };
  private probing = false;

  constructor(private readonly deps: LoopDeps) {
    this.scheduler = deps.scheduler ?? asyncScheduler;
    const startGuard = new StartGuard(() => this.scheduler.now());
    this.watch = new VrrpWatch({
      ...DEFAULT_WATCH_OPTIONS,
      ...deps.watch,
      log: deps.log,
      scheduler: this.scheduler,
      requestPass: () => this.runner.trigger(),
      onChange: (view) => this.publish(view),
      startGuard,
    });
    this.inputs = new PassInputsCache(deps);
    this.runner = new PassRunner<PassResult>({
      run: () =>
        runPass({ ...deps, annotate: (nodes) => this.watch.annotate(nodes), startGuard }, this.inputs),
      failed: (result) => result.requeue.kind === 'backoff',
      onResult: (result) => this.afterPass(result),
      onError: (error) => {
        deps.log.error({ err: describeError(error) }, 'pass failed; requeued');
        deps.onPassError?.(error);
      },
      requeue: deps.requeue,
      setTimer: (fn, ms) => {
        const action = this.scheduler.schedule(fn, ms);
        return () => action.unsubscribe();
      },
    });
  }

  start(): void {
    const { manifests, resyncIntervalMs, healthIntervalMs, settleMs } = this.deps;
    this.sources.push(
      merge(
        manifests.changes().pipe(tap(() => this.inputs.manifestsChanged())),
        (this.deps.directory.changes?.() ?? EMPTY).pipe(tap(() => this.inputs.nodesChanged())),
        interval(resyncIntervalMs, this.scheduler).pipe(tap(() => this.inputs.resync())),
      ).subscribe(() => this.runner.trigger()),
      merge(
        interval(healthIntervalMs, this.scheduler),
        this.settle.pipe(switchMap(() => timer(settleMs, this.scheduler))),
      ).subscribe(() => void this.probeHealth()),
    );
    this.runner.trigger();
  }

  /** Finishes the pass in flight, then closes every stream. */
  async stop(): Promise<void> {
    for (const s of this.sources) s.unsubscribe();
    for (const s of this.eventStreams.values()) s.unsubscribe();
    this.eventStreams.clear();
    await this.runner.stop();
    this.watch.stop();
  }

  private afterPass(result: PassResult): void {
    this.followEvents(result.runtimes);
    const revisions = this.deps.revisions?.afterPass(result);
    this.publish(revisions ? { lastPass: result, revisions } : { lastPass: result });
    this.watch.follow(result);
    // One look after a burst of passes that changed something, once VRRP has settled, rather
    // than one per pass. A pass that changed nothing (the resync of an idle daemon) has nothing
    // to settle: the health probes go on as usual.
    if (result.outcomes.length > 0) this.settle.next();
  }

  /** One event stream per node runtime of the latest pass; streams of vanished nodes are closed. */
  private followEvents(runtimes: ReadonlyMap<string, NodeRuntime>): void {
    const live = new Set(runtimes.values());
    for (const [runtime, subscription] of this.eventStreams) {
      if (!live.has(runtime)) {
        subscription.unsubscribe();
        this.eventStreams.delete(runtime);
      }
    }
    for (const runtime of live) {
      if (this.eventStreams.has(runtime)) continue;
      const subscription = runtime.events().subscribe((event) => {
        this.deps.log.debug(
          { node: event.node, event: event.action, container: event.container },
          'docker event',
        );
        this.watch.noteEvent(event);
        this.runner.trigger();
      });
      this.eventStreams.set(runtime, subscription);
    }
  }

  /**
   * Lists every node's managed containers afresh (no `docker exec`: VRRP state and addresses come
   * from the watch) and triggers a pass if one would change something, in case an event was lost.
   */
  private async probeHealth(): Promise<void> {
    const world = this.status.lastPass;
    if (this.probing) return; // a probe still hanging is no sign of life
    if (!world) return this.deps.onHeartbeat?.();
    this.probing = true;
    try {
      const nodes = await observeNodes(world.runtimes);
      const vips = buildStatus(world.desired, nodes, NO_FACTS);
      if (needsReconcile(vips)) this.runner.trigger();
    } catch (error) {
      this.deps.log.warn({ err: describeError(error) }, 'health probe failed');
    } finally {
      this.probing = false;
      this.deps.onHeartbeat?.();
    }
  }

  private publish(change: Partial<LoopStatus>): void {
    this.status = { ...this.status, ...change, updatedAtMs: this.scheduler.now() };
    this.deps.onStatus?.(this.status);
  }
}
