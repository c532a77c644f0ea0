import { describe, expect, it } from 'vitest';
import { clusterNodesFromEndpoints } from '../../src/core/cluster-nodes.js';
import type { NodeEndpoint } from '../../src/core/types.js';

const endpoint = (spec: Partial<NodeEndpoint['spec']>, labels?: Record<string, string>): NodeEndpoint => ({
  apiVersion: 'swarm-vip/v1',
  kind: 'NodeEndpoint',
  metadata: { name: 'node-1', ...(labels ? { labels } : {}) },
  spec: { docker: 'unix:///var/run/docker.sock', ...spec },
});

describe('clusterNodesFromEndpoints', () => {
  it.each([
    ['no address', endpoint({}), { addresses: [], labels: {} }],
    ['an IPv4 address', endpoint({ address: '192.168.4.1' }), { addresses: ['192.168.4.1'], labels: {} }],
    [
      'both families and labels',
      endpoint({ address: '192.168.4.1', ipv6Address: 'fd00::1' }, { vip: 'true' }),
      { addresses: ['192.168.4.1', 'fd00::1'], labels: { vip: 'true' } },
    ],
  ])('%s', (_, input, expected) => {
    expect(clusterNodesFromEndpoints([input])).toEqual([{ name: 'node-1', role: 'unknown', ...expected }]);
  });
});
