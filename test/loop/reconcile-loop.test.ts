import { pino } from 'pino';
import { NEVER, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ReconcileLoop } from '../../src/loop/reconcile-loop.js';
import type { PassResult } from '../../src/loop/pass.js';
import type { ActualContainer } from '../../src/core/types.js';
import { contentRevision } from '../../src/manifest/content-revision.js';
import { parseSnapshot } from '../../src/manifest/parse-manifests.js';
import type { ManifestSnapshot, NodeEvent, NodeRuntime } from '../../src/ports.js';

const vipText = (address: string) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: web }\nspec:\n  addresses: [${address}]\n  nodes: [{ name: n1, priority: 100 }]\n`;

/**
 * A loop over fakes: a manifest source whose changes the test emits (and whose text it edits),
 * one node whose events it emits, a swarm whose node events it emits. Counts every read of the
 * manifest source, every parse, every node listing of the swarm, and every pass.
 */
function fakeLoop(options: { passMs?: number; resyncMs?: number; settleMs?: number } = {}) {
  const changes = new Subject<void>();
  const events = new Subject<NodeEvent>();
  const nodeEvents = new Subject<void>();
  const count = { reads: 0, parses: 0, swarmLists: 0, passes: 0, running: 0, maxRunning: 0 };
  let text = vipText('198.18.0.100/24');
  let swarmStale = true;
  const results: PassResult[] = [];
  // The node's engine: what a pass creates runs from then on, so the next pass has nothing to do.
  const containers = new Map<string, ActualContainer>();
  const runtime: NodeRuntime = {
    node: 'n1',
    listContainers: async () => {
      // Every pass lists every node once; a slow listing makes overlapping passes visible.
      count.passes += 1;
      count.running += 1;
      count.maxRunning = Math.max(count.maxRunning, count.running);
      await new Promise((r) => setTimeout(r, options.passMs ?? 1));
      count.running -= 1;
      return { managed: [...containers.values()], foreign: [] };
    },
    create: async (d) => {
      containers.set(d.name, {
        id: d.name,
        name: d.name,
        node: 'n1',
        vip: d.vip,
        specHash: d.specHash,
        running: true,
      });
    },
    start: async () => undefined,
    reloadWithPriority: async () => ({ reloaded: true }),
    remove: async () => undefined,
    probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
    events: () => events,
    // A running keepalived's reports never end (an ended stream means it stopped).
    reports: () => NEVER,
    removeAddresses: async () => ({ removed: [], skippedMaster: false }),
    readAddresses: async () => [],
    recentLogs: async () => '',
    recentRejection: async () => undefined,
  };
  const loop = new ReconcileLoop({
    adopt: false,
    manifests: {
      snapshot: async (): Promise<ManifestSnapshot> => {
        count.reads += 1;
        const files = [{ path: 'web.yaml', text }];
        return { revision: contentRevision(files), files, unreadable: [] };
      },
      changes: () => changes,
    },
    parse: (snapshot) => {
      count.parses += 1;
      return parseSnapshot(snapshot);
    },
    directory: {
      nodes: async () => {
        if (swarmStale) count.swarmLists += 1;
        swarmStale = false;
        return {
          nodes: [{ name: 'n1', role: 'manager', labels: {}, addresses: ['198.18.0.1'] }],
          runtimes: new Map([['n1', runtime]]),
        };
      },
      refresh: () => (swarmStale = true),
      changes: () => nodeEvents,
    },
    passwords: { env: {}, envPrefix: 'VRRP_PASSWORD', dirs: [] },
    log: pino({ level: 'silent' }),
    resyncIntervalMs: options.resyncMs ?? 3_600_000,
    healthIntervalMs: 3_600_000,
    settleMs: options.settleMs ?? 3_600_000,
    requeue: { baseMs: 1000, maxMs: 1000 },
    onStatus: (status) => {
      if (status.lastPass && results.at(-1) !== status.lastPass) results.push(status.lastPass);
    },
  });
  return {
    loop,
    changes,
    events,
    nodeEvents,
    count,
    results,
    edit: (address: string) => (text = vipText(address)),
  };
}

const settle = () => new Promise((r) => setTimeout(r, 50));

/** Waits (bounded: 3 s) until `done` holds; on a loaded machine a fixed sleep may be too short. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('ReconcileLoop', () => {
  it('runs a pass at start, on a manifest change and on a Docker event of any node', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    expect(f.count.passes).toBe(1);
    f.changes.next();
    await settle();
    expect(f.count.passes).toBe(2);
    f.events.next({ node: 'n1', action: 'die', container: 'keepalived-web' });
    await settle();
    expect(f.count.passes).toBe(3);
    await f.loop.stop();
  });

  it('a pass woken by a Docker event reads no manifest, parses nothing, lists no swarm; its result names the same revision', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    expect(f.count).toMatchObject({ reads: 1, parses: 1, swarmLists: 1, passes: 1 });
    for (let i = 0; i < 5; i++) {
      f.events.next({ node: 'n1', action: 'die', container: 'keepalived-web' });
      await until(() => f.count.passes === i + 2);
    }
    expect(f.count).toMatchObject({ reads: 1, parses: 1, swarmLists: 1, passes: 6 });
    const revisions = new Set(f.results.map((r) => JSON.stringify(r.revision)));
    expect(revisions.size).toBe(1);
    // The same trusted value, not an equal copy: nothing was derived again.
    expect(new Set(f.results.map((r) => r.desired)).size).toBe(1);
    await f.loop.stop();
  });

  it('a manifest change reads the source once; an unchanged revision is not parsed again', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    f.changes.next(); // a touch, same content
    await settle();
    expect(f.count).toMatchObject({ reads: 2, parses: 1 });
    f.edit('198.18.0.101/24');
    f.changes.next();
    await settle();
    expect(f.count).toMatchObject({ reads: 3, parses: 2 });
    const [first, , last] = f.results;
    expect(last?.revision.manifests).not.toBe(first?.revision.manifests);
    expect(last?.desired.containers[0]?.addresses).toEqual(['198.18.0.101']);
    await f.loop.stop();
  });

  it('a swarm node event lists the nodes again, and reads no manifest', async () => {
    const f = fakeLoop();
    f.loop.start();
    await settle();
    f.nodeEvents.next();
    await settle();
    expect(f.count).toMatchObject({ reads: 1, parses: 1, swarmLists: 2, passes: 2 });
    await f.loop.stop();
  });

  it('the resync, the safety net, reads the manifests and lists the swarm again (same revision: no parse)', async () => {
    const f = fakeLoop({ resyncMs: 100 });
    f.loop.start();
    await new Promise((r) => setTimeout(r, 250));
    await f.loop.stop();
    expect(f.count.passes).toBeGreaterThanOrEqual(2);
    expect(f.count.reads).toBe(f.count.passes);
    expect(f.count.swarmLists).toBe(f.count.passes);
    expect(f.count.parses).toBe(1);
  });

  it('a burst of triggers during a pass never overlaps passes and ends in exactly one more', async () => {
    const f = fakeLoop({ passMs: 30 });
    f.loop.start();
    await new Promise((r) => setTimeout(r, 80));
    expect(f.count.passes).toBe(1);
    f.changes.next();
    await new Promise((r) => setTimeout(r, 5));
    for (let i = 0; i < 20; i++) f.events.next({ node: 'n1', action: 'start' });
    await new Promise((r) => setTimeout(r, 150));
    expect(f.count.passes).toBe(3);
    expect(f.count.maxRunning).toBe(1);
    await f.loop.stop();
  });

  it('a pass that changed something is followed by one look once VRRP settled; a pass that changed nothing by none', async () => {
    const f = fakeLoop({ settleMs: 20 });
    f.loop.start();
    await until(() => f.results.length === 1);
    expect(f.results[0]?.outcomes.map((o) => o.action.kind)).toEqual(['create']);
    // The pass's own listing, then the settled look.
    await until(() => f.count.passes === 2);
    expect(f.count.passes).toBe(2);
    f.events.next({ node: 'n1', action: 'start', container: 'keepalived-web' });
    await until(() => f.results.length === 2);
    expect(f.results[1]?.outcomes).toEqual([]);
    // Five settle periods later: only that pass's own listing.
    await new Promise((r) => setTimeout(r, 100));
    expect(f.count.passes).toBe(3);
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
    expect(f.count.passes).toBe(1);
  });
});
