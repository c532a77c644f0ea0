/** Bounded polling: every wait in the cluster tooling and the e2e tests goes through here. */
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterError, messageOf } from './errors.js';

export interface WaitForOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Names the awaited condition in the timeout error. */
  description?: string;
}

/**
 * Calls `predicate` until it returns something other than `undefined`, `null` or `false`, and
 * returns that. A throwing predicate counts as "not yet". After `timeoutMs` it throws a
 * {@link ClusterError} `timeout` naming the condition and the last error seen.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions,
): Promise<Exclude<T, undefined | null | false>> {
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  // The count bound is a backstop in case the clock misbehaves.
  const maxTries = Math.ceil(options.timeoutMs / Math.max(intervalMs, 1)) + 2;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== null && value !== false) {
        return value as Exclude<T, undefined | null | false>;
      }
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(intervalMs, Math.max(deadline - Date.now(), 0)));
  }
  const what = options.description ?? 'condition';
  const last = lastError === undefined ? '' : ` (last error: ${messageOf(lastError)})`;
  throw new ClusterError('timeout', `timed out after ${options.timeoutMs} ms waiting for ${what}${last}`, {
    cause: lastError,
  });
}
