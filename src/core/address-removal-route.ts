import type { StaleKeepalived } from './anomalies.js';

/** A running managed keepalived container on the node the address is to leave, and its VIP. */
export interface RunningContainer {
  id: string;
  name: string;
  vip: string;
}

/**
 * How a stale address is removed from a node (the command: address-removal-command.ts):
 * - `own`: inside the VIP's own running container, which leaves the address alone if its
 *   keepalived has become MASTER meanwhile;
 * - `sibling`: inside another VIP's running keepalived container on the node — every managed
 *   container has the node's network and NET_ADMIN — one `docker exec`, no container to start;
 * - `helper`: in a short-lived container of the VIP's image with the node's network (a create
 *   and a start: what a node without any running keepalived of ours needs).
 */
export type RemovalRoute =
  | { kind: 'own'; containerId: string }
  | { kind: 'sibling'; containerId: string; container: string }
  | { kind: 'helper'; image: string };

/** A route, or why nothing is done now. */
export type RemovalDecision =
  | RemovalRoute
  /** The VIP's keepalived on this target node is missing: the pass starts one, whose start clears it. */
  | { kind: 'wait-for-start' }
  | { kind: 'none'; why: string };

export interface RemovalFacts {
  /** The VIP whose address is to leave the node. */
  vip: string;
  /** The running managed keepalived containers on the node: the VIP's own, and other VIPs'. */
  running: readonly RunningContainer[];
  /** See the `stale-address` anomaly. */
  keepalived: StaleKeepalived;
  /** Whether the VIP targets this node (the pass starts its keepalived there). */
  targeted: boolean;
  /**
   * On a target node: starts had their chance and did not clear it (a crash-loop backoff, or a
   * keepalived that dies at once), so removing it is no longer left to them.
   */
  startsHadTheirChance: boolean;
  /** The VIP's image, for a helper container. */
  image: string | undefined;
}

/**
 * Picks the way to remove a stale address from a node, fastest first. The VIP's own keepalived
 * guards itself against removing what it rightfully holds. When its container stopped (`docker rm
 * -f` or `docker kill` of the holder: the address stays, nothing of the VIP runs there to remove
 * it) a sibling removes it at once — one exec (~0.1 s) against a new container's create and start
 * (0.3–0.5 s), while another node holds the address already. The loop keeps that removal and a
 * start of the VIP's keepalived on the node from overlapping (loop/start-guard.ts). An address on
 * a target node without any container of the VIP is otherwise left to the start that is coming,
 * until starts had their chance; a sibling is preferred to a helper container wherever both serve.
 */
export function chooseRemovalRoute(facts: RemovalFacts): RemovalDecision {
  const own = facts.running.find((c) => c.vip === facts.vip);
  if (own) return { kind: 'own', containerId: own.id };
  const sibling = facts.running.find((c) => c.vip !== facts.vip);
  if (sibling && facts.keepalived === 'stopped') return siblingRoute(sibling);
  if (facts.targeted && !facts.startsHadTheirChance) return { kind: 'wait-for-start' };
  if (sibling) return siblingRoute(sibling);
  if (facts.image !== undefined) return { kind: 'helper', image: facts.image };
  return { kind: 'none', why: 'no way to reach the node' };
}

function siblingRoute(sibling: RunningContainer): RemovalDecision {
  return { kind: 'sibling', containerId: sibling.id, container: sibling.name };
}

/** Whether the decision is a way to remove the address now. */
export function isRoute(decision: RemovalDecision): decision is RemovalRoute {
  return decision.kind === 'own' || decision.kind === 'sibling' || decision.kind === 'helper';
}
