/**
 * Validation across manifests, beyond what one document's schema can say, in two stages so that
 * each rule runs once per input it depends on:
 *
 * - {@link checkManifests}: rules that need no node (unique names, a VIP's own spec), once per
 *   manifest revision;
 * - {@link checkAgainstNodes}: rules that need the nodes (addresses that fit them, nodes that
 *   exist, virtual router IDs per node), once per (manifest revision, node-set revision).
 *
 * No rule is in both, so their problems never need de-duplicating. Pure.
 */
import { clusterNodesFromEndpoints } from './cluster-nodes.js';
import { addressConflicts } from './manifest-checks/address-conflicts.js';
import { duplicateNames } from './manifest-checks/duplicate-names.js';
import { endpointChecks } from './manifest-checks/endpoint-checks.js';
import type { Finding } from './manifest-checks/finding.js';
import { indexNodeAddresses, nodeChecks } from './manifest-checks/node-checks.js';
import { routerIdConflicts } from './manifest-checks/router-id-conflicts.js';
import { specChecks } from './manifest-checks/spec-checks.js';
import { controlCharacters } from './manifest-checks/string-checks.js';
import type { ClusterNode, LoadedNodeEndpoint, LoadedVirtualIP, ManifestProblem } from './types.js';

/** Manifests that passed their schema. */
export interface ManifestsToValidate {
  virtualIPs: readonly LoadedVirtualIP[];
  endpoints: readonly LoadedNodeEndpoint[];
}

export interface ValidateOptions {
  /**
   * The nodes of the cluster (e.g. discovered from a swarm).
   * Default: the nodes the NodeEndpoint manifests declare (a missing address may still come from
   * the swarm), or none known when there are none — then node names and subnets go unchecked,
   * and VIPs selected by `nodeSelector` are assumed to share nodes.
   */
  nodes?: readonly ClusterNode[];
  /**
   * `nodes` are the cluster as the reconciler found it, addresses and all: a target node without
   * an address of the VIP's family is then a problem, even one without any address.
   */
  addressesFinal?: boolean;
}

export interface ValidationResult {
  /** In no particular order; see `sortProblems`. */
  problems: ManifestProblem[];
  /** Names of the VirtualIPs a problem disqualifies. */
  invalidVirtualIPs: ReadonlySet<string>;
  /** Names of the NodeEndpoints a problem disqualifies. */
  invalidEndpoints: ReadonlySet<string>;
}

/** Every rule, both stages: what `reconciler validate` runs. */
export function validateManifests(
  manifests: ManifestsToValidate,
  options: ValidateOptions = {},
): ValidationResult {
  return merge(checkManifests(manifests), checkAgainstNodes(manifests, options));
}

/** Rules that need no node: unique names per kind, and each VIP's own spec. */
export function checkManifests(manifests: ManifestsToValidate): ValidationResult {
  return fromFindings([
    ...duplicateNames(manifests.virtualIPs, 'vip'),
    ...duplicateNames(manifests.endpoints, 'endpoint'),
    ...manifests.virtualIPs.flatMap((vip) => [...controlCharacters(vip, 'vip'), ...specChecks(vip)]),
    ...manifests.endpoints.flatMap((endpoint) => [
      ...controlCharacters(endpoint, 'endpoint'),
      ...endpointChecks(endpoint),
    ]),
    ...addressConflicts(manifests.virtualIPs),
  ]);
}

/** Rules that need the nodes: own addresses, known nodes, subnets and families, router IDs. */
export function checkAgainstNodes(
  manifests: ManifestsToValidate,
  options: ValidateOptions = {},
): ValidationResult {
  const endpointNodes = clusterNodesFromEndpoints(
    firstOfEachName(manifests.endpoints).map((e) => e.manifest),
  );
  const knownNodes = options.nodes ?? (endpointNodes.length > 0 ? endpointNodes : undefined);
  const addressIndex = indexNodeAddresses([...endpointNodes, ...(options.nodes ?? [])]);
  const context = { addressIndex, knownNodes, addressesFinal: options.addressesFinal === true };
  return fromFindings([
    ...manifests.virtualIPs.flatMap((vip) => nodeChecks(vip, context)),
    ...routerIdConflicts(manifests.virtualIPs, knownNodes),
  ]);
}

function fromFindings(findings: readonly Finding[]): ValidationResult {
  return {
    problems: findings.map((finding) =>
      finding.vip === undefined ? finding.problem : { ...finding.problem, vip: finding.vip },
    ),
    invalidVirtualIPs: new Set(
      findings.flatMap((finding) => (finding.vip === undefined ? [] : [finding.vip])),
    ),
    invalidEndpoints: new Set(
      findings.flatMap((finding) => (finding.endpoint === undefined ? [] : [finding.endpoint])),
    ),
  };
}

function merge(a: ValidationResult, b: ValidationResult): ValidationResult {
  return {
    problems: [...a.problems, ...b.problems],
    invalidVirtualIPs: new Set([...a.invalidVirtualIPs, ...b.invalidVirtualIPs]),
    invalidEndpoints: new Set([...a.invalidEndpoints, ...b.invalidEndpoints]),
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
