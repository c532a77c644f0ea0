import type { CrashLoopView } from '../core/crash-loops.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CrashLoopRecord } from '../ports.js';

export interface CrashLoopRecorderDeps {
  record: CrashLoopRecord;
  log: Logger;
  /** Wall clock (epoch ms). */
  nowMs: () => number;
}

/**
 * Writes the daemon's crash loops (see vrrp-watch.ts) to the record beside the lock file, for
 * `reconciler status`: the first view, then each one that differs from the last written, one
 * write at a time and in order, so the record ends as the latest view. A failed write is logged
 * and the next change tries again.
 */
export class CrashLoopRecorder {
  private written: string | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CrashLoopRecorderDeps) {}

  note(crashLoops: readonly CrashLoopView[]): void {
    const key = JSON.stringify(crashLoops);
    if (key === this.written) return;
    this.written = key;
    const snapshot = { recordedAtMs: this.deps.nowMs(), crashLoops: [...crashLoops] };
    this.writing = this.writing.then(() =>
      this.deps.record.write(snapshot).catch((error: unknown) => {
        this.written = undefined;
        this.deps.log.warn({ err: describeError(error) }, 'cannot record the crash loops');
      }),
    );
  }

  /** Resolves once every write asked for so far is done. */
  flush(): Promise<void> {
    return this.writing;
  }
}
