import type { Anomaly, VipFacts } from '../core/anomalies.js';
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
 * for keepalived's own MASTER report to arrive after the address (they are separate lines). When
 * the VIP's container on that node is not running (`docker rm -f` or `docker kill` of the holder),
 * no keepalived there can report MASTER: the address goes the moment another node holds it as
 * MASTER, and before that only once VRRP's master-down time (3 adverts plus skew) and a margin
 * have passed without a takeover — the last copy of an address is not taken away while a backup
 * is about to take over. No holder gets the same master-down time and margin, since a failover
 * passes through it; a split brain gets a second, since preemption briefly shows two holders.
 */
export function anomalyGraceMs(anomaly: Anomaly, advertIntervalSeconds: number): number {
  const masterDownMs = Math.round(advertIntervalSeconds * 4 * 1000) + 500;
  switch (anomaly.kind) {
    case 'stale-address':
      if (anomaly.keepalived !== 'stopped') return 300;
      return anomaly.heldElsewhere ? 0 : masterDownMs;
    case 'no-holder':
      return masterDownMs;
    case 'split-brain':
    case 'vrid-clash':
      return 1000 + Math.round(advertIntervalSeconds * 1000);
    default: {
      const unknown: never = anomaly;
      throw new Error(`unknown anomaly ${JSON.stringify(unknown)}`);
    }
  }
}
