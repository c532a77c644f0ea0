/**
 * The watch's crash-loop bookkeeping on a fake clock and fake report streams (the pure rules are
 * table-tested in test/core; here: that the watch applies them). A keepalived that stops on its
 * own 3 times is replaced with a backoff; one that then runs healthy for a whole crash-loop window
 * starts again with a clean record, so its next crash loop waits the first backoff step again.
 * Adverts dropped while our own containers of a VIP were being replaced raise no vrid-clash alarm.
 */
import { pino } from 'pino';
import { Subject, Subscription, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ContainerReport } from '../../src/core/container-reports.js';
import type { ActualContainer } from '../../src/core/types.js';
import type { WorldView } from '../../src/loop/pass.js';
import { StartGuard } from '../../src/loop/start-guard.js';
import { VrrpWatch, type WatchView } from '../../src/loop/vrrp-watch.js';
import type { RemovalRoute } from '../../src/core/address-removal-route.js';
import type { NodeRuntime } from '../../src/ports.js';

const WINDOW_MS = 60_000;
const BASE_BACKOFF_MS = 10_000;

/** A clock that moves only when told, running what was scheduled for the time passed. */
class FakeScheduler {
  nowMs = 0;
  private pending: { atMs: number; work: () => void; subscription: Subscription }[] = [];

  now = (): number => this.nowMs;

  schedule = (work: () => void, delay = 0): Subscription => {
    const subscription = new Subscription();
    this.pending.push({ atMs: this.nowMs + delay, work, subscription });
    return subscription;
  };

  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (let steps = 0; steps < 10_000; steps += 1) {
      const due = this.pending
        .filter((p) => !p.subscription.closed && p.atMs <= until)
        .sort((a, b) => a.atMs - b.atMs)[0];
      if (!due) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.nowMs = Math.max(this.nowMs, due.atMs);
      due.work();
    }
    this.nowMs = until;
  }
}

function setUp() {
  const scheduler = new FakeScheduler();
  const streams = new Map<string, Subject<ContainerReport>>();
  const runtime = {
    node: 'n1',
    reports: (id: string) => {
      const stream = new Subject<ContainerReport>();
      streams.set(id, stream);
      return stream;
    },
    recentLogs: async () => 'keepalived: broken',
    readAddresses: async () => [],
  } as unknown as NodeRuntime;
  let view: WatchView | undefined;
  let passes = 0;
  const watch = new VrrpWatch({
    log: pino({ level: 'silent' }),
    scheduler: scheduler as unknown as SchedulerLike,
    requestPass: () => {
      passes += 1;
    },
    onChange: (v) => (view = v),
    faultReplaceMs: 10_000,
    crashLoopStops: 3,
    crashLoopWindowMs: WINDOW_MS,
    replaceBackoff: { baseMs: BASE_BACKOFF_MS, maxMs: 300_000 },
    addressReadIntervalMs: 5000,
    startGuard: new StartGuard(scheduler.now),
  });
  const container = (id: string, node = 'n1'): ActualContainer => ({
    id,
    name: 'keepalived-web',
    node,
    vip: 'web',
    specHash: 'h1',
    running: true,
  });
  /** What a pass would hand the watch: one VIP on n1 running `id` (and on n2 running `peer`). */
  const world = (id: string, peer?: string) => {
    const nodes =
      peer === undefined
        ? [['n1', id]]
        : [
            ['n1', id],
            ['n2', peer],
          ];
    return {
      desired: {
        containers: nodes.map(([node]) => ({
          vip: 'web',
          node,
          name: 'keepalived-web',
          priority: 100,
          specHash: 'h1',
          addresses: ['198.18.0.100'],
          image: 'keepalived',
        })),
        frozen: { names: new Set<string>(), unknownNames: [] },
      },
      manifests: { virtualIPs: [] },
      actual: {
        nodes: nodes.map(([node, cid]) => ({ node, reachable: true, containers: [container(cid!, node)] })),
        holders: {},
      },
      runtimes: new Map(nodes.map(([node]) => [node!, runtime])),
      claims: [],
    } as unknown as WorldView;
  };
  /** `id`'s keepalived exits on its own (code 1) three times, as a broken one would. */
  const crashThrice = async (id: string) => {
    streams.get(id)?.complete();
    for (let i = 0; i < 3; i += 1) {
      watch.noteEvent({ action: 'die', containerId: id, exitCode: 1 } as never);
      scheduler.advance(1000);
    }
    await new Promise((resolve) => setImmediate(resolve)); // its last log lines arrive
  };
  const loops = () => view?.crashLoops ?? [];
  const anomalies = () => view?.anomalies ?? [];
  return { scheduler, streams, watch, world, crashThrice, loops, anomalies, passes: () => passes };
}

