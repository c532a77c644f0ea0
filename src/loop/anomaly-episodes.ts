import { anomalyKey, confirmAnomalies, describeAnomaly, type Anomaly } from '../core/anomalies.js';
import type { Logger } from '../log.js';
import { anomalyGraceMs, type VipTraits } from './anomaly-facts.js';

export interface AnomalyEpisodesDeps {
  log: Logger;
  now: () => number;
}

/**
 * The VRRP watch's memory of anomalies between looks (vrrp-watch.ts): since when each one found
 * has been seen without a break (an episode), which of them outlasted their grace period
 * (loop/anomaly-facts.ts, rule in core/anomalies.ts), and an alarm in the log once per episode.
 * An anomaly no longer found ends its episode; found again, it starts a new one.
 */
export class AnomalyEpisodes {
  /** When each anomaly's episode began (by key). */
  private startedMs = new Map<string, number>();
  /** Grace period of each pending anomaly (by key), as the latest look found it. */
  private graceMs = new Map<string, number>();
  private confirmed: Anomaly[] = [];

  constructor(private readonly deps: AnomalyEpisodesDeps) {}

  /** Takes the anomalies found now; returns those that outlasted their grace period. */
  confirm(found: readonly Anomaly[], traits: readonly VipTraits[]): Anomaly[] {
    const graceMs = new Map<string, number>();
    const result = confirmAnomalies(found, this.startedMs, this.deps.now(), (a) => {
      const grace = anomalyGraceMs(a, traits.find((t) => t.vip === a.vip)?.advertIntervalSeconds ?? 1);
      graceMs.set(anomalyKey(a), grace);
      return grace;
    });
    this.startedMs = result.firstSeenMs;
    this.graceMs = graceMs;
    this.alarmOnce(result.confirmed);
    this.confirmed = result.confirmed;
    return result.confirmed;
  }

  /** When the episode of `anomaly` began, if it is going on. */
  firstSeenMs(anomaly: Anomaly): number | undefined {
    return this.startedMs.get(anomalyKey(anomaly));
  }

  /** When the watch must look again: as a pending anomaly's grace ends, and every second for confirmed ones. */
  dueMs(now: number): number[] {
    return [...this.startedMs].map(([key, since]) => {
      const grace = this.graceMs.get(key) ?? 0;
      // Confirmed ones are looked at again while they last, so repairs are retried.
      return since + grace > now ? since + grace : now + 1000;
    });
  }

  /** Logs each confirmed anomaly once per episode. */
  private alarmOnce(confirmed: readonly Anomaly[]): void {
    const before = new Set(this.confirmed.map(anomalyKey));
    for (const anomaly of confirmed) {
      if (before.has(anomalyKey(anomaly))) continue;
      const where = {
        vip: anomaly.vip,
        anomaly: anomaly.kind,
        ...('node' in anomaly ? { node: anomaly.node } : {}),
      };
      this.deps.log.warn(where, describeAnomaly(anomaly));
    }
  }
}
