import { describe, expect, it } from 'vitest';
import {
  NO_FACTS,
  buildStatus,
  isOutOfDate,
  needsReconcile,
  type StatusFacts,
  type VrrpState,
} from '../../src/core/status.js';
import type {
  ActualContainer,
  DesiredContainer,
  DesiredState,
  NodeObservation,
} from '../../src/core/types.js';

const VIP_ADDRESS = '198.18.0.100';

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
  addresses: [VIP_ADDRESS],
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

/** Facts from per-container states and per-node addresses. */
function facts(states: Record<string, VrrpState>, addresses: Record<string, string[]>): StatusFacts {
  return {
    states: new Map(Object.entries(states)),
    nodeAddresses: new Map(Object.entries(addresses).map(([node, list]) => [node, new Set(list)])),
  };
}

describe('buildStatus', () => {
  it('shows per node: current / stale / missing / unreachable, VRRP state and the holder', () => {
    const nodes: NodeObservation[] = [
      { node: 'n1', reachable: true, containers: [container('n1', 'new')] },
      { node: 'n2', reachable: true, containers: [container('n2', 'old')] },
      { node: 'n3', reachable: true, containers: [] },
      { node: 'n4', reachable: false, error: 'connect ECONNREFUSED' },
    ];
    const known = facts(
      { 'id-n1': 'MASTER', 'id-n2': 'BACKUP' },
      { n1: ['127.0.0.1', VIP_ADDRESS], n2: ['127.0.0.1'] },
    );
    const onFour: DesiredState = { ...desired, containers: [...desired.containers, want('n4')] };
    const [web] = buildStatus(onFour, nodes, known);
    expect(web?.holders).toEqual(['n1']);
    expect(
      web?.nodes.map((n) => [n.node, n.reachable, n.spec, n.vrrpState, n.holdsAddress, n.error]),
    ).toEqual([
      ['n1', true, 'current', 'MASTER', true, undefined],
      ['n2', true, 'stale', 'BACKUP', false, undefined],
      ['n3', true, 'missing', 'UNKNOWN', false, undefined],
      ['n4', false, 'unknown', 'UNKNOWN', false, 'connect ECONNREFUSED'],
    ]);
    expect(needsReconcile(buildStatus(onFour, nodes, known))).toBe(true);
  });

  // Holders are what the nodes' interfaces carry as last read, never keepalived's word.
  const running = (node: string) => container(node, 'new', true);
  const stopped = (node: string) => container(node, 'new', false);
  const up = (node: string, ...containers: ActualContainer[]): NodeObservation => ({
    node,
    reachable: true,
    containers,
  });
  const suspended: DesiredState = {
    containers: [],
    frozen: { names: new Set(['web']), unknownNames: false },
    suspendedAddresses: new Map([['web', [VIP_ADDRESS]]]),
  };
  const V = VIP_ADDRESS;
  /** Rows as `node spec vrrpState holds|-`. */
  const holderCases: {
    name: string;
    desired?: DesiredState;
    nodes: NodeObservation[];
    known: StatusFacts;
    holders: string[];
    rows: string[];
  }[] = [
    {
      name: 'the MASTER whose interface carries the address',
      nodes: [up('n1', running('n1')), up('n2', running('n2'))],
      known: facts({ 'id-n1': 'MASTER', 'id-n2': 'BACKUP' }, { n1: [V], n2: [] }),
      holders: ['n1'],
      rows: ['n1 current MASTER holds', 'n2 current BACKUP -'],
    },
    {
      name: 'a node whose keepalived stopped but whose interface still carries the address',
      nodes: [up('n1', stopped('n1')), up('n2', running('n2'))],
      known: facts({ 'id-n2': 'MASTER' }, { n1: [V], n2: [V] }),
      holders: ['n1', 'n2'],
      rows: ['n1 current STOP holds', 'n2 current MASTER holds'],
    },
    {
      name: 'no longer the stopped node once its address is read gone',
      nodes: [up('n1', stopped('n1')), up('n2', running('n2'))],
      known: facts({ 'id-n2': 'MASTER' }, { n1: [], n2: [V] }),
      holders: ['n2'],
      rows: ['n1 current STOP -', 'n2 current MASTER holds'],
    },
    {
      name: 'a BACKUP whose interface carries the address (added by hand)',
      nodes: [up('n1', running('n1')), up('n2', running('n2'))],
      known: facts({ 'id-n1': 'MASTER', 'id-n2': 'BACKUP' }, { n1: [V], n2: [V] }),
      holders: ['n1', 'n2'],
      rows: ['n1 current MASTER holds', 'n2 current BACKUP holds'],
    },
    {
      name: 'a target node whose container is gone but whose interface carries the address',
      nodes: [up('n1'), up('n2', running('n2'))],
      known: facts({ 'id-n2': 'BACKUP' }, { n1: [V] }),
      holders: ['n1'],
      rows: ['n1 missing UNKNOWN holds', 'n2 current BACKUP -'],
    },
    {
      name: 'a node the VIP does not target that carries the address, with a row of its own',
      nodes: [up('n1', running('n1')), up('n9')],
      known: facts({ 'id-n1': 'MASTER' }, { n1: [V], n9: ['10.0.0.9', V] }),
      holders: ['n1', 'n9'],
      rows: ['n1 current MASTER holds', 'n9 none UNKNOWN holds'],
    },
    {
      name: 'the nodes carrying a suspended VIP (no desired containers: its own addresses)',
      desired: suspended,
      nodes: [up('n1', stopped('n1')), up('n2', running('n2'))],
      known: facts({ 'id-n2': 'MASTER' }, { n1: [V], n2: [V] }),
      holders: ['n1', 'n2'],
      rows: ['n1 orphan STOP holds', 'n2 orphan MASTER holds'],
    },
    {
      name: 'nobody while MASTER is reported but the interface does not carry the address',
      nodes: [up('n1', running('n1'))],
      known: facts({ 'id-n1': 'MASTER' }, { n1: ['127.0.0.1'] }),
      holders: [],
      rows: ['n1 current MASTER -'],
    },
    {
      name: 'nobody on a node whose addresses were never read',
      nodes: [up('n1', running('n1'))],
      known: facts({ 'id-n1': 'MASTER' }, {}),
      holders: [],
      rows: ['n1 current MASTER -'],
    },
    {
      name: 'nobody on an unreachable node, whatever was read from it before',
      nodes: [{ node: 'n1', reachable: false, error: 'timeout' }],
      known: facts({}, { n1: [V] }),
      holders: [],
      rows: ['n1 unknown UNKNOWN -'],
    },
  ];
  it.each(holderCases)('holders: $name', ({ desired: declared = desired, nodes, known, holders, rows }) => {
    const [web] = buildStatus(declared, nodes, known);
    expect(web?.holders).toEqual(holders);
    expect(
      web?.nodes.map((n) => `${n.node} ${n.spec} ${n.vrrpState} ${n.holdsAddress ? 'holds' : '-'}`),
    ).toEqual(rows);
  });

  it('needs no pass for a node that only carries the address (the watch removes it)', () => {
    const nodes = [...['n1', 'n2', 'n3'].map((n) => up(n, running(n))), up('n9')];
    const status = buildStatus(desired, nodes, facts({}, { n9: [VIP_ADDRESS] }));
    expect(status[0]?.nodes.filter(isOutOfDate)).toEqual([]);
    expect(needsReconcile(status)).toBe(false);
  });

  it('needs no pass when every node runs the current spec, even while no node holds the VIP yet', () => {
    const nodes: NodeObservation[] = ['n1', 'n2', 'n3'].map((n) => ({
      node: n,
      reachable: true,
      containers: [container(n, 'new')],
    }));
    const status = buildStatus(desired, nodes, NO_FACTS);
    expect(status[0]?.holders).toEqual([]);
    expect(needsReconcile(status)).toBe(false);
  });

  it('shows no row for an unreachable node the VIP does not target', () => {
    const nodes: NodeObservation[] = [
      { node: 'n1', reachable: true, containers: [container('n1', 'new')] },
      { node: 'n9', reachable: false, error: 'timeout' },
    ];
    expect(buildStatus(desired, nodes, NO_FACTS)[0]?.nodes.map((n) => n.node)).toEqual(['n1']);
  });

  it('does not ask for a pass when only an unreachable node differs', () => {
    const nodes: NodeObservation[] = [
      ...['n1', 'n2'].map((n) => ({ node: n, reachable: true as const, containers: [container(n, 'new')] })),
      { node: 'n3', reachable: false, error: 'timeout' },
    ];
    expect(needsReconcile(buildStatus(desired, nodes, NO_FACTS))).toBe(false);
  });

  it('reports a managed container of a deleted VIP as orphan', () => {
    const nodes: NodeObservation[] = [
      {
        node: 'n1',
        reachable: true,
        containers: [{ ...container('n1', 'x'), vip: 'gone', name: 'keepalived-gone' }],
      },
    ];
    const status = buildStatus({ containers: [], frozen: desired.frozen }, nodes, NO_FACTS);
    expect(status.map((s) => [s.vip, s.nodes[0]?.spec])).toEqual([['gone', 'orphan']]);
  });
});
