import { describe, expect, it } from 'vitest';
import { groupActionsByVip, planActions } from '../../src/core/plan.js';
import type { ActualState, DesiredState } from '../../src/core/types.js';
import {
  actual,
  actualContainer as a,
  desired,
  desiredContainer as d,
  describeActions,
} from './plan-fixtures.js';

const N = ['n1', 'n2', 'n3'];

describe('planActions rules', () => {
  const cases: { name: string; desired: DesiredState; actual: ActualState; want: string[] }[] = [
    {
      name: 'nothing desired, nothing there',
      desired: desired([]),
      actual: actual([], { reachable: N }),
      want: [],
    },
    {
      name: 'converged',
      desired: desired([d('v', 'n1', 'h1'), d('v', 'n2', 'h1')]),
      actual: actual([a('v', 'n1', 'h1'), a('v', 'n2', 'h1')]),
      want: [],
    },
    {
      name: 'missing → create',
      desired: desired([d('v', 'n1', 'h1')]),
      actual: actual([], { reachable: N }),
      want: ['create v@n1 keepalived-v: missing'],
    },
    {
      name: 'stopped with the right hash → start',
      desired: desired([d('v', 'n1', 'h1')]),
      actual: actual([a('v', 'n1', 'h1', false)]),
      want: ['start v@n1 keepalived-v: container stopped'],
    },
    {
      name: 'being removed by its engine (docker rm -f) → create its successor at once, even on the same hash',
      desired: desired([d('v', 'n1', 'h1'), d('v', 'n2', 'h1')]),
      actual: actual([{ ...a('v', 'n1', 'h1', false), removing: true }, a('v', 'n2', 'h1')]),
      want: ['create v@n1 keepalived-v: being removed'],
    },
    {
      name: 'being removed while its VIP is deleted → nothing more to do for it',
      desired: desired([]),
      actual: actual([{ ...a('gone', 'n1', 'h', false), removing: true }, a('gone', 'n2', 'h')]),
      want: ['remove gone@n2 keepalived-gone: VIP deleted'],
    },
    {
      name: 'hash mismatch → replace',
      desired: desired([d('v', 'n1', 'new')]),
      actual: actual([a('v', 'n1', 'old')]),
      want: ['replace v@n1 keepalived-v: spec hash old → new'],
    },
    {
      name: 'stopped with a wrong hash → replace, not start',
      desired: desired([d('v', 'n1', 'new')]),
      actual: actual([a('v', 'n1', 'old', false)]),
      want: ['replace v@n1 keepalived-v: spec hash old → new (container stopped)'],
    },
    {
      name: 'stopped but waiting out its crash-loop backoff → nothing, not even a start',
      desired: desired([d('v', 'n1', 'h1')]),
      actual: actual([{ ...a('v', 'n1', 'h1', false), crashLoopBackoff: 'until 10:00:10' }]),
      want: [],
    },
    {
      name: 'in crash-loop backoff with a new spec hash → replace at once (the fix rolls out)',
      desired: desired([d('v', 'n1', 'new')]),
      actual: actual([{ ...a('v', 'n1', 'old', false), crashLoopBackoff: 'until 10:00:10' }]),
      want: ['replace v@n1 keepalived-v: spec hash old → new (container stopped)'],
    },
    {
      name: 'VIP no longer declared → remove',
      desired: desired([]),
      actual: actual([a('gone', 'n1', 'h'), a('gone', 'n2', 'h', false)]),
      want: ['remove gone@n1 keepalived-gone: VIP deleted', 'remove gone@n2 keepalived-gone: VIP deleted'],
    },
    {
      name: 'node no longer targeted → remove',
      desired: desired([d('v', 'n1', 'h')]),
      actual: actual([a('v', 'n1', 'h'), a('v', 'n3', 'h')]),
      want: ['remove v@n3 keepalived-v: node no longer targeted'],
    },
    {
      name: 'stray duplicate (other name, same node and VIP) → remove',
      desired: desired([d('v', 'n1', 'h')]),
      actual: actual([a('v', 'n1', 'h'), a('v', 'n1', 'h', true, 'keepalived-v-old')]),
      want: ['remove v@n1 keepalived-v-old: duplicate of keepalived-v'],
    },
    {
      name: 'only a stray on the node → create, then remove the stray',
      desired: desired([d('v', 'n1', 'h')]),
      actual: actual([a('v', 'n1', 'h', true, 'kad')]),
      want: ['create v@n1 keepalived-v: missing', 'remove v@n1 kad: duplicate of keepalived-v'],
    },
    {
      name: 'frozen VIP: no action at all',
      desired: desired([d('v', 'n1', 'new')], ['v', 'gone']),
      actual: actual([a('v', 'n1', 'old'), a('v', 'n2', 'old'), a('gone', 'n1', 'h')], { reachable: N }),
      want: [],
    },
    {
      name: 'unknown names: undeclared VIPs are kept, declared ones reconcile',
      desired: desired([d('v', 'n1', 'new')], [], true),
      actual: actual([a('v', 'n1', 'old'), a('v', 'n2', 'old'), a('maybe', 'n1', 'h')]),
      want: [
        'replace v@n1 keepalived-v: spec hash old → new',
        'remove v@n2 keepalived-v: node no longer targeted',
      ],
    },
    {
      name: 'unreachable nodes get no action',
      desired: desired([d('v', 'n1', 'h'), d('v', 'n2', 'h')]),
      actual: actual([], { reachable: ['n1'], unreachable: ['n2'] }),
      want: ['create v@n1 keepalived-v: missing'],
    },
    {
      name: 'unobserved nodes get no action',
      desired: desired([d('v', 'n9', 'h')]),
      actual: actual([], { reachable: ['n1'] }),
      want: [],
    },
  ];

  it.each(cases)('$name', ({ desired: want, actual: have, want: expected }) => {
    expect(describeActions(planActions(want, have))).toEqual(expected);
  });

  it('carries the desired container and the existing id', () => {
    const want = d('v', 'n1', 'new');
    const [action] = planActions(desired([want]), actual([a('v', 'n1', 'old')]));
    expect(action).toEqual({
      kind: 'replace',
      node: 'n1',
      vip: 'v',
      container: 'keepalived-v',
      reason: 'spec hash old → new',
      existingId: 'n1/keepalived-v',
      desired: want,
    });
  });
});

