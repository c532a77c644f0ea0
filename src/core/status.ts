import type { ActualContainer, DesiredState, NodeObservation } from './types.js';

export type VrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'UNKNOWN';

/** One VIP on one node, as `reconciler status` shows it. */
export interface NodeVipStatus {
  node: string;
  reachable: boolean;
  container: string | null;
  running: boolean;
  /** current: runs the desired spec; stale: another spec; missing: desired but absent; orphan: not desired here. */
  spec: 'current' | 'stale' | 'missing' | 'orphan' | 'unknown';
  /** The running container's spec hash (its label), null without a container. */
  specHash: string | null;
  vrrpState: VrrpState;
  holdsAddress: boolean;
  error?: string;
}

export interface VipStatus {
  vip: string;
  addresses: string[];
  /** Nodes that hold an address of the VIP right now; more than one is a split brain. */
  holders: string[];
  frozen: boolean;
  nodes: NodeVipStatus[];
}

/** What a probe of one container found, keyed by container ID. */
export interface ContainerProbe {
  state: VrrpState;
  heldAddresses: readonly string[];
}

/** Per VIP and node: container, spec currency, VRRP state and who holds the address. Pure. */
export function buildStatus(
  desired: DesiredState,
  nodes: readonly NodeObservation[],
  probes: ReadonlyMap<string, ContainerProbe>,
): VipStatus[] {
  const vipNames = new Set(desired.containers.map((c) => c.vip));
  for (const n of nodes) if (n.reachable) for (const c of n.containers) vipNames.add(c.vip);
  return [...vipNames].sort().map((vip) => {
    const wanted = desired.containers.filter((c) => c.vip === vip);
    const rows = nodes
      .map((n) => nodeRow(vip, n, wanted, probes))
      .filter((row): row is NodeVipStatus => row !== undefined);
    return {
      vip,
      addresses: [...new Set(wanted.flatMap((c) => c.addresses))],
      holders: rows.filter((r) => r.holdsAddress).map((r) => r.node),
      frozen: desired.frozen.names.has(vip),
      nodes: rows,
    };
  });
}

function nodeRow(
  vip: string,
  observation: NodeObservation,
  wanted: DesiredState['containers'],
  probes: ReadonlyMap<string, ContainerProbe>,
): NodeVipStatus | undefined {
  const desired = wanted.find((c) => c.node === observation.node);
  if (!observation.reachable) {
    if (!desired) return undefined;
    return { ...emptyRow(observation.node, false), spec: 'unknown', error: observation.error };
  }
  const actual: ActualContainer | undefined = observation.containers.find((c) => c.vip === vip);
  if (!actual) return desired ? { ...emptyRow(observation.node, true), spec: 'missing' } : undefined;
  const probe = probes.get(actual.id);
  return {
    node: observation.node,
    reachable: true,
    container: actual.name,
    running: actual.running,
    spec: !desired ? 'orphan' : desired.specHash === actual.specHash ? 'current' : 'stale',
    specHash: actual.specHash,
    vrrpState: actual.running ? (probe?.state ?? 'UNKNOWN') : 'STOP',
    holdsAddress: (probe?.heldAddresses.length ?? 0) > 0,
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
 * True when a pass would change something: a container missing, stale, stopped or not wanted.
 * A VIP held by no node or by several is worth a warning, but no pass can fix that by itself
 * (every keepalived is already as desired), so it does not count here.
 */
export function needsReconcile(status: readonly VipStatus[]): boolean {
  return status.some(
    (vip) => !vip.frozen && vip.nodes.some((n) => n.reachable && (n.spec !== 'current' || !n.running)),
  );
}