describe('VrrpWatch crash loops', () => {
  it('a replacement that runs healthy for the crash-loop window starts again with a clean record', async () => {
    const { scheduler, streams, watch, world, crashThrice, loops } = setUp();
    watch.follow(world('c1'));
    await crashThrice('c1');
    // The pass replaced it; the new one is BACKUP, and stays so.
    watch.follow(world('c2'));
    expect(loops()).toEqual([
      expect.objectContaining({
        vip: 'web',
        node: 'n1',
        replacements: 1,
        reason: expect.stringContaining('keepalived: broken') as string,
      }),
    ]);
    streams.get('c2')?.next({ kind: 'state', state: 'BACKUP', addresses: [] });
    scheduler.advance(WINDOW_MS - 1000);
    expect(loops()).toHaveLength(1);
    scheduler.advance(1000);
    expect(loops()).toEqual([]);

    // Failing again later: the first backoff step, not the second.
    const startMs = scheduler.nowMs;
    await crashThrice('c2');
    watch.follow(world('c3'));
    const [again] = loops();
    expect(again?.replacements).toBe(1);
    expect(Date.parse(again?.backoffUntil ?? '')).toBe(startMs + 3000 + BASE_BACKOFF_MS - 1000);
  });

  it('a replacement that never gets going (no VRRP state) keeps the record: the next replacement waits longer', async () => {
    const { scheduler, watch, world, crashThrice, loops } = setUp();
    watch.follow(world('c1'));
    await crashThrice('c1');
    watch.follow(world('c2'));
    scheduler.advance(WINDOW_MS * 2);
    expect(loops()).toEqual([expect.objectContaining({ replacements: 1 })]);
    scheduler.advance(BASE_BACKOFF_MS); // the first backoff is over: c2 may be replaced
    await crashThrice('c2');
    watch.follow(world('c3'));
    expect(loops()).toEqual([expect.objectContaining({ replacements: 2 })]);
  });
});

const VIP = '198.18.0.100';

/**
 * `web` on n1 (holder) and n2, `db` on n1 only: what `docker rm -f` of web's container on n1
 * leaves (its address, nothing of web running there), and what the watch does about it.
 */
function setUpTwoVips() {
  const scheduler = new FakeScheduler();
  const streams = new Map<string, Subject<ContainerReport>>();
  const removals: { node: string; addresses: readonly string[]; route: RemovalRoute }[] = [];
  const runtimeOf = (node: string) =>
    ({
      node,
      reports: (id: string) => {
        const stream = new Subject<ContainerReport>();
        streams.set(id, stream);
        return stream;
      },
      removeAddresses: async (addresses: readonly string[], route: RemovalRoute) => {
        removals.push({ node, addresses, route });
        return { removed: addresses.map((a) => `${a}/24 eth0`), skippedMaster: false };
      },
      recentLogs: async () => '',
      readAddresses: async () => [],
    }) as unknown as NodeRuntime;
  const startGuard = new StartGuard(scheduler.now);
  const watch = new VrrpWatch({
    log: pino({ level: 'silent' }),
    scheduler: scheduler as unknown as SchedulerLike,
    requestPass: () => undefined,
    onChange: () => undefined,
    faultReplaceMs: 10_000,
    crashLoopStops: 3,
    crashLoopWindowMs: WINDOW_MS,
    replaceBackoff: { baseMs: BASE_BACKOFF_MS, maxMs: 300_000 },
    addressReadIntervalMs: 5000,
    startGuard,
  });
  const container = (id: string, vip: string, node: string): ActualContainer => ({
    id,
    name: `keepalived-${vip}`,
    node,
    vip,
    specHash: 'h1',
    running: true,
  });
  const desired = (vip: string, node: string, address: string) => ({
    vip,
    node,
    specHash: 'h1',
    addresses: [address],
    image: 'keepalived',
  });
  const world = {
    desired: {
      containers: [desired('web', 'n1', VIP), desired('web', 'n2', VIP), desired('db', 'n1', '198.18.0.101')],
      frozen: { names: new Set<string>(), unknownNames: [] },
    },
    manifests: { virtualIPs: [] },
    actual: {
      nodes: [
        {
          node: 'n1',
          reachable: true,
          containers: [container('web-1', 'web', 'n1'), container('db-1', 'db', 'n1')],
        },
        { node: 'n2', reachable: true, containers: [container('web-2', 'web', 'n2')] },
      ],
      holders: {},
    },
    runtimes: new Map([
      ['n1', runtimeOf('n1')],
      ['n2', runtimeOf('n2')],
    ]),
    claims: [],
  } as unknown as WorldView;
  watch.follow(world);
  const report = (id: string, report: ContainerReport) => streams.get(id)?.next(report);
  report('web-1', { kind: 'state', state: 'MASTER', addresses: [VIP] });
  report('db-1', { kind: 'state', state: 'MASTER', addresses: [VIP, '198.18.0.101'] });
  report('web-2', { kind: 'state', state: 'BACKUP', addresses: [] });
  /** `docker rm -f` of web's container on n1: its report stream ends; the address stays. */
  const removeHolderContainer = () => streams.get('web-1')?.complete();
  /** n2's keepalived takes over (VRRP master-down): it reports MASTER with the address. */
  const n2TakesOver = () => report('web-2', { kind: 'state', state: 'MASTER', addresses: [VIP] });
  return { scheduler, watch, startGuard, removals, report, removeHolderContainer, n2TakesOver };
}

