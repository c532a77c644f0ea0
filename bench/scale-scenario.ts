/**
 * Generated clusters and manifests for the scale simulator. Addresses are taken from the test
 * range 198.18.0.0/15 even though nothing here ever touches a network.
 */
import type { ClusterNode } from '../src/core/types.js';
import type { ManifestFile } from '../src/manifest/parse-documents.js';

/** Every `SELECTOR_EVERY`-th VIP targets a zone by `nodeSelector`; the others name 3–5 nodes. */
export const SELECTOR_EVERY = 10;
/** Nodes are spread over this many `zone` labels. */
export const ZONES = 10;

/** `count` nodes: three managers, the rest workers, labelled by zone, one IPv4 address each. */
export function simulatedNodes(count: number): ClusterNode[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `sim-node-${String(i + 1).padStart(3, '0')}`,
    role: i < 3 ? 'manager' : 'worker',
    labels: { zone: `z${i % ZONES}` },
    addresses: [`198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`],
  }));
}

/** What one generated VIP targets. */
export type Targeting = { nodes: { name: string; priority: number }[] } | { zone: string };

const PRIORITIES = [200, 150, 100, 50, 25];

/** Deterministic targets of VIP `k`: a zone every SELECTOR_EVERY VIPs, else 3–5 distinct nodes. */
export function targetingOf(k: number, nodes: readonly ClusterNode[]): Targeting {
  if (k % SELECTOR_EVERY === SELECTOR_EVERY - 1)
    return { zone: `z${Math.floor(k / SELECTOR_EVERY) % ZONES}` };
  const size = 3 + (k % 3);
  const picked: { name: string; priority: number }[] = [];
  for (let step = 0; picked.length < size && step < nodes.length * 2; step++) {
    const name = nodes[(k * 37 + step * 101) % nodes.length]?.name;
    if (name && !picked.some((p) => p.name === name)) {
      picked.push({ name, priority: PRIORITIES[picked.length] ?? 10 });
    }
  }
  return { nodes: picked };
}

/** One YAML file per VIP: `vips` VirtualIPs over `nodes`, each with its own virtual router ID. */
export function vipFiles(vips: number, nodes: readonly ClusterNode[]): ManifestFile[] {
  return Array.from({ length: vips }, (_, k) => {
    const targeting = targetingOf(k, nodes);
    const lines = [
      'apiVersion: swarm-vip/v1',
      'kind: VirtualIP',
      `metadata: { name: sim-vip-${k + 1} }`,
      'spec:',
      `  addresses: [198.19.255.${k + 1}/15]`,
      `  virtualRouterId: ${k + 1}`,
      ...('zone' in targeting
        ? ['  nodeSelector:', `    labels: { zone: ${targeting.zone} }`]
        : ['  nodes:', ...targeting.nodes.map((n) => `    - { name: ${n.name}, priority: ${n.priority} }`)]),
      '',
    ];
    return { path: `vip-${k + 1}.yaml`, text: lines.join('\n') };
  });
}
