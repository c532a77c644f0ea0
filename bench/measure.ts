/**
 * Timing helpers for the benchmarks: bounded sample loops and order statistics. Speed is only
 * ever measured here, never asserted in tests.
 */
import { performance } from 'node:perf_hooks';

/**
 * Bounds of one sample loop: `warmup` untimed runs, then at least `minRuns`, at most `maxRuns`,
 * and no new run once `budgetMs` is spent.
 */
export interface SampleBounds {
  warmup: number;
  minRuns: number;
  maxRuns: number;
  budgetMs: number;
}

/** Summary of a set of timings in milliseconds. */
export interface Stats {
  runs: number;
  minMs: number;
  medianMs: number;
  maxMs: number;
}

/**
 * Runs `setup` (untimed) then `body` (timed) repeatedly within `bounds`, and summarises the
 * timings of `body`.
 */
export async function sample<T>(
  bounds: SampleBounds,
  setup: () => Promise<T> | T,
  body: (prepared: T) => Promise<unknown> | unknown,
): Promise<Stats> {
  for (let run = 0; run < bounds.warmup; run++) await body(await setup());
  const timings: number[] = [];
  const started = performance.now();
  for (let run = 0; run < bounds.maxRuns; run++) {
    if (run >= bounds.minRuns && performance.now() - started > bounds.budgetMs) break;
    const prepared = await setup();
    const t0 = performance.now();
    await body(prepared);
    timings.push(performance.now() - t0);
  }
  return summarise(timings);
}

/** Min, median and max of `timings` (ms). */
export function summarise(timings: readonly number[]): Stats {
  const sorted = [...timings].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  return { runs: sorted.length, minMs: sorted[0] ?? NaN, medianMs: median, maxMs: sorted.at(-1) ?? NaN };
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** A ratio such as `0.042×`. */
export function ratio(ours: number, baseline: number): string {
  const r = ours / baseline;
  if (!Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r >= 0.1 ? r.toFixed(2) : r.toFixed(3)}×`;
}
