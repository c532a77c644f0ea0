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
  /**
   * Selected nodes whose `swarm-vip.priority` label is not a whole number in 1..254 (each is
   * still a target, at the default priority; callers refuse the VIP rather than guess).
   */
  badPriorities: { node: string; value: string }[];
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
    return { targets: sortByNodeName(targets), missing, badPriorities: [] };
  }
  const selector = spec.nodeSelector ?? {};
  const role = selector.role ?? 'any';
  const wanted = Object.entries(selector.labels ?? {});
  const targets = nodes
    .filter((n) => !n.drained)
    .filter((n) => role === 'any' || n.role === role)
    .filter((n) => wanted.every(([key, value]) => n.labels[key] === value))
    .map((node) => ({ node, priority: selectorPriority(node) ?? DEFAULT_SELECTOR_PRIORITY }));
  const badPriorities = targets.flatMap(({ node }) =>
    selectorPriority(node) === undefined
      ? [{ node: node.name, value: node.labels[LABEL_NODE_PRIORITY] ?? '' }]
      : [],
  );
  return { targets: sortByNodeName(targets), missing: [], badPriorities };
}

/**
 * The node's `swarm-vip.priority` label as a priority: the default when the label is absent,
 * undefined when it is not plain decimal digits in 1..254 (`"0x10"`, `"1e2"`, `" 7"`, `"255"`).
 */
export function selectorPriority(node: ClusterNode): number | undefined {
  const raw = node.labels[LABEL_NODE_PRIORITY];
  if (raw === undefined) return DEFAULT_SELECTOR_PRIORITY;
  return parsePriority(raw);
}

/** A VRRP priority written as plain decimal digits in 1..254, else undefined. */
export function parsePriority(text: string): number | undefined {
  if (!/^[1-9][0-9]{0,2}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 254 ? value : undefined;
}

function sortByNodeName(targets: Target[]): Target[] {
  return targets.sort((a, b) => compareStrings(a.node.name, b.node.name));
}

/** Why a selected node's priority label cannot be used (the label's value may be anything: not quoted). */
export function badPriorityMessage(node: string): string {
  return (
    `node ${node}'s label ${LABEL_NODE_PRIORITY} is not a whole number in 1..254 written in plain digits; ` +
    `fix the label (docker node update --label-add ${LABEL_NODE_PRIORITY}=150) or remove it for the default ${DEFAULT_SELECTOR_PRIORITY}`
  );
}
