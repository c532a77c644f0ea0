/**
 * The crash-loop book on a hand-moved clock: stops make a container sick, a sick container's
 * replacement waits out a backoff per VIP and node, and the fix (a new spec) or a VIP no longer
 * declared clears the record. The watch's use of it is tested in vrrp-watch.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActualContainer } from '../../src/core/types.js';
import type { WorldView } from '../../src/loop/pass.js';
import { SickContainers } from '../../src/loop/sick-containers.js';
import type { NodeRuntime } from '../../src/ports.js';

const WINDOW_MS = 60_000;
const BASE_BACKOFF_MS = 10_000;

function setUp() {
  let nowMs = 0;
  let passes = 0;
  const book = new SickContainers({
    log: pino({ level: 'silent' }),
    now: () => nowMs,
    requestPass: () => (passes += 1),
    crashLoopStops: 3,
    crashLoopWindowMs: WINDOW_MS,
    replaceBackoff: { baseMs: BASE_BACKOFF_MS, maxMs: 300_000 },
  });
  const runtime = { recentLogs: async () => 'keepalived: broken' } as unknown as NodeRuntime;
  const container = (id: string, specHash = 'h1'): ActualContainer => ({
    id,
    name: 'keepalived-web',
    node: 'n1',
    vip: 'web',
    specHash,
    running: true,
  });
  const world = (specHash: string | undefined) =>
    ({
      desired: { containers: specHash === undefined ? [] : [{ vip: 'web', node: 'n1', specHash }] },
    }) as unknown as WorldView;
  const advance = (ms: number) => (nowMs += ms);
  const logsRead = () => new Promise((resolve) => setImmediate(resolve));
  return { book, runtime, container, world, advance, logsRead, passes: () => passes };
}

describe('SickContainers', () => {
  it('the third stop within the window makes it sick, with its last log lines, and asks for a pass', async () => {
    const { book, runtime, container, advance, logsRead, passes } = setUp();
    book.countStop(container('c1'), runtime);
    advance(1000);
    book.countStop(container('c1'), runtime);
    expect(book.isSick('c1')).toBe(false);
    advance(1000);
    book.countStop(container('c1'), runtime);
    await logsRead();
    expect(book.annotated(container('c1')).sick).toBe(
      'stopped 3 times within 60 s; last log lines: keepalived: broken',
    );
    expect(passes()).toBe(1);
  });

  it('stops spread wider than the window are no crash loop', () => {
    const { book, runtime, container, advance } = setUp();
    for (let i = 0; i < 5; i += 1) {
      book.countStop(container('c1'), runtime);
      advance(WINDOW_MS / 2);
    }
    expect(book.isSick('c1')).toBe(false);
  });

  it('a replacement that is sick again waits out the backoff, then twice as long the next time', () => {
    const { book, runtime, container, advance } = setUp();
    book.markSick(container('c1'), runtime, 'keepalived stayed in FAULT for 10 s');
    expect(book.backoffUntilMs('web', 'n1')).toBe(BASE_BACKOFF_MS);
    // Replaced by c2, which is sick at once: it is left be until the backoff is over.
    book.markSick(container('c2'), runtime, 'keepalived stayed in FAULT for 10 s');
    expect(book.isSick('c2')).toBe(false);
    expect(book.annotated(container('c2')).crashLoopBackoff).toMatch(
      /^crash loop: replaced 1 times, waiting until 1970-01-01T00:00:10\.000Z$/,
    );
    advance(BASE_BACKOFF_MS);
    book.markSick(container('c2'), runtime, 'keepalived stayed in FAULT for 10 s');
    expect(book.isSick('c2')).toBe(true);
    expect(book.views()).toEqual([expect.objectContaining({ replacements: 2 })]);
    expect(book.backoffUntilMs('web', 'n1')).toBe(BASE_BACKOFF_MS + 2 * BASE_BACKOFF_MS);
  });

  it.each<[string, string | undefined]>([
    ['a new spec (the fix)', 'h2'],
    ['the VIP no longer declared on the node', undefined],
  ])('%s clears the record', (_, spec) => {
    const { book, runtime, container, world } = setUp();
    book.markSick(container('c1'), runtime, 'stopped 3 times within 60 s');
    book.forget(world(spec), () => false);
    expect(book.isSick('c1')).toBe(false);
    expect(book.hasRecord('web', 'n1')).toBe(false);
    expect(book.views()).toEqual([]);
  });

  it('the same spec keeps the record while the sick container is still there', () => {
    const { book, runtime, container, world } = setUp();
    book.markSick(container('c1'), runtime, 'stopped 3 times within 60 s');
    book.forget(world('h1'), (id) => id === 'c1');
    expect(book.isSick('c1')).toBe(true);
    expect(book.views()).toEqual([expect.objectContaining({ vip: 'web', node: 'n1', replacements: 1 })]);
  });
});
