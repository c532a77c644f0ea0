/**
 * Crash loops: a VIP's keepalived on a node that had to be replaced for being sick (stuck in
 * FAULT, stopping on its own again and again), as the daemon keeps them, and the rule that gives
 * a container that then ran healthy a clean record.
 */
import { quoteValue } from './printable.js';
import type { VrrpState } from './status.js';

/** A VIP's keepalived on one node that had to be replaced (FAULT, restarting in a loop). */
export interface CrashLoopView {
  vip: string;
  node: string;
  container: string;
  /** Replacements so far (each one doubles the wait before the next). */
  replacements: number;
  /** Why it was last found sick, with the container's last log lines. */
  reason: string;
  /** No start and no replacement before this time (ISO); absent once the backoff is over. */
  backoffUntil?: string;
}

/** The crash loops the acting reconciler knew of at one moment (epoch ms). */
export interface CrashLoopSnapshot {
  recordedAtMs: number;
  crashLoops: CrashLoopView[];
}

/** How much of a reason one `status` line shows (the log lines in it come from the node). */
const REASON_MAX_CHARS = 400;

/** One line for `status`: VIP, node, container, replacements, backoff, and the reason (quoted, capped). */
export function describeCrashLoop(loop: CrashLoopView): string {
  const times = loop.replacements === 1 ? 'once' : `${loop.replacements} times`;
  const backoff = loop.backoffUntil ? `, no start or replacement before ${loop.backoffUntil}` : '';
  return (
    `crash loop: VIP ${loop.vip} on ${loop.node} (container ${loop.container}): replaced ${times}${backoff}: ` +
    quoteValue(loop.reason, REASON_MAX_CHARS)
  );
}

/**
 * Since when a running keepalived has been doing its job (MASTER or BACKUP) without a break,
 * after it reported `state` at `nowMs`: the run continues from `healthySinceMs`, or starts now;
 * any other state (FAULT, STOP, nothing reported yet) breaks it.
 */
export function healthySince(
  healthySinceMs: number | undefined,
  state: VrrpState,
  nowMs: number,
): number | undefined {
  switch (state) {
    case 'MASTER':
    case 'BACKUP':
      return healthySinceMs ?? nowMs;
    case 'FAULT':
    case 'STOP':
    case 'UNKNOWN':
      return undefined;
    default: {
      const unknown: never = state;
      throw new Error(`unknown VRRP state ${String(unknown)}`);
    }
  }
}

/**
 * Whether a VIP's container on a node has earned a clean crash-loop record: its keepalived has
 * been MASTER or BACKUP without a break for at least the crash-loop window, and no stop was
 * counted since that run began (a stop ends the run, even if its report stream has not ended
 * yet). Stops older than the window no longer count anyway; the replacements and their backoff go
 * too, so a container that was fixed (or whose node recovered) and fails again weeks later waits
 * the first backoff step, not the longest one.
 */
export function crashLoopForgiven(
  run: { healthySinceMs: number | undefined; lastStopMs: number | undefined },
  nowMs: number,
  crashLoopWindowMs: number,
): boolean {
  const { healthySinceMs, lastStopMs } = run;
  if (healthySinceMs === undefined || nowMs - healthySinceMs < crashLoopWindowMs) return false;
  return lastStopMs === undefined || lastStopMs < healthySinceMs;
}
