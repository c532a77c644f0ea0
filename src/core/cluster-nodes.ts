import type { ClusterNode, NodeEndpoint } from './types.js';

/**
 * The nodes that NodeEndpoint manifests declare, for when nodes are not discovered from a swarm:
 * role unknown (so only `nodeSelector.role: any` selects them), labels from `metadata.labels`,
 * addresses from `spec.address` and `spec.ipv6Address`.
 */
export function clusterNodesFromEndpoints(endpoints: readonly NodeEndpoint[]): ClusterNode[] {
  return endpoints.map((endpoint) => ({
    name: endpoint.metadata.name,
    role: 'unknown',
    labels: { ...endpoint.metadata.labels },
    addresses: [endpoint.spec.address, endpoint.spec.ipv6Address].filter((a): a is string => a !== undefined),
  }));
}
