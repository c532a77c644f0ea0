import { pino } from 'pino';
import { EMPTY, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ReconcileLoop } from '../../src/loop/reconcile-loop.js';
import type { ManifestSet, NodeEvent, NodeRuntime } from '../../src/ports.js';

const emptySet: ManifestSet = {
  virtualIPs: [],
  endpoints: [],
  problems: [],
  frozen: { names: new Set(), unknownNames: false },
  files: [],
};

/** A loop over fakes: a manifest source whose changes the test emits, one node whose events it emits. */
function fakeLoop(options: { passMs?: number } = {}) {
  const changes = new Subject<void>();
  const events = new Subject<NodeEvent>();
  let loads = 0;
  let running = 0;
  let maxRunning = 0;
  const runtime: NodeRuntime = {
    node: 'n1',
    listContainers: async () => ({ managed: [], foreign: [] }),
    create: async () => undefined,
    start: async () => undefined,
    remove: async () => undefined,
    probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
    events: () => events,
    reports: () => EMPTY,
    removeAddresses: async () => ({ removed: [], skippedMaster: false }),
    recentLogs: async () => '',
  };
  const loop = new ReconcileLoop({
    adopt: false,
    manifests: {
      // A pass starts by loading the manifests; a slow load makes overlapping passes visible.
      load: async () => {
        loads += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, options.passMs ?? 1));
        running -= 1;
        return emptySet;
      },
      changes: () => changes,
    },
    directory: { nodes: async () => ({ nodes: [], runtimes: new Map([['n1', runtime]]) }) },
    passwords: { env: {}, readFile: () => '' },
    log: pino({ level: 'silent' }),
    resyncIntervalMs: 3_600_000,
    healthIntervalMs: 3_600_000,
    settleMs: 3_600_000,
    requeue: { baseMs: 1000, maxMs: 1000 },
  });
  return { loop, changes, events, loads: () => loads, maxRunning: () => maxRunning };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

describe('ReconcileLoop', () => {
  it('runs a pass at start, on a manifest change and on a Docker event of any node', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    expect(f.loads()).toBe(1);
    f.changes.next();
    await settle();
    expect(f.loads()).toBe(2);
    f.events.next({ node: 'n1', action: 'die', container: 'keepalived-web' });
    await settle();
    expect(f.loads()).toBe(3);
    await f.loop.stop();
  });

  it('a burst of triggers during a pass never overlaps passes and ends in exactly one more', async () => {
    const f = fakeLoop({ passMs: 30 });
    f.loop.start();
    await new Promise((r) => setTimeout(r, 80));
    expect(f.loads()).toBe(1);
    f.changes.next();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 20; i++) f.events.next({ node: 'n1', action: 'start' });
    await new Promise((r) => setTimeout(r, 150));
    expect(f.loads()).toBe(3);
    expect(f.maxRunning()).toBe(1);
    await f.loop.stop();
  });

  it('after stop(), no trigger starts a pass', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    await f.loop.stop();
    f.changes.next();
    f.events.next({ node: 'n1', action: 'die' });
    await settle();
    expect(f.loads()).toBe(1);
  });
});
