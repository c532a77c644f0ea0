/**
 * Validation across manifests, beyond what one document's schema can say: unique names, unique
 * virtual router IDs per node, addresses that fit the nodes, nodes that exist. Pure: the
 * reconciler runs it again with the nodes it discovered from a swarm.
 */
import { clusterNodesFromEndpoints } from './cluster-nodes.js';
import { duplicateNames } from './manifest-checks/duplicate-names.js';
import type { Finding } from './manifest-checks/finding.js';
import { indexNodeAddresses, nodeChecks } from './manifest-checks/node-checks.js';
import { routerIdConflicts } from './manifest-checks/router-id-conflicts.js';
import { specChecks } from './manifest-checks/spec-checks.js';
import type { ClusterNode, LoadedNodeEndpoint, LoadedVirtualIP, ManifestProblem } from './types.js';

/** Manifests that passed their schema. */
export interface ManifestsToValidate {
  virtualIPs: readonly LoadedVirtualIP[];
  endpoints: readonly LoadedNodeEndpoint[];
}

export interface ValidateOptions {
  /**
   * The nodes of the cluster (e.g. discovered from a swarm). Default: the nodes the NodeEndpoint
   * manifests declare, or none known when there are none — then node names and subnets go
   * unchecked, and VIPs selected by `nodeSelector` are assumed to share nodes.
   */
  nodes?: readonly ClusterNode[];
}

export interface ValidationResult {
  /** In no particular order; see `sortProblems`. */
  problems: ManifestProblem[];
  /** Names of the VirtualIPs a problem disqualifies. */
  invalidVirtualIPs: ReadonlySet<string>;
  /** Names of the NodeEndpoints a problem disqualifies. */
  invalidEndpoints: ReadonlySet<string>;
}

export function validateManifests(
  manifests: ManifestsToValidate,
  options: ValidateOptions = {},
): ValidationResult {
  const endpointNodes = clusterNodesFromEndpoints(
    firstOfEachName(manifests.endpoints).map((e) => e.manifest),
  );
  const knownNodes = options.nodes ?? (endpointNodes.length > 0 ? endpointNodes : undefined);
  const addressIndex = indexNodeAddresses([...endpointNodes, ...(options.nodes ?? [])]);
  const findings: Finding[] = [
    ...duplicateNames(manifests.virtualIPs, 'vip'),
    ...duplicateNames(manifests.endpoints, 'endpoint'),
    ...manifests.virtualIPs.flatMap((vip) => [
      ...specChecks(vip),
      ...nodeChecks(vip, addressIndex, knownNodes),
    ]),
    ...routerIdConflicts(manifests.virtualIPs, knownNodes),
  ];
  return {
    problems: findings.map((finding) => finding.problem),
    invalidVirtualIPs: new Set(
      findings.flatMap((finding) => (finding.vip === undefined ? [] : [finding.vip])),
    ),
    invalidEndpoints: new Set(
      findings.flatMap((finding) => (finding.endpoint === undefined ? [] : [finding.endpoint])),
    ),
  };
}

/** A duplicated endpoint is reported, but its first definition still says which nodes exist. */
function firstOfEachName(endpoints: readonly LoadedNodeEndpoint[]): LoadedNodeEndpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((endpoint) => {
    const name = endpoint.manifest.metadata.name;
    if (seen.has(name)) return false;
    seen.add(name);
    return true;
  });
}