describe('VrrpWatch: the address a removed holder container leaves', () => {
  it("is removed through the node's other keepalived the moment a backup holds it, not before", async () => {
    const { scheduler, removals, removeHolderContainer, n2TakesOver } = setUpTwoVips();
    removeHolderContainer();
    scheduler.advance(100);
    expect(removals).toEqual([]); // the last copy, while n2 is about to take over
    n2TakesOver();
    expect(removals).toEqual([
      {
        node: 'n1',
        addresses: [VIP],
        route: { kind: 'sibling', containerId: 'db-1', container: 'keepalived-db' },
      },
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    scheduler.advance(2000);
    expect(removals).toHaveLength(1); // one removal, not one per look
  });

  it("is removed once VRRP's master-down time has passed even when no backup takes over", () => {
    const { scheduler, removals, removeHolderContainer } = setUpTwoVips();
    removeHolderContainer();
    scheduler.advance(699);
    expect(removals).toEqual([]);
    scheduler.advance(1);
    expect(removals).toEqual([
      expect.objectContaining({ node: 'n1', route: expect.objectContaining({ kind: 'sibling' }) }),
    ]);
  });

  it('is left to a start of web on n1 that is in flight (its command clears it), and to fresher facts after it', async () => {
    const { scheduler, startGuard, removals, report, removeHolderContainer, n2TakesOver } = setUpTwoVips();
    let finishStart: () => void = () => undefined;
    const startHeld = new Promise<void>((resolve) => (finishStart = resolve));
    const starting = startGuard.aroundStart('web', 'n1', () => startHeld);
    removeHolderContainer();
    n2TakesOver();
    scheduler.advance(100);
    expect(removals).toEqual([]);
    finishStart();
    await starting;
    scheduler.advance(2000);
    expect(removals).toEqual([]); // what n1 reported predates the start
    // n1's addresses reported afresh (its other keepalived), still carrying web's address: remove it.
    report('db-1', { kind: 'addresses', addresses: [VIP, '198.18.0.101'] });
    expect(removals).toEqual([expect.objectContaining({ node: 'n1', addresses: [VIP] })]);
  });
});

describe('VrrpWatch dropped adverts', () => {
  const version = {
    kind: 'rejected-advert',
    instance: 'web',
    rejection: 'version',
    detail: 'wrong version. Received 3 and expect 2',
  } as const;

  it("adverts dropped before our peer was replaced are its predecessor's, no alarm; dropped after, a foreign router's", () => {
    const { scheduler, streams, watch, world, anomalies } = setUp();
    watch.follow(world('a1', 'b1'));
    streams.get('a1')?.next({ kind: 'state', state: 'MASTER', addresses: ['198.18.0.100'] });
    streams.get('b1')?.next({ kind: 'state', state: 'BACKUP', addresses: [] });
    // A rollout to VRRPv2: n1's new keepalived hears n2's old one until n2's is replaced too.
    streams.get('a1')?.next(version);
    scheduler.advance(100);
    watch.follow(world('a1', 'b2'));
    streams.get('b2')?.next({ kind: 'state', state: 'BACKUP', addresses: [] });
    scheduler.advance(3000);
    expect(anomalies().filter((a) => a.kind === 'vrid-clash')).toEqual([]);
    // Still dropping adverts now that both of ours run one spec: someone else uses the ID.
    streams.get('a1')?.next(version);
    scheduler.advance(3000);
    expect(anomalies()).toEqual([expect.objectContaining({ kind: 'vrid-clash', nodes: ['n1'] })]);
  });
});

describe('VrrpWatch priority reloads', () => {
  it('a raise that was never restored is marked on the container and asks for a pass; a restore clears it', () => {
    const { streams, watch, world, passes } = setUp();
    const seen = world('c1');
    watch.follow(seen);
    const reloaded = () =>
      watch
        .annotate(seen.actual.nodes)
        .flatMap((n) => (n.reachable ? n.containers : []))
        .map((c) => c.reloadedPriority);
    expect(reloaded()).toEqual([undefined]);
    const before = passes();
    streams.get('c1')?.next({ kind: 'priority', priority: 254 });
    expect(reloaded()).toEqual([254]);
    expect(passes()).toBe(before + 1);
    // Back at the manifest's priority (100): known, and nothing to ask for.
    streams.get('c1')?.next({ kind: 'priority', priority: 100 });
    expect(reloaded()).toEqual([100]);
    expect(passes()).toBe(before + 1);
  });
});