describe('planActions order', () => {
  it('rolls out backups first and the holder last', () => {
    const want = desired(['n1', 'n2', 'n3'].map((n) => d('v', n, 'new')));
    const have = actual(
      ['n1', 'n2', 'n3'].map((n) => a('v', n, 'old')),
      { holders: { v: 'n1' } },
    );
    expect(planActions(want, have).map((x) => x.node)).toEqual(['n2', 'n3', 'n1']);
  });

  it('orders non-holders: creates and starts, then replaces, then removes, then by node', () => {
    const want = desired([
      d('v', 'n1', 'new'),
      d('v', 'n2', 'new'),
      d('v', 'n3', 'new'),
      d('v', 'n5', 'new'),
    ]);
    const have = actual(
      [
        a('v', 'n1', 'old'),
        a('v', 'n2', 'new', false),
        a('v', 'n4', 'old'),
        a('v', 'n6', 'old'),
        a('v', 'n0', 'x'),
      ],
      { reachable: ['n3', 'n5'], holders: { v: 'n0' } },
    );
    expect(describeActions(planActions(want, have))).toEqual([
      'create v@n3 keepalived-v: missing',
      'create v@n5 keepalived-v: missing',
      'start v@n2 keepalived-v: container stopped',
      'replace v@n1 keepalived-v: spec hash old → new',
      'remove v@n4 keepalived-v: node no longer targeted',
      'remove v@n6 keepalived-v: node no longer targeted',
      'remove v@n0 keepalived-v: node no longer targeted',
    ]);
  });

  it('moves a VIP off its holder only after the new node runs', () => {
    const want = desired([d('v', 'n2', 'h')]);
    const have = actual([a('v', 'n1', 'h')], { reachable: ['n2'], holders: { v: 'n1' } });
    expect(describeActions(planActions(want, have))).toEqual([
      'create v@n2 keepalived-v: missing',
      'remove v@n1 keepalived-v: node no longer targeted',
    ]);
  });

  it('with an unknown holder, falls back to the kind and node order', () => {
    const want = desired(['n2', 'n1'].map((n) => d('v', n, 'new')));
    const have = actual(['n1', 'n2'].map((n) => a('v', n, 'old')));
    expect(planActions(want, have).map((x) => x.node)).toEqual(['n1', 'n2']);
  });

  it('lists VIPs in name order and groups them preserving order', () => {
    const want = desired([d('b', 'n1', 'h'), d('a', 'n1', 'h'), d('a', 'n2', 'h')]);
    const have = actual([a('a', 'n1', 'old')], { reachable: ['n2'], holders: { a: 'n1' } });
    const actions = planActions(want, have);
    expect(actions.map((x) => x.vip)).toEqual(['a', 'a', 'b']);
    const groups = groupActionsByVip(actions);
    expect([...groups.keys()]).toEqual(['a', 'b']);
    expect(describeActions(groups.get('a') ?? [])).toEqual([
      'create a@n2 keepalived-a: missing',
      'replace a@n1 keepalived-a: spec hash old → h',
    ]);
  });

  it('is deterministic whatever the input order', () => {
    const containers = [d('v', 'n1', 'h'), d('v', 'n2', 'h'), d('w', 'n3', 'h')];
    const have = [a('v', 'n3', 'h'), a('w', 'n1', 'x'), a('z', 'n2', 'h')];
    const one = planActions(desired(containers), actual(have, { reachable: N }));
    const two = planActions(
      desired([...containers].reverse()),
      actual([...have].reverse(), { reachable: [...N].reverse() }),
    );
    expect(two).toEqual(one);
  });
});

