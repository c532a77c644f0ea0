import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/core/plan.js';
import { BOOST_PRIORITY } from '../../src/core/priority-boost.js';
import type { ActualContainer, DesiredContainer, ForeignKeepalived } from '../../src/core/types.js';
import { actual, actualContainer, desired, desiredContainer } from './plan-fixtures.js';

const PREEMPT_MS = 3500;

/** A desired keepalived of VIP `v` on `node`, spec `hash`, preempting unless `preempt` is false. */
const want = (node: string, priority: number, hash = 'new', preempt = true): DesiredContainer => ({
  ...desiredContainer('v', node, hash, priority),
  ...(preempt ? { preemptWithinMs: PREEMPT_MS } : {}),
});

/** Each step as `kind@node`, with the boost or restored priority, and `!` when the reason says no boost. */
function steps(actions: ReturnType<typeof planActions>): string[] {
  return actions.map((x) => {
    const at = `${x.kind}@${x.node}`;
    switch (x.kind) {
      case 'raise-priority':
        return `${at} ${x.boost.priority} (holder ${x.boost.holder}, ${x.boost.withinMs} ms)`;
      case 'restore-priority':
        return `${at} ${x.priority}`;
      case 'create':
      case 'replace':
      case 'start':
      case 'remove':
        return x.reason.includes('no hand-over boost') ? `${at}!` : at;
    }
  });
}

type Row = {
  what: string;
  wanted: DesiredContainer[];
  have: ActualContainer[];
  holder: string | undefined;
  reachable?: string[];
  unreachable?: string[];
  foreign?: ForeignKeepalived[];
  expected: string[];
};

const old = (node: string, extra: Partial<ActualContainer> = {}): ActualContainer => ({
  ...actualContainer('v', node, 'old'),
  ...extra,
});
const current = (node: string, extra: Partial<ActualContainer> = {}): ActualContainer => ({
  ...actualContainer('v', node, 'new'),
  ...extra,
});
const raised = (node: string, holder: string) =>
  `raise-priority@${node} ${BOOST_PRIORITY} (holder ${holder}, ${PREEMPT_MS} ms)`;

