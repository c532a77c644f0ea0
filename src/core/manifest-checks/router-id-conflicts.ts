import { parseIpCidr } from '../ip-address.js';
import { listCapped, RELATED_MAX } from '../printable.js';
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
 * node would take each other's adverts for their own. One problem per VIP name (the first of
 * each name: later ones are duplicates, reported as such), naming at most
 * {@link RELATED_MAX} clashing partners; partners are found through a node index, so many VIPs
 * with one ID cost about as much as they have clashes to report.
 */
export function routerIdConflicts(
  vips: readonly LoadedVirtualIP[],
  knownNodes: readonly ClusterNode[] | undefined,
): Finding[] {
  const groups = new Map<string, RouterIdUse[]>();
  const seen = new Set<string>();
  for (const vip of vips) {
    // A later VIP of a name already seen is a duplicate-name problem of its own; skipped here, so
    // 10,000 copies of one manifest cost one pass over them, not one per pair.
    if (seen.has(vip.manifest.metadata.name)) continue;
    seen.add(vip.manifest.metadata.name);
    const use = routerIdUse(vip, knownNodes);
    const key = `${use.family}/${use.id}`;
    const group = groups.get(key);
    if (group) group.push(use);
    else groups.set(key, [use]);
  }
  return [...groups.values()].flatMap((group) => (group.length < 2 ? [] : groupConflicts(group)));
}

function groupConflicts(group: readonly RouterIdUse[]): Finding[] {
  const anywhere = group.filter((use) => use.nodes === 'any');
  const byNode = new Map<string, RouterIdUse[]>();
  for (const use of group) {
    if (use.nodes === 'any') continue;
    for (const node of use.nodes) {
      const onNode = byNode.get(node);
      if (onNode) onNode.push(use);
      else byNode.set(node, [use]);
    }
  }
  return group.flatMap((use) => {
    const lists =
      use.nodes === 'any' ? [group] : [...[...use.nodes].map((n) => byNode.get(n) ?? []), anywhere];
    const partners = firstPartners(use, lists);
    return partners.length === 0 ? [] : [conflict(use, partners)];
  });
}

/** Up to RELATED_MAX + 1 VIPs clashing with `use` (one more than shown, to say "and more"). */
function firstPartners(use: RouterIdUse, lists: readonly (readonly RouterIdUse[])[]): RouterIdUse[] {
  const partners: RouterIdUse[] = [];
  for (const list of lists) {
    for (const other of list) {
      if (partners.length > RELATED_MAX) return partners;
      // Two VIPs of one name are a duplicate-name problem already; their IDs are bound to match.
      if (other === use || partners.includes(other)) continue;
      if (other.vip.manifest.metadata.name === use.vip.manifest.metadata.name) continue;
      if (sharedNodes(use.nodes, other.nodes) !== undefined) partners.push(other);
    }
  }
  return partners;
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

function conflict(use: RouterIdUse, partners: readonly RouterIdUse[]): Finding {
  const { metadata, spec } = use.vip.manifest;
  const explicit = spec.virtualRouterId !== undefined;
  const described = partners.slice(0, RELATED_MAX).map((other) => {
    const where = describeLocation(other.vip.origin, '/metadata/name');
    const shared = sharedNodes(use.nodes, other.nodes) ?? [];
    const onNodes =
      use.nodes === 'any' || other.nodes === 'any'
        ? 'and may share nodes (a nodeSelector cannot be resolved without known nodes)'
        : `on ${shared.length > 1 ? 'nodes' : 'node'} ${listCapped(shared)}`;
    return `VirtualIP "${other.vip.manifest.metadata.name}" (${where}) ${onNodes}`;
  });
  const others = partners.length > RELATED_MAX ? `${described.join(', ')} and more` : described.join(', ');
  const message = explicit
    ? `virtualRouterId ${use.id} is also used by ${others}; choose an ID no other VirtualIP on these nodes uses`
    : `virtualRouterId ${use.id}, derived from the name, is also used by ${others}; set spec.virtualRouterId explicitly`;
  const pointer = explicit ? '/spec/virtualRouterId' : '/metadata/name';
  return {
    problem: problemAt(use.vip.origin, pointer, 'virtual-router-id-conflict', message),
    vip: metadata.name,
  };
}
