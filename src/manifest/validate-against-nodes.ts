import { sortProblems } from '../core/problem-location.js';
import type { ClusterNode, ManifestProblem } from '../core/types.js';
import { validateManifests } from '../core/validate-manifests.js';
import type { ManifestSet } from '../ports.js';

/**
 * Re-runs the checks across manifests with the nodes the reconciler actually found (e.g. from a
 * swarm manager), after loading: nodes named in `nodes` must exist, subnets must fit, selected
 * node sets must not share a router ID. VIPs that fail now are dropped and frozen like any
 * invalid VIP; problems already reported are not repeated.
 */
export function validateAgainstNodes(set: ManifestSet, nodes: readonly ClusterNode[]): ManifestSet {
  const checked = validateManifests(set, { nodes });
  const seen = new Set(set.problems.map(problemKey));
  const added = checked.problems.filter((problem) => !seen.has(problemKey(problem)));
  if (added.length === 0) return set;
  const fileOrder = [...new Set([...set.problems, ...added].map((problem) => problem.file))].sort();
  return {
    ...set,
    virtualIPs: set.virtualIPs.filter((vip) => !checked.invalidVirtualIPs.has(vip.manifest.metadata.name)),
    endpoints: set.endpoints.filter(
      (endpoint) => !checked.invalidEndpoints.has(endpoint.manifest.metadata.name),
    ),
    problems: sortProblems([...set.problems, ...added], fileOrder),
    frozen: { ...set.frozen, names: new Set([...set.frozen.names, ...checked.invalidVirtualIPs]) },
  };
}

function problemKey(problem: ManifestProblem): string {
  return [problem.file, problem.line, problem.col, problem.code, problem.message].join('\u0000');
}
