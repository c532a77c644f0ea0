import { backoffDelayMs, type BackoffOptions } from '../core/backoff.js';

export interface PassRunnerDeps<T> {
  /** One pass. Resolves with its result; `failed(result)` says whether to requeue. */
  run: () => Promise<T>;
  failed: (result: T) => boolean;
  onResult: (result: T) => void;
  onError: (error: unknown) => void;
  requeue: BackoffOptions;
  setTimer: (fn: () => void, ms: number) => () => void;
}

/**
 * Runs passes one at a time. A trigger during a pass is remembered, and all such triggers
 * coalesce into exactly one more pass after it. A failed pass (or one that threw) requeues itself
 * after a capped exponential backoff; a clean pass resets the backoff.
 */
export class PassRunner<T> {
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private failures = 0;
  private cancelRequeue: (() => void) | undefined;

  constructor(private readonly deps: PassRunnerDeps<T>) {}

  trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.pending = true;
      return;
    }
    this.running = this.drain().finally(() => (this.running = undefined));
  }

  /** Stops taking triggers and resolves when the pass in flight (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelRequeue?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    do {
      this.pending = false;
      this.cancelRequeue?.();
      this.cancelRequeue = undefined;
      const ok = await this.runOnce();
      this.failures = ok ? 0 : this.failures + 1;
      if (!ok && !this.stopped) {
        this.cancelRequeue = this.deps.setTimer(
          () => this.trigger(),
          backoffDelayMs(this.failures, this.deps.requeue),
        );
      }
    } while (this.pending && !this.stopped);
  }

  private async runOnce(): Promise<boolean> {
    try {
      const result = await this.deps.run();
      this.deps.onResult(result);
      return !this.deps.failed(result);
    } catch (error) {
      this.deps.onError(error);
      return false;
    }
  }
}
