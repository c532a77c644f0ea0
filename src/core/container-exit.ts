import type { VrrpState } from './status.js';

/** How one run of a managed container ended, as its engine and its keepalived told it. */
export interface ContainerExit {
  /** Docker's `exitCode` of the `die` event; undefined when the event carried none. */
  exitCode: number | undefined;
  /** The kernel's OOM killer ended it (Docker's `oom` event came first). */
  oomKilled: boolean;
  /** What its keepalived last reported before it ended. */
  lastState: VrrpState;
}

/** Exit codes of a process ended by SIGKILL and SIGTERM (128 + signal), as Docker reports them. */
const KILLED_FROM_OUTSIDE = new Set([137, 143]);

/**
 * Whether a stop counts towards a crash loop: keepalived (or the container command) ended on its
 * own — a config it refuses, an image without keepalived, "already running", a crash — or the
 * OOM killer ended it. A stop imposed from outside does not: keepalived that reported STOP was
 * told to stop (`docker stop`, the engine shutting down), and SIGKILL or SIGTERM from outside
 * (`docker rm -f`, `docker kill`, `kill -9`) says nothing about the container, which the restart
 * policy or the next pass starts again as it is. Replacing it would only cost a rollout step.
 * No exit code means no evidence: not counted.
 */
export function stopCountsAsCrash(exit: ContainerExit): boolean {
  if (exit.oomKilled) return true;
  if (exit.exitCode === undefined) return false;
  if (exit.lastState === 'STOP') return false;
  return !KILLED_FROM_OUTSIDE.has(exit.exitCode);
}