const ROWS: Row[] = [
  {
    what: 'the holder has the highest priority: the best backup, replaced first, is raised before the holder goes and restored after',
    wanted: [want('n1', 200), want('n2', 100), want('n3', 50)],
    have: [old('n1'), old('n2'), old('n3')],
    holder: 'n1',
    expected: ['replace@n2', 'replace@n3', raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'a new keepalived outranks the holder: it preempts by itself, no boost',
    wanted: [want('n1', 200), want('n2', 100), want('n3', 50)],
    have: [old('n1'), old('n2'), old('n3')],
    holder: 'n3',
    expected: ['replace@n1', 'replace@n2', 'replace@n3'],
  },
  {
    what: 'only the holder changes: a current, running backup is raised',
    wanted: [want('n1', 200, 'new'), want('n2', 100), want('n3', 50)],
    have: [old('n1'), current('n2'), current('n3')],
    holder: 'n1',
    expected: [raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'a stopped backup that is started first counts as ready',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [old('n1'), current('n2', { running: false })],
    holder: 'n1',
    expected: ['start@n2', raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'a backup waiting out its crash-loop backoff is passed over for the next best',
    wanted: [want('n1', 200), want('n2', 100), want('n3', 50)],
    have: [old('n1'), current('n2', { running: false, crashLoopBackoff: 'until 12:00' }), current('n3')],
    holder: 'n1',
    expected: [raised('n3', 'n1'), 'replace@n1', 'restore-priority@n3 50'],
  },
  {
    what: 'a backup on an unreachable node is passed over',
    wanted: [want('n1', 200), want('n2', 100), want('n3', 50)],
    have: [old('n1'), current('n3')],
    unreachable: ['n2'],
    holder: 'n1',
    expected: [raised('n3', 'n1'), 'replace@n1', 'restore-priority@n3 50'],
  },
  {
    what: 'equal priorities: the first node by name is raised',
    wanted: [want('n1', 100), want('n2', 100), want('n3', 100)],
    have: [old('n1'), current('n2'), current('n3')],
    holder: 'n1',
    expected: [raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'the holder is no longer targeted: the best remaining node is raised before its keepalived goes',
    wanted: [want('n2', 100), want('n3', 50)],
    have: [current('n1', { specHash: 'new' }), current('n2'), current('n3')],
    holder: 'n1',
    expected: [raised('n2', 'n1'), 'remove@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'the holder has priority 254: nothing can outrank it, and its step says so',
    wanted: [want('n1', 254), want('n2', 100)],
    have: [old('n1'), current('n2')],
    holder: 'n1',
    expected: ['replace@n1!'],
  },
  {
    what: 'a sick backup is replaced first, then raised',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [old('n1'), current('n2', { sick: 'FAULT for 60 s' })],
    holder: 'n1',
    expected: ['replace@n2', raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'no other node runs a current keepalived: no boost, and the holder step says so',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [old('n1'), current('n2', { running: false, crashLoopBackoff: 'until 12:00' })],
    holder: 'n1',
    expected: ['replace@n1!'],
  },
  {
    what: 'a lone target node: nobody to hand over to, the holder step says so',
    wanted: [want('n1', 200)],
    have: [old('n1')],
    holder: 'n1',
    expected: ['replace@n1!'],
  },
  {
    what: 'preemption off (preempt: false): no backup would take over, nothing is added',
    wanted: [want('n1', 200, 'new', false), want('n2', 100, 'new', false)],
    have: [old('n1'), old('n2')],
    holder: 'n1',
    expected: ['replace@n2', 'replace@n1'],
  },
  {
    what: 'the holder is not taken away: no boost',
    wanted: [want('n1', 200, 'old'), want('n2', 100)],
    have: [old('n1'), old('n2')],
    holder: 'n1',
    expected: ['replace@n2'],
  },
  {
    what: 'the holder is unknown: no boost',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [old('n1'), old('n2')],
    holder: undefined,
    expected: ['replace@n1', 'replace@n2'],
  },
  {
    what: 'a raise left over from an unfinished hand-over (the raised node holds): restored',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [current('n1'), current('n2', { reloadedPriority: 254 })],
    holder: 'n2',
    expected: ['restore-priority@n2 100'],
  },
  {
    what: 'a reload that was restored already: nothing to do',
    wanted: [want('n1', 200), want('n2', 100)],
    have: [current('n1'), current('n2', { reloadedPriority: 100 })],
    holder: 'n1',
    expected: [],
  },
  {
    what: 'a left-over raise on the successor of a new hand-over: one restore, at the end',
    wanted: [want('n1', 200, 'new'), want('n2', 100)],
    have: [old('n1'), current('n2', { reloadedPriority: 254 })],
    holder: 'n1',
    expected: [raised('n2', 'n1'), 'replace@n1', 'restore-priority@n2 100'],
  },
  {
    what: 'the VIP is deleted: its address goes with it, no hand-over',
    wanted: [],
    have: [old('n1'), old('n2')],
    holder: 'n1',
    expected: ['remove@n2', 'remove@n1'],
  },
];

describe('planActions hand-over boost: the best ready backup is raised above a holder nobody outranks', () => {
  it.each(ROWS)('$what', ({ wanted, have, holder, unreachable, expected }) => {
    const state = actual(have, {
      reachable: [...new Set(wanted.map((c) => c.node))].filter((n) => !unreachable?.includes(n)),
      ...(unreachable ? { unreachable } : {}),
      ...(holder ? { holders: { v: holder } } : {}),
    });
    expect(steps(planActions(desired(wanted), state))).toEqual(expected);
  });

  it('says in its reasons why the successor is raised and to what it returns', () => {
    const actions = planActions(
      desired([want('n1', 200), want('n2', 100)]),
      actual([old('n1'), current('n2')], { holders: { v: 'n1' } }),
    );
    expect(actions.map((x) => x.reason)).toEqual([
      `hand-over: n1 holds the address and no new keepalived outranks it (priority 200); raised from 100 to ${BOOST_PRIORITY} so this node takes the address over before n1 lets go`,
      'spec hash old → new',
      "hand-over done: back to the manifest's priority 100",
    ]);
  });

  it('adopting a hand-run holder: the adopted backups are replaced first, then one is raised', () => {
    const hand = (node: string): ForeignKeepalived => ({
      id: `hand-${node}`,
      name: 'keepalived',
      node,
      image: 'osixia/keepalived:2.0.20',
      running: true,
      addresses: ['198.18.0.100'],
    });
    const state = actual([], { reachable: ['n1', 'n2', 'n3'], holders: { v: 'n1' } });
    const nodes = state.nodes.map((o) => (o.reachable ? { ...o, foreign: [hand(o.node)] } : o));
    const actions = planActions(
      desired([want('n1', 200), want('n2', 100), want('n3', 50)]),
      { ...state, nodes },
      { adopt: true },
    );
    expect(steps(actions)).toEqual([
      'replace@n2',
      'replace@n3',
      raised('n2', 'n1'),
      'replace@n1',
      'restore-priority@n2 100',
    ]);
  });

  it('plans nothing once the rollout is done (the boost leaves nothing a listing shows)', () => {
    const wanted = [want('n1', 200), want('n2', 100)];
    expect(
      planActions(desired(wanted), actual([current('n1'), current('n2')], { holders: { v: 'n2' } })),
    ).toEqual([]);
  });
});
