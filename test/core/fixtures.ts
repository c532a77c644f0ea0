import type { ClusterNode, VirtualIP, VirtualIPSpec } from '../../src/core/types.js';

/** A VirtualIP named `name`; the spec defaults to one IPv4 address on node-1 and node-2. */
export function vipOf(name: string, spec: Partial<VirtualIPSpec> = {}): VirtualIP {
  const base: VirtualIPSpec = {
    addresses: ['198.18.0.100/24'],
    nodes: [
      { name: 'node-1', priority: 200 },
      { name: 'node-2', priority: 100 },
    ],
  };
  return { apiVersion: 'swarm-vip/v1', kind: 'VirtualIP', metadata: { name }, spec: { ...base, ...spec } };
}

/** Nodes node-1..node-N at 198.18.0.N and fd00:5eed::N; node-1 is a manager. */
export function nodesOf(count: number, extra: Partial<ClusterNode> = {}): ClusterNode[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `node-${i + 1}`,
    id: `id${i + 1}`,
    role: i === 0 ? ('manager' as const) : ('worker' as const),
    labels: {},
    addresses: [`198.18.0.${i + 1}`, `fd00:5eed::${i + 1}`],
    ...extra,
  }));
}

/** `spec.nodes` for node-1..node-N with priorities 250, 240, ... */
export function nodeRefs(count: number): VirtualIPSpec['nodes'] {
  return Array.from({ length: count }, (_, i) => ({ name: `node-${i + 1}`, priority: 250 - 10 * i }));
}
