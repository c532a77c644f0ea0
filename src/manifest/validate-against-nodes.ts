import { sortProblems } from '../core/problem-location.js';
import type { ClusterNode } from '../core/types.js';
import { checkAgainstNodes } from '../core/validate-manifests.js';
import type { ManifestSet, ValidatedManifests } from '../ports.js';

/**
 * The second and last stage of validation: the rules that need the nodes (nodes named in `nodes`
 * exist, subnets and address families fit, node sets do not share a router ID), over every
 * document of the revision. VIPs that fail are dropped and frozen like any invalid VIP. The
 * result is the trusted value a pass works from.
 *
 * `nodes`: the cluster as the reconciler found it (then addresses are final: a target without one
 * is a problem), or undefined for the nodes the NodeEndpoint manifests declare (`validate`).
 */
export function validateAgainstNodes(
  set: ManifestSet,
  nodes: readonly ClusterNode[] | undefined,
  nodesRevision = 'declared',
): ValidatedManifests {
  const checked = checkAgainstNodes(set.documents, nodes ? { nodes, addressesFinal: true } : {});
  const result: ManifestSet = {
    ...set,
    virtualIPs: set.virtualIPs.filter((vip) => !checked.invalidVirtualIPs.has(vip.manifest.metadata.name)),
    endpoints: set.endpoints.filter(
      (endpoint) => !checked.invalidEndpoints.has(endpoint.manifest.metadata.name),
    ),
    problems: sortProblems([...set.problems, ...checked.problems], set.files),
    frozen: { ...set.frozen, names: new Set([...set.frozen.names, ...checked.invalidVirtualIPs]) },
  };
  return { ...result, nodesRevision } as ValidatedManifests;
}
