import { describe, expect, it } from 'vitest';
import type { ClusterNode } from '../../src/core/types.js';
import { parseManifests } from '../../src/manifest/parse-manifests.js';
import { validateAgainstNodes } from '../../src/manifest/validate-against-nodes.js';

const vip = (name: string, node: string, extra = '') => ({
  path: `${name}.yaml`,
  text: `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: ${name} }
spec:
  addresses: [10.0.0.${name.length}/24]
  nodes: [{ name: ${node}, priority: 100 }]
${extra}`,
});

const swarm: ClusterNode[] = [
  { name: 'n1', id: 'id-1', role: 'manager', labels: {}, addresses: ['10.0.0.1'] },
];

describe('validateAgainstNodes', () => {
  it('drops and freezes VIPs that fail against the discovered nodes', () => {
    const set = parseManifests([vip('ok', 'n1'), vip('gone', 'n9')]);
    expect(set.problems).toEqual([]);
    const checked = validateAgainstNodes(set, swarm);
    expect(checked.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['ok']);
    expect(checked.problems.map((p) => [p.file, p.code, p.path])).toEqual([
      ['gone.yaml', 'unknown-node', '/spec/nodes/0/name'],
    ]);
    expect(checked.frozen.names).toEqual(new Set(['gone']));
  });

  it('runs only the rules that need nodes: what parsing found is there once, nothing is repeated', () => {
    const set = parseManifests([vip('ok', 'id-1'), vip('bad', 'n1', '  colour: red\n')]);
    const checked = validateAgainstNodes(set, swarm);
    expect(checked.problems).toEqual(set.problems);
    expect(checked.virtualIPs).toEqual(set.virtualIPs);
    expect(checked.nodesRevision).toBe('declared');
  });

  it('with the nodes found, a target node without an address of the VIP family is a problem', () => {
    const set = parseManifests([vip('ok', 'n1')]);
    const noAddress: ClusterNode[] = [{ ...swarm[0]!, addresses: [] }];
    expect(validateAgainstNodes(set, noAddress).problems.map((p) => [p.code, p.vip])).toEqual([
      ['node-address-family', 'ok'],
    ]);
    // From NodeEndpoint manifests alone, a missing address may still come from the swarm.
    expect(validateAgainstNodes(set, undefined).problems).toEqual([]);
  });
});
