import { describe, expect, it } from 'vitest';
import { foreignClaims } from '../../src/core/foreign-claims.js';
import { planActions } from '../../src/core/plan.js';
import type { ActualState, ForeignKeepalived } from '../../src/core/types.js';
import { actual, actualContainer, describeActions, desired, desiredContainer } from './plan-fixtures.js';

const handRun = (node: string, addresses: string[], name = 'keepalived'): ForeignKeepalived => ({
  id: `${node}/${name}`,
  name,
  node,
  image: 'osixia/keepalived:2.0.20',
  running: true,
  addresses,
});

/** `actual` plus unmanaged keepalived containers on their nodes. */
function withForeign(state: ActualState, foreign: ForeignKeepalived[]): ActualState {
  return {
    ...state,
    nodes: state.nodes.map((n) =>
      n.reachable ? { ...n, foreign: foreign.filter((f) => f.node === n.node) } : n,
    ),
  };
}

const want = desired([desiredContainer('web', 'n1', 'h'), desiredContainer('web', 'n2', 'h')]);

describe('unmanaged keepalived claiming a VIP address', () => {
  it('is found when it declares one of the VIP addresses, and not otherwise', () => {
    const world = withForeign(actual([], { reachable: ['n1', 'n2'] }), [
      handRun('n1', ['198.18.0.100']),
      handRun('n2', ['198.18.0.200'], 'other'),
    ]);
    expect(foreignClaims(want, world.nodes).map((c) => [c.vip, c.container.node, c.addresses])).toEqual([
      ['web', 'n1', ['198.18.0.100']],
    ]);
  });

  it('without --adopt: the plan neither touches it nor starts a rival VRRP group for the VIP', () => {
    const world = withForeign(actual([], { reachable: ['n1', 'n2'] }), [handRun('n1', ['198.18.0.100'])]);
    expect(planActions(want, world)).toEqual([]);
    const other = desired([desiredContainer('api', 'n2', 'h')]);
    expect(
      describeActions(
        planActions(
          { ...other, containers: other.containers.map((c) => ({ ...c, addresses: ['198.18.0.101'] })) },
          world,
        ),
      ),
    ).toEqual(['create api@n2 keepalived-api: missing']);
  });

  it('with --adopt: replaced by the managed container on its node, removed where the VIP has no target', () => {
    const world = withForeign(actual([actualContainer('web', 'n2', 'h')], { reachable: ['n1', 'n3'] }), [
      handRun('n1', ['198.18.0.100']),
      handRun('n3', ['198.18.0.100']),
    ]);
    const plan = planActions(want, world, { adopt: true });
    expect(describeActions(plan)).toEqual([
      'replace web@n1 keepalived-web: adopt: unmanaged keepalived (osixia/keepalived:2.0.20) claims 198.18.0.100',
      'remove web@n3 keepalived: adopt: unmanaged keepalived (osixia/keepalived:2.0.20) claims 198.18.0.100',
    ]);
    expect(plan.map((a) => (a.kind === 'replace' || a.kind === 'remove' ? a.existingId : ''))).toEqual([
      'n1/keepalived',
      'n3/keepalived',
    ]);
  });

  it('with --adopt, a frozen VIP adopts nothing', () => {
    const world = withForeign(actual([], { reachable: ['n1'] }), [handRun('n1', ['198.18.0.100'])]);
    const frozen = desired([desiredContainer('web', 'n1', 'h')], ['web']);
    expect(planActions(frozen, world, { adopt: true })).toEqual([]);
  });
});
