import type { VipFacts } from '../core/anomalies.js';
import { DEFAULT_ADVERT_INTERVAL, advertIntervalOf } from '../core/vrrp-version.js';
import type { WorldView } from './pass.js';

/** Per declared VIP: its addresses, whether frozen, its targets, its advert interval and health check. */
export interface VipTraits extends VipFacts {
  advertIntervalSeconds: number;
  hasHealthCheck: boolean;
}

/** The VIPs of a pass's world, as the anomaly rules and the repair timing need them. */
export function vipTraits(world: Pick<WorldView, 'desired' | 'manifests'>): VipTraits[] {
  const byVip = new Map<string, VipTraits>();
  for (const c of world.desired.containers) {
    const entry = byVip.get(c.vip);
    if (entry) {
      (entry.targets as string[]).push(c.node);
      continue;
    }
    const spec = world.manifests.virtualIPs.find((v) => v.manifest.metadata.name === c.vip)?.manifest.spec;
    byVip.set(c.vip, {
      vip: c.vip,
      addresses: [...c.addresses],
      frozen: world.desired.frozen.names.has(c.vip),
      targets: [c.node],
      advertIntervalSeconds: spec ? advertIntervalOf(spec) : DEFAULT_ADVERT_INTERVAL,
      hasHealthCheck: spec?.healthCheck !== undefined,
    });
  }
  return [...byVip.values()];
}

/**
 * How long an anomaly must last before the reconciler acts on it. A stale address gets a moment
 * for keepalived's own MASTER report to arrive after the address (they are separate lines); no
 * holder gets VRRP's master-down time (3 adverts plus skew) and a margin, since a failover passes
 * through it; a split brain gets a second, since preemption briefly shows two holders.
 */
export function anomalyGraceMs(
  kind: 'stale-address' | 'no-holder' | 'split-brain' | 'vrid-clash',
  advertIntervalSeconds: number,
): number {
  switch (kind) {
    case 'stale-address':
      return 300;
    case 'no-holder':
      return Math.round(advertIntervalSeconds * 4 * 1000) + 500;
    case 'split-brain':
    case 'vrid-clash':
      return 1000 + Math.round(advertIntervalSeconds * 1000);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown anomaly kind ${String(unknown)}`);
    }
  }
}
