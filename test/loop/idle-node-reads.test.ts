/**
 * The reads of idle nodes on a hand-moved clock and a fake runtime whose reads end when the test
 * says: a target node where no keepalived of ours reports is read in a helper once it has been idle
 * for a second, one read per node at a time and at most once per interval, and a read that a
 * keepalived's report overtook is dropped. The watch's use of it is tested in vrrp-watch.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { IdleNodeReads } from '../../src/loop/idle-node-reads.js';
import type { WorldView } from '../../src/loop/pass.js';
import type { NodeRuntime } from '../../src/ports.js';

const INTERVAL_MS = 5000;
const VIP = '198.18.0.100';

function setUp() {
  let nowMs = 0;
  let ended = 0;
  const reporting = new Set<string>();
  const read: { node: string; addresses: readonly string[] }[] = [];
  const lines: Record<string, unknown>[] = [];
  const calls: {
    node: string;
    image: string;
    resolve: (addresses: string[]) => void;
    reject: (e: Error) => void;
  }[] = [];
  const runtimeOf = (node: string) =>
    ({
      readAddresses: (image: string) =>
        new Promise<string[]>((resolve, reject) => calls.push({ node, image, resolve, reject })),
    }) as unknown as NodeRuntime;
  const reads = new IdleNodeReads({
    log: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    now: () => nowMs,
    addressReadIntervalMs: INTERVAL_MS,
    reportsFrom: (node) => reporting.has(node),
    addressesRead: (node, addresses) => read.push({ node, addresses }),
    readEnded: () => (ended += 1),
  });
  /** `web` targets n1 and n2; nothing of ours runs on n2 by the listing. */
  const world = {
    desired: {
      containers: ['n1', 'n2'].map((node) => ({ vip: 'web', node, image: 'keepalived:web' })),
    },
    actual: {
      nodes: [
        { node: 'n1', reachable: true, containers: [{ id: 'web-1', node: 'n1', vip: 'web', running: true }] },
        { node: 'n2', reachable: true, containers: [] },
      ],
    },
    runtimes: new Map([
      ['n1', runtimeOf('n1')],
      ['n2', runtimeOf('n2')],
    ]),
  } as unknown as WorldView;
  reporting.add('n1');
  const advance = (ms: number) => (nowMs += ms);
  /** n2 turns idle and stays so for a second: its first read begins. */
  const firstRead = () => {
    reads.read(world);
    advance(1000);
    reads.read(world);
  };
  /** Lets a read's outcome arrive. */
  const settled = () => new Promise((resolve) => setImmediate(resolve));
  return { reads, world, reporting, calls, read, lines, advance, firstRead, settled, ended: () => ended };
}

describe('IdleNodeReads', () => {
  it('reads a node nothing reports from once it has been idle for a second, with the VIP image', async () => {
    const { reads, world, calls, read, advance, settled, ended } = setUp();
    reads.read(world);
    expect(reads.dueMs(0)).toEqual([1000]);
    advance(999);
    reads.read(world);
    expect(calls).toEqual([]);
    advance(1);
    reads.read(world);
    expect(calls.map((c) => [c.node, c.image])).toEqual([['n2', 'keepalived:web']]);
    calls[0]?.resolve([VIP]);
    await settled();
    expect(read).toEqual([{ node: 'n2', addresses: [VIP] }]);
    expect(ended()).toBe(1);
    expect(reads.dueMs(1000)).toEqual([1000 + INTERVAL_MS]);
  });

  it('one read per node at a time, at most once per interval', async () => {
    const { reads, world, calls, advance, settled, firstRead } = setUp();
    firstRead();
    reads.read(world);
    expect(calls).toHaveLength(1);
    advance(INTERVAL_MS); // still in flight: no second read
    reads.read(world);
    expect(calls).toHaveLength(1);
    calls[0]?.resolve([]);
    await settled();
    advance(INTERVAL_MS - 1);
    reads.read(world); // an interval and more since the first read began: due again
    expect(calls).toHaveLength(2);
    calls[1]?.resolve([]);
    await settled();
    advance(INTERVAL_MS - 1);
    reads.read(world);
    expect(calls).toHaveLength(2);
  });

  it("drops a read that a keepalived's report overtook: its word is fresher", async () => {
    const { reporting, calls, read, firstRead, settled, ended } = setUp();
    firstRead();
    reporting.add('n2');
    calls[0]?.resolve([VIP]);
    await settled();
    expect(read).toEqual([]);
    expect(ended()).toBe(1);
  });

  it('a node that reports again is not read, and waits a whole second once idle again', () => {
    const { reads, world, reporting, calls, advance } = setUp();
    reads.read(world);
    advance(500);
    reporting.add('n2');
    reads.read(world);
    expect(reads.dueMs(500)).toEqual([]);
    reporting.delete('n2');
    reads.read(world);
    advance(999);
    reads.read(world);
    expect(calls).toEqual([]);
    advance(1);
    reads.read(world);
    expect(calls).toHaveLength(1);
  });

  it('a failed read is logged, not taken for addresses, and read again after the interval', async () => {
    const { reads, world, calls, read, lines, advance, settled, ended, firstRead } = setUp();
    firstRead();
    calls[0]?.reject(new Error('image not found'));
    await settled();
    expect(read).toEqual([]);
    expect(ended()).toBe(1);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        node: 'n2',
        err: 'image not found',
        msg: 'reading the addresses of an idle node failed',
      }),
    ]);
    advance(INTERVAL_MS);
    reads.read(world);
    expect(calls).toHaveLength(2);
  });
});
