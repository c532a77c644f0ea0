/**
 * The repair of stale addresses on a hand-moved clock and a fake runtime whose removals end when
 * the test says: the route core/address-removal-route.ts chooses is the one the runtime is asked
 * to use, one removal per VIP and node at a time, what is logged and counted for each outcome, and
 * the wait for a start on a target node. The watch's use of it is tested in vrrp-watch.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RemovalRoute } from '../../src/core/address-removal-route.js';
import type { VipTraits } from '../../src/loop/anomaly-facts.js';
import {
  StaleAddressRepairs,
  type StaleAddress,
  type StaleAddressFacts,
} from '../../src/loop/stale-address-repairs.js';
import { StartGuard } from '../../src/loop/start-guard.js';
import type { AddressRemoval, NodeRuntime } from '../../src/ports.js';

const VIP = '198.18.0.100';

/** `web`'s address on n1, whose keepalived of web is BACKUP (an address added by hand). */
function stale(over: Partial<StaleAddress> = {}): StaleAddress {
  return {
    kind: 'stale-address',
    vip: 'web',
    node: 'n1',
    container: 'keepalived-web',
    keepalived: 'not-master',
    heldElsewhere: true,
    addresses: [VIP],
    reason: 'its keepalived is BACKUP',
    ...over,
  };
}

const web: VipTraits = {
  vip: 'web',
  addresses: [VIP],
  frozen: false,
  targets: ['n1', 'n2'],
  advertIntervalSeconds: 1,
  hasHealthCheck: false,
};

const own = { id: 'web-1', name: 'keepalived-web', vip: 'web' };
const sibling = { id: 'db-1', name: 'keepalived-db', vip: 'db' };

/** Facts as the watch hands them over: web's own keepalived reports from n1. */
function facts(over: Partial<StaleAddressFacts> = {}): StaleAddressFacts {
  return {
    trait: web,
    onNode: [own, sibling],
    image: 'keepalived',
    firstSeenMs: 0,
    inBackoff: false,
    addressesAtMs: 0,
    ...over,
  };
}

function setUp() {
  let nowMs = 0;
  let passes = 0;
  let ended = 0;
  const gone: { node: string; addresses: readonly string[] }[] = [];
  const lines: Record<string, unknown>[] = [];
  const calls: { addresses: readonly string[]; route: RemovalRoute; finish: Deferred }[] = [];
  const runtime = {
    removeAddresses: (addresses: readonly string[], route: RemovalRoute) => {
      const finish = deferred();
      calls.push({ addresses, route, finish });
      return finish.promise;
    },
  } as unknown as NodeRuntime;
  const startGuard = new StartGuard(() => nowMs);
  const repairs = new StaleAddressRepairs({
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    now: () => nowMs,
    runtimeOf: (node) => (node === 'n1' ? runtime : undefined),
    startGuard,
    requestPass: () => (passes += 1),
    addressesGone: (node, addresses) => gone.push({ node, addresses }),
    removalEnded: () => (ended += 1),
  });
  const advance = (ms: number) => (nowMs += ms);
  /** Lets a removal's outcome reach the log and the counts. */
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  /** The removal ended with this one line logged, nothing counted and nothing noted gone. */
  const endedUncounted = (line: Record<string, unknown>) => {
    expect(lines).toEqual([expect.objectContaining({ vip: 'web', node: 'n1', ...line })]);
    expect(repairs.repairCounts()).toEqual([]);
    expect(gone).toEqual([]);
    expect(ended).toBe(1);
  };
  return {
    repairs,
    startGuard,
    calls,
    lines,
    gone,
    advance,
    settled,
    endedUncounted,
    passes: () => passes,
    ended: () => ended,
  };
}

interface Deferred {
  promise: Promise<AddressRemoval>;
  resolve: (removal: AddressRemoval) => void;
  reject: (error: Error) => void;
}

