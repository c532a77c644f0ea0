/**
 * Anomalies of a VIP's address, decided from observed facts only: which addresses each node's
 * interfaces carry (never what keepalived or the reconciler believe) and what state each
 * node's keepalived reported. Pure: the loop gathers the facts, keeps time, and repairs.
 *
 * - `stale-address`: a node carries a VIP address although its keepalived for that VIP is not
 *   MASTER, not running, or absent (left behind by a SIGKILLed keepalived, added by hand). The
 *   repair removes it from that node.
 * - `no-holder`: no node carries the address while a target node is reachable. The loop runs a
 *   pass at once (start, replace) rather than waiting for a resync.
 * - `split-brain`: several nodes carry the address. When each of them is MASTER, VRRP itself is
 *   broken between them, and only a person can fix the cause.
 * - `vrid-clash`: the VIP's keepalived on some nodes drops VRRP adverts for its own
 *   virtual_router_id (a wrong password, other addresses, another VRRP version, multicast): some
 *   other VRRP router uses that ID. Our peers are rendered alike (once a rollout is over), so it is
 *   a foreign one; it may claim the address too (a split brain) and only a person can fix it. An
 *   alarm, no repair.
 */
import { compareStrings } from './compare-strings.js';
import type { AdvertRejection } from './container-reports.js';
import type { VrrpState } from './status.js';
import type { ActualContainer, DesiredState } from './types.js';

/** One VIP as the anomaly rules need it. */
export interface VipFacts {
  vip: string;
  /** Canonical, without prefix. */
  addresses: readonly string[];
  /** Suspended or unloadable: hands off, nothing is reported or repaired. */
  frozen: boolean;
  /** Nodes meant to run its keepalived. */
  targets: readonly string[];
}

/** One managed container of a VIP on a node, with what its keepalived last reported. */
export interface ContainerFacts {
  vip: string;
  name: string;
  running: boolean;
  state: VrrpState;
  /** Whether it runs the spec desired for its node now; unknown (undefined) counts as current. */
  current?: boolean;
  /**
   * From when its keepalived's adverts are known to be the ones we rendered (the container's
   * start, at the earliest); unknown (undefined) imposes nothing. See {@link vridClash}.
   */
  speaksSinceMs?: number;
  /**
   * The latest advert its keepalived dropped lately (see core/container-reports.ts), if any, and
   * when (same clock as `speaksSinceMs`; unknown: undefined).
   */
  rejected?: { rejection: AdvertRejection; detail: string; atMs?: number };
}

/** One node as observed. */
export interface NodeFacts {
  node: string;
  reachable: boolean;
  /** Addresses on the node's interfaces (canonical); undefined when not known. */
  addresses: ReadonlySet<string> | undefined;
  containers: readonly ContainerFacts[];
  /** VIPs whose address an unmanaged (hand-run) keepalived on this node claims: not ours to judge. */
  foreignClaims: ReadonlySet<string>;
}

export type Anomaly =
  | {
      kind: 'stale-address';
      vip: string;
      node: string;
      /** The VIP's managed container on the node, null when there is none. */
      container: string | null;
      /**
       * What became of the VIP's keepalived on the node: none there (`absent`), its container not
       * running (`stopped`: no keepalived of the VIP can be MASTER there), or running but not MASTER.
       */
      keepalived: StaleKeepalived;
      /** Whether another reachable node carries the address with its keepalived MASTER. */
      heldElsewhere: boolean;
      addresses: string[];
      /** Why the address should not be there, in words. */
      reason: string;
    }
  | {
      kind: 'no-holder';
      vip: string;
      reachableTargets: string[];
      /** The VIP's managed container on each of them, in the same order (null: none). */
      containers: (string | null)[];
    }
  | {
      kind: 'split-brain';
      vip: string;
      nodes: string[];
      /** The VIP's managed container on each holder, in the same order (null: none). */
      containers: (string | null)[];
      cause: string;
    }
  | {
      kind: 'vrid-clash';
      vip: string;
      /** Nodes whose keepalived of this VIP drops the adverts. */
      nodes: string[];
      /** That keepalived's container (named alike on every node). */
      container: string;
      rejection: AdvertRejection;
      cause: string;
    };

export type AnomalyKind = Anomaly['kind'];

/** Why a node's keepalived of the VIP does not rightfully hold its address (see `stale-address`). */
export type StaleKeepalived = 'absent' | 'stopped' | 'not-master';

/** Whether a container runs the spec desired for its node now (one no longer desired does not). */
export function runsCurrentSpec(
  desired: Pick<DesiredState, 'containers'>,
  container: Pick<ActualContainer, 'vip' | 'node' | 'specHash'>,
): boolean {
  return desired.containers.some(
    (d) => d.vip === container.vip && d.node === container.node && d.specHash === container.specHash,
  );
}

/** Every anomaly the facts show, in VIP and node order. */
export function detectAnomalies(vips: readonly VipFacts[], nodes: readonly NodeFacts[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const vip of [...vips].sort((a, b) => compareStrings(a.vip, b.vip))) {
    if (vip.frozen || vip.addresses.length === 0) continue;
    anomalies.push(...vipAnomalies(vip, nodes));
  }
  return anomalies;
}

