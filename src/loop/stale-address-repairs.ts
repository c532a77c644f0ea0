import {
  chooseRemovalRoute,
  type RemovalRoute,
  type RunningContainer,
} from '../core/address-removal-route.js';
import { anomalyKey, type Anomaly } from '../core/anomalies.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NodeRuntime } from '../ports.js';
import { anomalyGraceMs, type VipTraits } from './anomaly-facts.js';
import type { StartGuard } from './start-guard.js';
import { Throttle } from './throttle.js';

/** How long starts on a target node get to clear a stale address before a helper removes it. */
const STARTS_HELP_WITHIN_MS = 5000;

/** A confirmed `stale-address` anomaly (core/anomalies.ts). */
export type StaleAddress = Extract<Anomaly, { kind: 'stale-address' }>;

/** Stale addresses removed so far from one node for one VIP. */
export interface RepairCount {
  vip: string;
  node: string;
  count: number;
}

export interface StaleAddressRepairsDeps {
  log: Logger;
  now: () => number;
  /** The runtime of a node, through which its addresses are removed. */
  runtimeOf: (node: string) => NodeRuntime | undefined;
  /** Keeps removals through other containers apart from the passes' starts of the VIP's keepalived. */
  startGuard: Pick<StartGuard, 'removal'>;
  /** Asks for a pass, whose start of the VIP's keepalived on the node clears its addresses. */
  requestPass: () => void;
  /**
   * The addresses were removed from the node (whoever removed them): the watch notes them gone
   * until the node's next report says otherwise, so the same removal is not run again on what
   * was known before it.
   */
  addressesGone: (node: string, addresses: readonly string[]) => void;
  /** A removal ended, whichever way: the watch looks again. */
  removalEnded: () => void;
}

/** What the watch knows of a stale address's node and VIP when it asks for the repair. */
export interface StaleAddressFacts {
  /** The VIP's target nodes and advert interval. */
  trait: VipTraits;
  /** The managed containers whose keepalived reports from the node, with their VIP. */
  onNode: readonly RunningContainer[];
  /** The VIP's image, for a helper container. */
  image: string | undefined;
  /** When the anomaly was first seen (undefined: not pending). */
  firstSeenMs: number | undefined;
  /** Whether the VIP's keepalived on the node waits out a crash-loop backoff (no start is coming). */
  inBackoff: boolean;
  /** When the node's addresses were last reported or read (undefined: never). */
  addressesAtMs: number | undefined;
}

/**
 * The VRRP watch's repair of stale addresses (vrrp-watch.ts): for each confirmed `stale-address`
 * anomaly it picks the way (core/address-removal-route.ts) and removes the address from its node —
 * inside the VIP's own container, which refuses if its keepalived became MASTER meanwhile, else
 * through another VIP's keepalived there or a helper container, never overlapping a start of the
 * VIP's keepalived on the node (start-guard.ts) — or asks for a pass when a start is the gentler
 * repair. At most one removal per VIP and node is in flight; each that removed something is
 * counted for the status.
 */
export class StaleAddressRepairs {
  private readonly inFlight = new Set<string>();
  private readonly counts = new Map<string, RepairCount>();
  private readonly throttle: Throttle;

  constructor(private readonly deps: StaleAddressRepairsDeps) {
    this.throttle = new Throttle(deps.now);
  }

  /** Acts on a confirmed stale address; called again on every look while it lasts. */
  repair(anomaly: StaleAddress, facts: StaleAddressFacts): void {
    const runtime = this.deps.runtimeOf(anomaly.node);
    if (!runtime) return;
    const decision = chooseRemovalRoute({
      vip: anomaly.vip,
      running: facts.onNode,
      keepalived: anomaly.keepalived,
      targeted: facts.trait.targets.includes(anomaly.node),
      startsHadTheirChance: this.pastWaiting(anomaly, facts),
      image: facts.image,
    });
    switch (decision.kind) {
      case 'own':
      case 'sibling':
      case 'helper':
        return this.runRemoval(anomaly, runtime, decision, facts.addressesAtMs);
      case 'wait-for-start':
        // Its keepalived is stopped or missing: the pass starts it, and every start clears the
        // VIP's addresses before keepalived runs.
        return this.throttle.run(anomalyKey(anomaly), 2000, () => this.deps.requestPass());
      case 'none':
        return;
      default: {
        const unknown: never = decision;
        throw new Error(`unknown removal decision ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** Stale addresses removed so far, by VIP and node (a removal that found nothing counts 0). */
  repairCounts(): RepairCount[] {
    return [...this.counts.values()];
  }

  /**
   * On a target node, a start is the gentler repair; a helper removes the address only when no
   * start is coming (the node waits out a crash-loop backoff) or the starts did not help within
   * a few seconds (a keepalived that dies at once never clears it).
   */
  private pastWaiting(anomaly: StaleAddress, facts: StaleAddressFacts): boolean {
    if (facts.inBackoff) return true;
    const since = facts.firstSeenMs;
    const grace = anomalyGraceMs(anomaly, facts.trait.advertIntervalSeconds);
    return since !== undefined && this.deps.now() - since >= grace + STARTS_HELP_WITHIN_MS;
  }

  private runRemoval(
    anomaly: StaleAddress,
    runtime: NodeRuntime,
    route: RemovalRoute,
    addressesAtMs: number | undefined,
  ): void {
    const key = anomalyKey(anomaly);
    if (this.inFlight.has(key)) return;
    const remove = () => runtime.removeAddresses(anomaly.addresses, route);
    // The VIP's own container guards itself (it refuses while its keepalived is MASTER); any other
    // route must not overlap a start of the VIP's keepalived on the node, nor act on facts older
    // than the latest such start (start-guard.ts).
    const removal =
      route.kind === 'own'
        ? remove()
        : this.deps.startGuard.removal(anomaly.vip, anomaly.node, addressesAtMs ?? -Infinity, remove);
    if (!removal) return;
    this.inFlight.add(key);
    const where = { vip: anomaly.vip, node: anomaly.node, container: anomaly.container, route: route.kind };
    removal
      .then((result) => {
        if (result.skippedMaster) {
          this.deps.log.info(
            where,
            `left ${anomaly.addresses.join(', ')} on ${anomaly.node}: its keepalived is MASTER now`,
          );
          return;
        }
        // Gone now, whoever removed them; the node's next report may say otherwise.
        this.deps.addressesGone(anomaly.node, anomaly.addresses);
        const entry = this.counts.get(key) ?? { vip: anomaly.vip, node: anomaly.node, count: 0 };
        entry.count += result.removed.length > 0 ? 1 : 0;
        this.counts.set(key, entry);
        this.deps.log.warn(
          { ...where, removed: result.removed },
          `removed stale ${anomaly.addresses.join(', ')} from ${anomaly.node} (${anomaly.reason}) ${describeRoute(route)}`,
        );
      })
      .catch((error: unknown) =>
        this.deps.log.error(
          { ...where, err: describeError(error) },
          `removing a stale address from ${anomaly.node} failed`,
        ),
      )
      .finally(() => {
        this.inFlight.delete(key);
        this.deps.removalEnded();
      });
  }
}

/** Where a removal ran, in words for the log. */
function describeRoute(route: RemovalRoute): string {
  switch (route.kind) {
    case 'own':
      return 'inside its own container';
    case 'sibling':
      return `inside ${route.container} (another VIP's keepalived on the node)`;
    case 'helper':
      return 'in a helper container';
    default: {
      const unknown: never = route;
      throw new Error(`unknown removal route ${JSON.stringify(unknown)}`);
    }
  }
}