function deferred(): Deferred {
  let resolve: Deferred['resolve'] = () => undefined;
  let reject: Deferred['reject'] = () => undefined;
  const promise = new Promise<AddressRemoval>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('StaleAddressRepairs: the route', () => {
  it.each<{ name: string; anomaly: StaleAddress; facts: StaleAddressFacts; route: RemovalRoute }>([
    {
      name: "the VIP's own keepalived on the node",
      anomaly: stale(),
      facts: facts(),
      route: { kind: 'own', containerId: 'web-1' },
    },
    {
      name: "another VIP's keepalived, when the VIP's container there stopped",
      anomaly: stale({ keepalived: 'stopped' }),
      facts: facts({ onNode: [sibling] }),
      route: { kind: 'sibling', containerId: 'db-1', container: 'keepalived-db' },
    },
    {
      name: "a helper container of the VIP's image on a node it does not target",
      anomaly: stale({ keepalived: 'absent', container: null }),
      facts: facts({ onNode: [], trait: { ...web, targets: ['n2'] } }),
      route: { kind: 'helper', image: 'keepalived' },
    },
  ])('reaches the runtime: $name', ({ anomaly, facts: known, route }) => {
    const { repairs, calls } = setUp();
    repairs.repair(anomaly, known);
    expect(calls.map((c) => ({ addresses: c.addresses, route: c.route }))).toEqual([
      { addresses: [VIP], route },
    ]);
  });

  it('a node without a runtime is left alone', () => {
    const { repairs, calls, passes } = setUp();
    repairs.repair(stale({ node: 'n9' }), facts());
    expect(calls).toEqual([]);
    expect(passes()).toBe(0);
  });

  it("on a target node without the VIP's keepalived, a start comes first: a pass at most every 2 s, a helper once starts had 5 s past the grace", () => {
    const { repairs, calls, advance, passes } = setUp();
    const absent = stale({ keepalived: 'absent', container: null });
    const none = facts({ onNode: [], firstSeenMs: 0 });
    repairs.repair(absent, none);
    advance(1000);
    repairs.repair(absent, none);
    expect(passes()).toBe(1);
    advance(1000);
    repairs.repair(absent, none);
    expect(passes()).toBe(2);
    expect(calls).toEqual([]);
    advance(300 + 5000 - 2000 - 1); // grace 300 ms (not stopped) + 5 s of starts, 1 ms short
    repairs.repair(absent, none);
    expect(calls).toEqual([]);
    advance(1);
    repairs.repair(absent, none);
    expect(calls.map((c) => c.route)).toEqual([{ kind: 'helper', image: 'keepalived' }]);
  });

  it('on a target node waiting out a crash-loop backoff, no start is coming: a helper at once', () => {
    const { repairs, calls, passes } = setUp();
    repairs.repair(stale({ keepalived: 'absent', container: null }), facts({ onNode: [], inBackoff: true }));
    expect(passes()).toBe(0);
    expect(calls.map((c) => c.route)).toEqual([{ kind: 'helper', image: 'keepalived' }]);
  });
});

describe('StaleAddressRepairs: removals', () => {
  it('one removal per VIP and node is in flight; the next look after it ends may remove again', async () => {
    const { repairs, calls, settled, ended } = setUp();
    repairs.repair(stale(), facts());
    repairs.repair(stale(), facts());
    expect(calls).toHaveLength(1);
    repairs.repair(stale({ vip: 'db', addresses: ['198.18.0.101'] }), facts());
    expect(calls).toHaveLength(2); // another VIP on the node is its own repair
    calls[0]?.finish.resolve({ removed: [], skippedMaster: false });
    await settled();
    expect(ended()).toBe(1);
    repairs.repair(stale(), facts());
    expect(calls).toHaveLength(3);
  });

  it('counts a removal only when it removed something, and notes the addresses gone either way', async () => {
    const { repairs, calls, lines, gone, settled } = setUp();
    repairs.repair(stale(), facts());
    calls[0]?.finish.resolve({ removed: [], skippedMaster: false }); // already gone
    await settled();
    expect(repairs.repairCounts()).toEqual([{ vip: 'web', node: 'n1', count: 0 }]);
    repairs.repair(stale(), facts());
    calls[1]?.finish.resolve({ removed: [`${VIP}/24 eth0`], skippedMaster: false });
    await settled();
    expect(repairs.repairCounts()).toEqual([{ vip: 'web', node: 'n1', count: 1 }]);
    expect(gone).toEqual([
      { node: 'n1', addresses: [VIP] },
      { node: 'n1', addresses: [VIP] },
    ]);
    expect(lines.at(-1)).toMatchObject({
      level: 40,
      vip: 'web',
      node: 'n1',
      container: 'keepalived-web',
      route: 'own',
      removed: [`${VIP}/24 eth0`],
      msg: `removed stale ${VIP} from n1 (its keepalived is BACKUP) inside its own container`,
    });
  });

  it('an own container whose keepalived became MASTER meanwhile leaves it: logged, not counted, not noted gone', async () => {
    const { repairs, calls, settled, endedUncounted } = setUp();
    repairs.repair(stale(), facts());
    calls[0]?.finish.resolve({ removed: [], skippedMaster: true });
    await settled();
    endedUncounted({
      level: 30,
      container: 'keepalived-web',
      route: 'own',
      msg: `left ${VIP} on n1: its keepalived is MASTER now`,
    });
  });

  it('a failed removal is logged with its error and not counted; the next look tries again', async () => {
    const { repairs, calls, settled, endedUncounted } = setUp();
    repairs.repair(stale({ keepalived: 'stopped' }), facts({ onNode: [sibling] }));
    calls[0]?.finish.reject(new Error('exec failed: no such container'));
    await settled();
    endedUncounted({
      level: 50,
      route: 'sibling',
      err: 'exec failed: no such container',
      msg: 'removing a stale address from n1 failed',
    });
    repairs.repair(stale({ keepalived: 'stopped' }), facts({ onNode: [sibling] }));
    expect(calls).toHaveLength(2);
  });

  it("a removal through another container waits for a start of the VIP's keepalived there, and is not run on facts older than it", async () => {
    const { repairs, startGuard, calls, advance, settled } = setUp();
    const stopped = stale({ keepalived: 'stopped' });
    let finishStart: () => void = () => undefined;
    const starting = startGuard.aroundStart('web', 'n1', () => new Promise<void>((r) => (finishStart = r)));
    repairs.repair(stopped, facts({ onNode: [sibling] }));
    expect(calls).toEqual([]);
    // The own container guards itself: the guard does not hold it up.
    repairs.repair(stale(), facts());
    expect(calls.map((c) => c.route.kind)).toEqual(['own']);
    calls[0]?.finish.resolve({ removed: [], skippedMaster: true });
    await settled();
    advance(100);
    finishStart();
    await starting;
    repairs.repair(stopped, facts({ onNode: [sibling], addressesAtMs: 50 }));
    expect(calls).toHaveLength(1); // n1's addresses were read before the start
    advance(10);
    repairs.repair(stopped, facts({ onNode: [sibling], addressesAtMs: 110 }));
    expect(calls.map((c) => c.route.kind)).toEqual(['own', 'sibling']);
  });
});