interface Holding {
  node: string;
  held: string[];
  container: ContainerFacts | undefined;
  /** Why the node should not hold the address; undefined for a rightful MASTER. */
  wrong: { keepalived: StaleKeepalived; reason: string } | undefined;
}

function vipAnomalies(vip: VipFacts, nodes: readonly NodeFacts[]): Anomaly[] {
  const observed = nodes
    .filter((n) => n.reachable && n.addresses !== undefined && !n.foreignClaims.has(vip.vip))
    .sort((a, b) => compareStrings(a.node, b.node));
  const holdings: Holding[] = [];
  for (const node of observed) {
    const held = vip.addresses.filter((a) => node.addresses?.has(a));
    if (held.length === 0) continue;
    const container = node.containers.find((c) => c.vip === vip.vip);
    holdings.push({ node: node.node, held, container, wrong: whyWrong(container) });
  }
  const anomalies: Anomaly[] = holdings.flatMap((h): Anomaly[] =>
    h.wrong === undefined
      ? []
      : [
          {
            kind: 'stale-address',
            vip: vip.vip,
            node: h.node,
            container: h.container?.name ?? null,
            keepalived: h.wrong.keepalived,
            heldElsewhere: holdings.some((other) => other.node !== h.node && other.wrong === undefined),
            addresses: h.held,
            reason: h.wrong.reason,
          },
        ],
  );
  const clash = vridClash(vip.vip, observed);
  if (holdings.length > 1) {
    anomalies.push({
      kind: 'split-brain',
      vip: vip.vip,
      nodes: holdings.map((h) => h.node),
      containers: holdings.map((h) => h.container?.name ?? null),
      cause: splitBrainCause(holdings, clash),
    });
  }
  if (clash) anomalies.push(clash);
  const reachable = nodes.filter((n) => n.reachable && vip.targets.includes(n.node));
  const reachableTargets = reachable.map((n) => n.node).sort(compareStrings);
  const containerOn = (node: string): string | null =>
    reachable.find((n) => n.node === node)?.containers.find((c) => c.vip === vip.vip)?.name ?? null;
  // Only when every reachable target's interfaces are known can "nobody holds it" be a fact.
  const allKnown = reachable.every((n) => n.addresses !== undefined && !n.foreignClaims.has(vip.vip));
  if (holdings.length === 0 && reachableTargets.length > 0 && allKnown) {
    anomalies.push({
      kind: 'no-holder',
      vip: vip.vip,
      reachableTargets,
      containers: reachableTargets.map(containerOn),
    });
  }
  return anomalies;
}

/** Words for each kind of dropped advert: what is likely going on. */
const REJECTION_CAUSE: Record<AdvertRejection, string> = {
  authentication:
    'an authentication mismatch: another VRRP router uses the same virtual_router_id with another password',
  addresses: 'a virtual_router_id clash: another VRRP router uses the same ID for other addresses',
  version: 'a virtual_router_id clash: another VRRP router uses the same ID with another VRRP version',
  cast: 'multicast and unicast mixed: another VRRP router with the same virtual_router_id sends multicast',
  'advert-interval':
    'a virtual_router_id clash: another VRRP router uses the same ID with another advert interval',
};

/**
 * Nodes whose keepalived of this VIP drops adverts for its own ID, and the likely cause.
 *
 * Our own containers of a VIP speak alike only once they all run the current spec: while a rollout
 * is under way (a new VRRP version, a new password), and for adverts dropped before the newest of
 * them started (sent by a predecessor since replaced), a dropped advert may be our own peer's and
 * is no evidence of a foreign router. A foreign one keeps sending, so it is seen once ours agree.
 */
function vridClash(
  vip: string,
  nodes: readonly NodeFacts[],
): Extract<Anomaly, { kind: 'vrid-clash' }> | undefined {
  const ours = nodes.flatMap((n) => n.containers.filter((c) => c.vip === vip && c.running));
  if (ours.some((c) => c.current === false)) return undefined;
  const newestStartMs = Math.max(-Infinity, ...ours.map((c) => c.speaksSinceMs ?? -Infinity));
  const heardSince = (c: ContainerFacts): boolean =>
    c.rejected !== undefined && (c.rejected.atMs === undefined || c.rejected.atMs >= newestStartMs);
  const rejecting = nodes.flatMap((n) =>
    n.containers
      .filter((c) => c.vip === vip && heardSince(c))
      .map((c) => ({ node: n.node, container: c.name, rejected: c.rejected })),
  );
  const first = rejecting[0];
  if (!first?.rejected) return undefined;
  const names = rejecting.map((r) => r.node);
  return {
    kind: 'vrid-clash',
    vip,
    nodes: names,
    container: first.container,
    rejection: first.rejected.rejection,
    cause: `keepalived on ${names.join(', ')} drops VRRP adverts for its virtual_router_id ("${first.rejected.detail}"): likely ${REJECTION_CAUSE[first.rejected.rejection]}`,
  };
}

