import { parseIpCidr } from '../ip-address.js';
import { describeLocation, problemAt } from '../problem-location.js';
import { resolveTargets } from '../targets.js';
import type { ClusterNode, LoadedVirtualIP } from '../types.js';
import { virtualRouterIdOf } from '../virtual-router-id.js';
import type { Finding } from './finding.js';

/** The nodes a VIP may run on, or 'any' when that cannot be known (a selector without nodes). */
type NodeSet = ReadonlySet<string> | 'any';

interface RouterIdUse {
  vip: LoadedVirtualIP;
  id: number;
  /** VRRP over IPv4 and over IPv6 are separate protocols: the same ID in both does not clash. */
  family: string;
  nodes: NodeSet;
}

/**
 * VIPs that share a virtual router ID and address family on a node: keepalived instances on that
 * node would take each other's adverts for their own. One problem per VIP and clashing partner.
 */
export function routerIdConflicts(
  vips: readonly LoadedVirtualIP[],
  knownNodes: readonly ClusterNode[] | undefined,
): Finding[] {
  const uses = vips.map((vip) => routerIdUse(vip, knownNodes));
  return uses.flatMap((use) =>
    uses
      // Two VIPs of one name are a duplicate-name problem already; their IDs are bound to match.
      .filter((other) => other !== use && other.id === use.id && other.family === use.family)
      .filter((other) => other.vip.manifest.metadata.name !== use.vip.manifest.metadata.name)
      .flatMap((other) => {
        const shared = sharedNodes(use.nodes, other.nodes);
        return shared === undefined ? [] : [conflict(use, other, shared)];
      }),
  );
}

function routerIdUse(vip: LoadedVirtualIP, knownNodes: readonly ClusterNode[] | undefined): RouterIdUse {
  const { spec } = vip.manifest;
  const family = parseIpCidr(spec.addresses[0] ?? '')?.family ?? 'unknown';
  return { vip, id: virtualRouterIdOf(vip.manifest), family, nodes: nodeSet(vip, knownNodes) };
}

function nodeSet({ manifest }: LoadedVirtualIP, knownNodes: readonly ClusterNode[] | undefined): NodeSet {
  const { spec } = manifest;
  const named = (spec.nodes ?? []).map((ref) => ref.name);
  if (!knownNodes) return spec.nodes ? new Set(named) : 'any';
  const { targets, missing } = resolveTargets(spec, knownNodes);
  return new Set([...targets.map((target) => target.node.name), ...missing]);
}

/** The nodes both sets hold (['…'] when one is unknown), or undefined when they are disjoint. */
function sharedNodes(a: NodeSet, b: NodeSet): string[] | undefined {
  if (a === 'any' || b === 'any') return a === 'any' && b === 'any' ? [] : [...(a === 'any' ? b : a)];
  const shared = [...a].filter((node) => b.has(node));
  return shared.length > 0 ? shared : undefined;
}

function conflict(use: RouterIdUse, other: RouterIdUse, shared: string[]): Finding {
  const { metadata, spec } = use.vip.manifest;
  const explicit = spec.virtualRouterId !== undefined;
  const where = describeLocation(other.vip.origin, '/metadata/name');
  const onNodes =
    use.nodes === 'any' || other.nodes === 'any'
      ? 'and may share nodes (a nodeSelector cannot be resolved without known nodes)'
      : `on ${shared.length > 1 ? 'nodes' : 'node'} ${shared.join(', ')}`;
  const message = explicit
    ? `virtualRouterId ${use.id} is also used by VirtualIP "${other.vip.manifest.metadata.name}" (${where}) ${onNodes}; ` +
      'choose an ID no other VirtualIP on these nodes uses'
    : `virtualRouterId ${use.id}, derived from the name, is also used by VirtualIP "${other.vip.manifest.metadata.name}" ` +
      `(${where}) ${onNodes}; set spec.virtualRouterId explicitly`;
  const pointer = explicit ? '/spec/virtualRouterId' : '/metadata/name';
  return {
    problem: problemAt(use.vip.origin, pointer, 'virtual-router-id-conflict', message),
    vip: metadata.name,
  };
}
