import { describe, expect, it } from 'vitest';
import {
  holderSegments,
  parseMonitorLine,
  parseStamp,
  summariseSegments,
  type HolderEvent,
} from '../../bench/holder-monitor.js';

const VIP = '198.18.4.100';
const wanted = new Set([VIP]);

describe('parseStamp', () => {
  it('reads the UTC stamp of `ip -ts` with its microseconds', () => {
    expect(parseStamp('[2026-12-01T07:32:06.800115] 2: eth0    inet 198.18.4.150/24')).toEqual({
      atMs: Date.parse('2026-12-01T07:32:06Z') + 800.115,
      rest: '2: eth0    inet 198.18.4.150/24',
    });
  });

  it('refuses a line without a stamp', () => {
    expect(parseStamp('2: eth0    inet 198.18.4.150/24')).toBeUndefined();
  });
});

describe('parseMonitorLine', () => {
  // Lines as `ip -o monitor link address` (iproute2 6.1) printed them in a test-cluster node.
  it.each([
    [
      'an added VIP',
      `2: eth0    inet ${VIP}/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever`,
      { kind: 'address', address: VIP, present: true },
    ],
    [
      'a deleted VIP',
      `Deleted 2: eth0    inet ${VIP}/24 scope global secondary eth0\\       valid_lft forever`,
      { kind: 'address', address: VIP, present: false },
    ],
    ['another address', '2: eth0    inet 198.18.4.150/24 scope global secondary eth0', undefined],
    [
      'the link cut',
      '2: eth0@if5: <BROADCAST,MULTICAST> mtu 1500 qdisc noqueue state DOWN group default \\    link/ether 7e:03',
      { kind: 'link', up: false },
    ],
    [
      'the link up without carrier yet',
      '2: eth0@if5: <NO-CARRIER,BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state DOWN',
      { kind: 'link', up: false },
    ],
    [
      'the link back',
      '2: eth0@if5: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default',
      { kind: 'link', up: true },
    ],
    [
      "another interface's link",
      '8: docker_gwbridge: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc noqueue state DOWN',
      undefined,
    ],
  ])('%s', (_, line, expected) => {
    const event = parseMonitorLine(line, 5, 'n1', 'eth0', wanted);
    expect(event).toEqual(expected === undefined ? undefined : { ...expected, atMs: 5, node: 'n1' });
  });
});

const add = (atMs: number, node: string, present = true): HolderEvent => ({
  kind: 'address',
  atMs,
  node,
  address: VIP,
  present,
});
const link = (atMs: number, node: string, up: boolean): HolderEvent => ({ kind: 'link', atMs, node, up });

describe('holderSegments and summariseSegments', () => {
  // n3 holds; its link is cut at 100 (still carrying the address); n2 takes over at 250; the
  // link returns at 400, so both are reachable holders until n2 lets go at 450.
  const events = [
    add(0, 'n3'),
    link(100, 'n3', false),
    add(250, 'n2'),
    link(400, 'n3', true),
    add(450, 'n2', false),
  ];

  it('counts a holder whose link is cut as not reachable', () => {
    expect(holderSegments(events, VIP, 50, 500)).toEqual([
      { fromMs: 50, toMs: 100, holders: ['n3'] },
      { fromMs: 100, toMs: 250, holders: [] },
      { fromMs: 250, toMs: 400, holders: ['n2'] },
      { fromMs: 400, toMs: 450, holders: ['n2', 'n3'] },
      { fromMs: 450, toMs: 500, holders: ['n3'] },
    ]);
  });

  it('counts every holder with reachableOnly false', () => {
    expect(holderSegments(events, VIP, 50, 500, { reachableOnly: false }).map((s) => s.holders)).toEqual([
      ['n3'],
      ['n2', 'n3'],
      ['n3'],
    ]);
  });

  it('sums exactly one, none and several, and the longest stretches', () => {
    expect(summariseSegments(holderSegments(events, VIP, 50, 500))).toEqual({
      totalMs: 450,
      exactlyOneMs: 250,
      noneMs: 150,
      severalMs: 50,
      longestNoneMs: 150,
      longestSeveralMs: 50,
    });
  });

  it('joins neighbouring stretches of the same kind for the longest one', () => {
    const handOver = [add(0, 'n1'), add(10, 'n2'), add(20, 'n3'), add(30, 'n1', false), add(40, 'n2', false)];
    expect(summariseSegments(holderSegments(handOver, VIP, 0, 50)).longestSeveralMs).toBe(30);
  });
});