function whyWrong(container: ContainerFacts | undefined): Holding['wrong'] {
  if (!container) return { keepalived: 'absent', reason: 'no keepalived of this VIP runs on the node' };
  if (!container.running)
    return { keepalived: 'stopped', reason: `its keepalived (${container.name}) is not running` };
  if (container.state !== 'MASTER')
    return {
      keepalived: 'not-master',
      reason: `its keepalived (${container.name}) is ${container.state}, not MASTER`,
    };
  return undefined;
}

/**
 * Why several nodes carry the address: a keepalived that is not MASTER left it (being removed);
 * holders that each drop the adverts they hear (they do not accept each other: a password that
 * differs, another VRRP version); a foreign router that others hear, which likely claims the
 * address too; or, without such evidence, the usual suspects.
 */
function splitBrainCause(
  holdings: readonly Holding[],
  clash: Extract<Anomaly, { kind: 'vrid-clash' }> | undefined,
): string {
  const stale = holdings.filter((h) => h.wrong !== undefined).map((h) => h.node);
  if (stale.length > 0 && !clash) {
    return `address left on ${stale.join(', ')} where keepalived is not MASTER (being removed)`;
  }
  if (clash && stale.length === 0 && holdings.every((h) => clash.nodes.includes(h.node))) {
    return `every holder is MASTER and drops the VRRP adverts it hears: ${clash.cause}`;
  }
  if (clash) return `${clash.cause}; it likely claims the address too`;
  return (
    'every holder is MASTER, so they do not hear each other: likely a virtual_router_id clash ' +
    'with another VRRP router on the network, an authentication mismatch, peers mixing multicast ' +
    'and unicast, or VRRP (IP protocol 112) blocked between the nodes'
  );
}

/** A stable key of an anomaly, to follow it from one observation to the next. */
export function anomalyKey(anomaly: Anomaly): string {
  switch (anomaly.kind) {
    case 'stale-address':
      return `stale-address/${anomaly.vip}/${anomaly.node}`;
    case 'no-holder':
      return `no-holder/${anomaly.vip}`;
    case 'split-brain':
      return `split-brain/${anomaly.vip}`;
    case 'vrid-clash':
      return `vrid-clash/${anomaly.vip}`;
    default: {
      const unknown: never = anomaly;
      throw new Error(`unknown anomaly ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Which anomalies have lasted their grace period. VRRP itself passes through brief moments that
 * look wrong (no holder during a failover, an address reported a moment before keepalived's own
 * MASTER report), so an anomaly counts once it has been seen continuously for `graceMs(anomaly)`.
 * `firstSeenMs` is the previous result's map; anomalies no longer seen drop out of it.
 */
export function confirmAnomalies(
  current: readonly Anomaly[],
  firstSeenMs: ReadonlyMap<string, number>,
  nowMs: number,
  graceMs: (anomaly: Anomaly) => number,
): { confirmed: Anomaly[]; firstSeenMs: Map<string, number> } {
  const next = new Map<string, number>();
  const confirmed: Anomaly[] = [];
  for (const anomaly of current) {
    const key = anomalyKey(anomaly);
    const since = firstSeenMs.get(key) ?? nowMs;
    next.set(key, since);
    if (nowMs - since >= graceMs(anomaly)) confirmed.push(anomaly);
  }
  return { confirmed, firstSeenMs: next };
}

/** One line for logs, `--once` and `status`: what, which VIP, node and container. */
export function describeAnomaly(anomaly: Anomaly): string {
  switch (anomaly.kind) {
    case 'stale-address':
      return (
        `VIP ${anomaly.vip}: node ${anomaly.node} carries ${anomaly.addresses.join(', ')} but ` +
        `${anomaly.reason} (container ${anomaly.container ?? 'none'})`
      );
    case 'no-holder':
      return (
        `VIP ${anomaly.vip}: no node holds the address although ${anomaly.reachableTargets.join(', ')} ` +
        `${anomaly.reachableTargets.length === 1 ? 'is' : 'are'} reachable ` +
        `(container ${containersOn(anomaly.reachableTargets, anomaly.containers)})`
      );
    case 'split-brain':
      return (
        `VIP ${anomaly.vip}: held by ${anomaly.nodes.join(' and ')} at once: ${anomaly.cause} ` +
        `(container ${containersOn(anomaly.nodes, anomaly.containers)})`
      );
    case 'vrid-clash':
      return `VIP ${anomaly.vip}: ${anomaly.cause} (container ${anomaly.container})`;
    default: {
      const unknown: never = anomaly;
      throw new Error(`unknown anomaly ${JSON.stringify(unknown)}`);
    }
  }
}

/** Which container each node runs, grouped: `keepalived-web on n1, n2; none on n3`. */
function containersOn(nodes: readonly string[], containers: readonly (string | null)[]): string {
  const byName = new Map<string, string[]>();
  nodes.forEach((node, i) => {
    const name = containers[i] ?? 'none';
    byName.set(name, [...(byName.get(name) ?? []), node]);
  });
  return [...byName].map(([name, on]) => `${name} on ${on.join(', ')}`).join('; ');
}
