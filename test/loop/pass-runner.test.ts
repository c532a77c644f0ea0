import { describe, expect, it } from 'vitest';
import { PassRunner } from '../../src/loop/pass-runner.js';

/** A pass whose completion the test controls, so overlap and coalescing are observable. */
function harness(results: boolean[] = []) {
  const started: number[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let release: (() => void) | undefined;
  let running = 0;
  let maxRunning = 0;
  const runner = new PassRunner<boolean>({
    run: () => {
      started.push(started.length + 1);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      return new Promise<boolean>((resolve) => {
        release = () => {
          running -= 1;
          resolve(results.shift() ?? true);
        };
      });
    },
    failed: (ok) => !ok,
    onResult: () => undefined,
    onError: () => undefined,
    requeue: { baseMs: 100, maxMs: 1000 },
    setTimer: (fn, ms) => {
      const timer = { fn, ms };
      timers.push(timer);
      return () => timers.splice(timers.indexOf(timer), 1);
    },
  });
  const finishPass = async () => {
    release?.();
    await new Promise((r) => setImmediate(r));
  };
  return { runner, started, timers, finishPass, maxRunning: () => maxRunning };
}

describe('PassRunner', () => {
  it('never overlaps passes and coalesces triggers during a pass into exactly one more', async () => {
    const h = harness();
    h.runner.trigger();
    h.runner.trigger();
    h.runner.trigger();
    h.runner.trigger();
    expect(h.started).toEqual([1]);
    await h.finishPass();
    expect(h.started).toEqual([1, 2]);
    await h.finishPass();
    expect(h.started).toEqual([1, 2]);
    expect(h.maxRunning()).toBe(1);
  });

  it('requeues a failed pass with doubling, capped backoff, and resets after success', async () => {
    const h = harness([false, false, false, false, false, true]);
    h.runner.trigger();
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await h.finishPass();
      const timer = h.timers.shift();
      expect(timer).toBeDefined();
      delays.push(timer!.ms);
      timer!.fn();
    }
    expect(delays).toEqual([100, 200, 400, 800, 1000]);
    await h.finishPass();
    expect(h.timers).toEqual([]);
  });

  it('stop() waits for the pass in flight and ignores later triggers', async () => {
    const h = harness();
    h.runner.trigger();
    let stopped = false;
    const stopping = h.runner.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    await h.finishPass();
    await stopping;
    expect(stopped).toBe(true);
    h.runner.trigger();
    expect(h.started).toEqual([1]);
  });
});
