import type { ActualContainer, DesiredState, NodeObservation } from './types.js';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'UNKNOWN';

/** One VIP on one node, as `reconciler status` shows it. */
export interface NodeVipStatus {
  node: string;
  reachable: boolean;
  container: string | null;
  running: boolean;
  /**
   * current: runs the desired spec; stale: another spec; missing: desired but absent; orphan: a
   * container not desired here; none: no container and none desired, but the node's interface
   * carries an address of the VIP (added by hand, or left by a keepalived that is gone).
   */
  spec: 'current' | 'stale' | 'missing' | 'orphan' | 'none' | 'unknown';
  /** The running container's spec hash (its label), null without a container. */
  specHash: string | null;
  vrrpState: VrrpState;
  /** The node's interfaces carry an address of the VIP, whatever its keepalived says or whether it runs. */
  holdsAddress: boolean;
  error?: string;
}

export interface VipStatus {
  vip: string;
  addresses: string[];
  /**
   * Nodes whose interfaces carry an address of the VIP right now, as last read from them (a
   * stopped keepalived's node stays a holder until its address is seen gone); more than one is a
   * split brain or an address being removed.
   */
  holders: string[];
  frozen: boolean;
  nodes: NodeVipStatus[];
}

/**
 * What is known of the nodes: keepalived's latest word per container ID, and the addresses each
 * node's interfaces carry as last read (canonical, without prefix; a node absent from the map has
 * not been read). Addresses are facts of the node, not of a container: any report from the node,
 * or a helper container's reading, tells them.
 */
export interface StatusFacts {
  states: ReadonlyMap<string, VrrpState>;
  nodeAddresses: ReadonlyMap<string, ReadonlySet<string>>;
}

/** No facts yet: no state reported, no node's addresses read. */
export const NO_FACTS: StatusFacts = { states: new Map(), nodeAddresses: new Map() };

/**
 * Per VIP and node: container, spec currency, VRRP state and who holds the address. A reachable
 * node holds the address when its interfaces carry it (the facts), whether or not a keepalived of
 * the VIP runs there: a node that carries it without being a target gets a row of its own. Pure.
 */
export function buildStatus(
  desired: DesiredState,
  nodes: readonly NodeObservation[],
  facts: StatusFacts,
): VipStatus[] {
  const vipNames = new Set(desired.containers.map((c) => c.vip));
  for (const n of nodes) if (n.reachable) for (const c of n.containers) vipNames.add(c.vip);
  return [...vipNames].sort().map((vip) => {
    const wanted = desired.containers.filter((c) => c.vip === vip);
    const addresses = [
      ...new Set([...wanted.flatMap((c) => c.addresses), ...(desired.suspendedAddresses?.get(vip) ?? [])]),
    ];
    const rows = nodes
      .map((n) => nodeRow(vip, n, wanted, facts, carries(n, addresses, facts)))
      .filter((row): row is NodeVipStatus => row !== undefined);
    return {
      vip,
      addresses,
      holders: rows.filter((r) => r.holdsAddress).map((r) => r.node),
      frozen: desired.frozen.names.has(vip),
      nodes: rows,
    };
  });
}

/** A reachable node whose interfaces, as last read, carry one of `addresses`. */
function carries(node: NodeObservation, addresses: readonly string[], facts: StatusFacts): boolean {
  if (!node.reachable) return false;
  const present = facts.nodeAddresses.get(node.node);
  return present !== undefined && addresses.some((a) => present.has(a));
}

function nodeRow(
  vip: string,
  observation: NodeObservation,
  wanted: DesiredState['containers'],
  facts: StatusFacts,
  holdsAddress: boolean,
): NodeVipStatus | undefined {
  const desired = wanted.find((c) => c.node === observation.node);
  if (!observation.reachable) {
    if (!desired) return undefined;
    return { ...emptyRow(observation.node, false), spec: 'unknown', error: observation.error };
  }
  const actual: ActualContainer | undefined = observation.containers.find((c) => c.vip === vip);
  if (!actual) {
    if (desired) return { ...emptyRow(observation.node, true), spec: 'missing', holdsAddress };
    return holdsAddress ? { ...emptyRow(observation.node, true), spec: 'none', holdsAddress } : undefined;
  }
  return {
    node: observation.node,
    reachable: true,
    container: actual.name,
    running: actual.running,
    spec: !desired ? 'orphan' : desired.specHash === actual.specHash ? 'current' : 'stale',
    specHash: actual.specHash,
    vrrpState: actual.running ? (facts.states.get(actual.id) ?? 'UNKNOWN') : 'STOP',
    holdsAddress,
  };
}

function emptyRow(node: string, reachable: boolean): NodeVipStatus {
  return {
    node,
    reachable,
    container: null,
    running: false,
    spec: 'missing',
    specHash: null,
    vrrpState: 'UNKNOWN',
    holdsAddress: false,
  };
}

/**
 * A row a pass would change: a container missing, stale, stopped or not wanted on a reachable
 * node. A node that only carries the address (`none`) is not: the watch removes the address.
 */
export function isOutOfDate(row: NodeVipStatus): boolean {
  return row.reachable && row.spec !== 'none' && (row.spec !== 'current' || !row.running);
}

/**
 * True when a pass would change something (see {@link isOutOfDate}). A VIP held by no node or by
 * several is worth a warning, but no pass can fix that by itself (every keepalived is already as
 * desired), so it does not count here.
 */
export function needsReconcile(status: readonly VipStatus[]): boolean {
  return status.some((vip) => !vip.frozen && vip.nodes.some(isOutOfDate));
}