describe('planActions take-over: a new keepalived that outranks the holder preempts it first', () => {
  const preempting = (
    vip: string,
    node: string,
    hash: string,
    priority: number,
    preemptWithinMs?: number,
  ) => ({
    ...d(vip, node, hash, priority),
    ...(preemptWithinMs === undefined ? {} : { preemptWithinMs }),
  });
  const takeOvers = (actions: ReturnType<typeof planActions>) =>
    actions.flatMap((x) =>
      (x.kind === 'create' || x.kind === 'replace') && x.takeOver
        ? [`${x.node} ${JSON.stringify(x.takeOver)}`]
        : [],
    );
  /** The priority boost instead (priority-boost.ts): `node priority` raised, when any. */
  const boosts = (actions: ReturnType<typeof planActions>) =>
    actions.flatMap((x) => (x.kind === 'raise-priority' ? [`${x.node} ${x.boost.priority}`] : []));
  type Row = [
    what: string,
    priorities: Record<string, number>,
    holder: string,
    preemptMs: number | undefined,
    marked: string[],
    boosted: string[],
  ];
  const ROWS: Row[] = [
    [
      'the holder is outranked: the first outranking step waits for MASTER before the holder goes',
      { n1: 200, n2: 100, n3: 50 },
      'n3',
      4200,
      ['n1 {"holder":"n3","withinMs":4200}'],
      [],
    ],
    [
      'the holder has the highest priority: nobody can preempt it, no wait (the best backup is raised instead)',
      { n1: 200, n2: 100, n3: 50 },
      'n1',
      4200,
      [],
      ['n2 254'],
    ],
    [
      'preemption off (nopreempt): it never would, no wait',
      { n1: 200, n2: 100, n3: 50 },
      'n3',
      undefined,
      [],
      [],
    ],
    ['equal priorities do not preempt', { n1: 100, n2: 100, n3: 100 }, 'n3', 4200, [], ['n1 254']],
  ];

  it.each(ROWS)('%s', (_what, priorities, holder, preemptMs, marked, boosted) => {
    const want = desired(Object.entries(priorities).map(([n, p]) => preempting('v', n, 'new', p, preemptMs)));
    const have = actual(
      Object.keys(priorities).map((n) => a('v', n, 'old')),
      { holders: { v: holder } },
    );
    const actions = planActions(want, have);
    const containerSteps = actions.filter(
      (x) => x.kind !== 'raise-priority' && x.kind !== 'restore-priority',
    );
    expect(containerSteps.at(-1)?.node).toBe(holder);
    expect(takeOvers(actions)).toEqual(marked);
    expect(boosts(actions)).toEqual(boosted);
  });

  it('no wait when the holder is not taken away', () => {
    const want = desired([preempting('v', 'n1', 'new', 200, 4200), preempting('v', 'n3', 'same', 50, 4200)]);
    const have = actual([a('v', 'n3', 'same')], { reachable: ['n1'], holders: { v: 'n3' } });
    expect(takeOvers(planActions(want, have))).toEqual([]);
  });
});
