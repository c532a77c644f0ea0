import { interval, merge, type Subscription } from 'rxjs';
import type { VipStatus } from '../core/status.js';
import { needsReconcile } from '../core/status.js';
import type { BackoffOptions } from '../core/backoff.js';
import { describeError } from '../errors.js';
import type { ManifestSource, NodeRuntime } from '../ports.js';
import { onceExitCode, runPass, type PassDeps, type PassResult } from './pass.js';
import { PassRunner } from './pass-runner.js';
import { probeStatus } from './probe-status.js';
import { observeNodes } from './observe.js';

export interface LoopDeps extends PassDeps {
  manifests: ManifestSource;
  resyncIntervalMs: number;
  healthIntervalMs: number;
  requeue: BackoffOptions;
  /** Called after every pass and every health probe with the freshest view. */
  onStatus?: (status: LoopStatus) => void;
}

export interface LoopStatus {
  lastPass?: PassResult;
  vips: VipStatus[];
  updatedAtMs: number;
}

/**
 * Watch mode. Merges the inputs into triggers for the PassRunner:
 * manifest changes, Docker events of managed containers on every node (the streams follow the
 * node set of the latest pass), a slow full resync, and health probes that trigger a pass only
 * when something looks wrong. Triggers carry no information: every pass reads the whole world.
 */
export class ReconcileLoop {
  private readonly sources: Subscription[] = [];
  private readonly eventStreams = new Map<NodeRuntime, Subscription>();
  private readonly runner: PassRunner<PassResult>;
  private status: LoopStatus = { vips: [], updatedAtMs: 0 };

  constructor(private readonly deps: LoopDeps) {
    this.runner = new PassRunner<PassResult>({
      run: () => runPass(deps),
      failed: (result) => onceExitCode(result) === 1,
      onResult: (result) => this.afterPass(result),
      onError: (error) => deps.log.error({ err: describeError(error) }, 'pass failed; requeued'),
      requeue: deps.requeue,
      setTimer: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        return () => clearTimeout(timer);
      },
    });
  }

  start(): void {
    this.sources.push(
      merge(this.deps.manifests.changes(), interval(this.deps.resyncIntervalMs)).subscribe(() =>
        this.runner.trigger(),
      ),
      interval(this.deps.healthIntervalMs).subscribe(() => void this.probeHealth()),
    );
    this.runner.trigger();
  }

  /** Finishes the pass in flight, then closes every stream. */
  async stop(): Promise<void> {
    for (const s of this.sources) s.unsubscribe();
    for (const s of this.eventStreams.values()) s.unsubscribe();
    this.eventStreams.clear();
    await this.runner.stop();
  }

  current(): LoopStatus {
    return this.status;
  }

  private afterPass(result: PassResult): void {
    this.followEvents(result.runtimes);
    this.status = { ...this.status, lastPass: result, updatedAtMs: Date.now() };
    this.deps.onStatus?.(this.status);
    void this.probeHealth();
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
        this.runner.trigger();
      });
      this.eventStreams.set(runtime, subscription);
    }
  }

  private async probeHealth(): Promise<void> {
    const world = this.status.lastPass;
    if (!world) return;
    try {
      const nodes = await observeNodes(world.runtimes);
      const vips = await probeStatus({ ...world, actual: { nodes, holders: {} } });
      for (const vip of vips) {
        if (!vip.frozen && vip.holders.length > 1)
          this.deps.log.warn({ vip: vip.vip, holders: vip.holders }, 'VIP held by several nodes');
      }
      this.status = { ...this.status, vips, updatedAtMs: Date.now() };
      this.deps.onStatus?.(this.status);
      if (needsReconcile(vips)) this.runner.trigger();
    } catch (error) {
      this.deps.log.warn({ err: describeError(error) }, 'health probe failed');
    }
  }
}
