import { compareStrings } from './compare-strings.js';
import { vipByAddress } from './desired-state.js';
import type { DesiredState, ForeignKeepalived, NodeObservation } from './types.js';

/** An unmanaged keepalived container that declares an address of a declared VIP. */
export interface ForeignClaim {
  vip: string;
  container: ForeignKeepalived;
  /** The VIP's addresses it declares. */
  addresses: string[];
}

/**
 * Unmanaged keepalived containers on reachable nodes that declare an address of a VIP swarm-vip
 * manages: two VRRP groups would fight over one address. Pure; by VIP, then node.
 */
export function foreignClaims(desired: DesiredState, nodes: readonly NodeObservation[]): ForeignClaim[] {
  const vipOfAddress = vipByAddress(desired);

  const foreign = nodes.flatMap((n) => (n.reachable ? (n.foreign ?? []) : []));
  const claims = foreign.flatMap((container) => {
    const byVip = new Map<string, string[]>();
    for (const address of container.addresses) {
      const vip = vipOfAddress.get(address);
      if (vip) byVip.set(vip, [...(byVip.get(vip) ?? []), address]);
    }
    return [...byVip].map(([vip, addresses]) => ({ vip, container, addresses }));
  });
  return claims.sort(
    (a, b) => compareStrings(a.vip, b.vip) || compareStrings(a.container.node, b.container.node),
  );
}

/** One line for logs and status: who claims what, and what to do about it. */
export function describeClaim(claim: ForeignClaim): string {
  const { container } = claim;
  return (
    `unmanaged keepalived container ${container.name} (${container.image}) on ${container.node} ` +
    `claims ${claim.addresses.join(', ')} of VIP ${claim.vip}; swarm-vip leaves both alone rather ` +
    `than start a rival VRRP group — remove it, or run with --adopt to replace it`
  );
}
