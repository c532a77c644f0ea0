import { describe, expect, it } from 'vitest';
import { buildStatus, needsReconcile, type ContainerProbe } from '../../src/core/status.js';
import type { DesiredContainer, DesiredState, NodeObservation } from '../../src/core/types.js';

const want = (node: string, specHash = 'new'): DesiredContainer => ({
  vip: 'web',
  node,
  name: 'keepalived-web',
  image: 'img',
  labels: {},
  command: [],
  files: [],
  fileDelivery: 'environment',
  specHash,
  priority: 100,
  addresses: ['198.18.0.100'],
});

const desired: DesiredState = {
  containers: [want('n1'), want('n2'), want('n3')],
  frozen: { names: new Set(), unknownNames: false },
};

const container = (node: string, specHash: string, running = true) => ({
  id: `id-${node}`,
  name: 'keepalived-web',
  node,
  vip: 'web',
  specHash,
  running,
});

describe('buildStatus', () => {
  it('shows per node: current / stale / missing / unreachable, VRRP state and the holder', () => {
    const nodes: NodeObservation[] = [
      { node: 'n1', reachable: true, containers: [container('n1', 'new')] },
      { node: 'n2', reachable: true, containers: [container('n2', 'old')] },
      { node: 'n3', reachable: true, containers: [] },
      { node: 'n4', reachable: false, error: 'connect ECONNREFUSED' },
    ];
    const probes = new Map<string, ContainerProbe>([
      ['id-n1', { state: 'MASTER', heldAddresses: ['198.18.0.100'] }],
      ['id-n2', { state: 'BACKUP', heldAddresses: [] }],
    ]);
    const onFour: DesiredState = { ...desired, containers: [...desired.containers, want('n4')] };
    const [web] = buildStatus(onFour, nodes, probes);
    expect(web?.holders).toEqual(['n1']);
    expect(
      web?.nodes.map((n) => [n.node, n.reachable, n.spec, n.vrrpState, n.holdsAddress, n.error]),
    ).toEqual([
      ['n1', true, 'current', 'MASTER', true, undefined],
      ['n2', true, 'stale', 'BACKUP', false, undefined],
      ['n3', true, 'missing', 'UNKNOWN', false, undefined],
      ['n4', false, 'unknown', 'UNKNOWN', false, 'connect ECONNREFUSED'],
    ]);
    expect(needsReconcile(buildStatus(onFour, nodes, probes))).toBe(true);
  });

  it('needs no pass when every node runs the current spec, even while no node holds the VIP yet', () => {
    const nodes: NodeObservation[] = ['n1', 'n2', 'n3'].map((n) => ({
      node: n,
      reachable: true,
      containers: [container(n, 'new')],
    }));
    const status = buildStatus(desired, nodes, new Map());
    expect(status[0]?.holders).toEqual([]);
    expect(needsReconcile(status)).toBe(false);
  });

  it('shows no row for an unreachable node the VIP does not target', () => {
    const nodes: NodeObservation[] = [
      { node: 'n1', reachable: true, containers: [container('n1', 'new')] },
      { node: 'n9', reachable: false, error: 'timeout' },
    ];
    expect(buildStatus(desired, nodes, new Map())[0]?.nodes.map((n) => n.node)).toEqual(['n1']);
  });

  it('does not ask for a pass when only an unreachable node differs', () => {
    const nodes: NodeObservation[] = [
      ...['n1', 'n2'].map((n) => ({ node: n, reachable: true as const, containers: [container(n, 'new')] })),
      { node: 'n3', reachable: false, error: 'timeout' },
    ];
    expect(needsReconcile(buildStatus(desired, nodes, new Map()))).toBe(false);
  });

  it('reports a managed container of a deleted VIP as orphan', () => {
    const nodes: NodeObservation[] = [
      {
        node: 'n1',
        reachable: true,
        containers: [{ ...container('n1', 'x'), vip: 'gone', name: 'keepalived-gone' }],
      },
    ];
    const status = buildStatus({ containers: [], frozen: desired.frozen }, nodes, new Map());
    expect(status.map((s) => [s.vip, s.nodes[0]?.spec])).toEqual([['gone', 'orphan']]);
  });
});
