import { compareStrings } from './compare-strings.js';
import type { ClusterNode, VirtualIPSpec } from './types.js';

/** Node label that gives a node's priority when it is chosen by `nodeSelector`. */
export const LABEL_NODE_PRIORITY = 'swarm-vip.priority';
export const DEFAULT_SELECTOR_PRIORITY = 100;

/** A node a VIP should run on, with its VRRP priority. */
export interface Target {
  node: ClusterNode;
  priority: number;
}

export interface TargetResolution {
  /** Sorted by node name. */
  targets: Target[];
  /** Names in `spec.nodes` that match no known node. */
  missing: string[];
}

/**
 * The nodes a VIP targets: those named in `spec.nodes` (by hostname or swarm node ID), or those
 * matching `spec.nodeSelector` (role, then every label equal), each with its priority. A drained
 * node is never a target, whether named or selected (it is not missing either: it exists).
 */
export function resolveTargets(spec: VirtualIPSpec, nodes: readonly ClusterNode[]): TargetResolution {
  if (spec.nodes) {
    const targets: Target[] = [];
    const missing: string[] = [];
    for (const ref of spec.nodes) {
      const node = nodes.find((n) => n.name === ref.name || (n.id !== undefined && n.id === ref.name));
      if (!node) missing.push(ref.name);
      else if (!node.drained) targets.push({ node, priority: ref.priority });
    }
    return { targets: sortByNodeName(targets), missing };
  }
  const selector = spec.nodeSelector ?? {};
  const role = selector.role ?? 'any';
  const wanted = Object.entries(selector.labels ?? {});
  const targets = nodes
    .filter((n) => !n.drained)
    .filter((n) => role === 'any' || n.role === role)
    .filter((n) => wanted.every(([key, value]) => n.labels[key] === value))
    .map((node) => ({ node, priority: selectorPriority(node) }));
  return { targets: sortByNodeName(targets), missing: [] };
}

/** The node's `swarm-vip.priority` label when it is a whole number in 1..254, else the default. */
export function selectorPriority(node: ClusterNode): number {
  const raw = node.labels[LABEL_NODE_PRIORITY];
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(value) && value >= 1 && value <= 254 ? value : DEFAULT_SELECTOR_PRIORITY;
}

function sortByNodeName(targets: Target[]): Target[] {
  return targets.sort((a, b) => compareStrings(a.node.name, b.node.name));
}
