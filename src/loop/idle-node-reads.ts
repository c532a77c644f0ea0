import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { WorldView } from './pass.js';
import { idleTargets } from './probe-anomalies.js';
import { Throttle } from './throttle.js';

/** How long a target node has had no keepalived of ours running before a helper reads its addresses. */
const IDLE_READ_DELAY_MS = 1000;

export interface IdleNodeReadsDeps {
  log: Logger;
  now: () => number;
  /**
   * How often the addresses of a target node that runs no managed keepalived (stopped, crash
   * looping, not created yet) are read in a helper container: nothing else reports them.
   */
  addressReadIntervalMs: number;
  /** Whether a managed keepalived reports from the node (its reports carry the node's addresses). */
  reportsFrom: (node: string) => boolean;
  /** A helper read the node's addresses, and no keepalived there began reporting meanwhile. */
  addressesRead: (node: string, addresses: readonly string[]) => void;
  /** A read ended, whichever way: the watch looks again. */
  readEnded: () => void;
}

/**
 * The VRRP watch's reads of idle nodes (vrrp-watch.ts): a target node where no keepalived of ours
 * runs has nothing that reports its addresses, so once it has been idle for
 * {@link IDLE_READ_DELAY_MS} a short-lived helper container reads them, at most every
 * `addressReadIntervalMs` and one read per node at a time. Else an address left there by a
 * keepalived that died for good, or put there by hand, would go unseen.
 */
export class IdleNodeReads {
  /** Target nodes where no keepalived of ours runs, since when. */
  private readonly idleSinceMs = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly throttle: Throttle;

  constructor(private readonly deps: IdleNodeReadsDeps) {
    this.throttle = new Throttle(deps.now);
  }

  /** Starts the reads that are due on the world of the latest pass; called on every look. */
  read(world: WorldView): void {
    for (const { node, runtime, image } of this.idleLongEnough(world)) {
      if (this.inFlight.has(node)) continue;
      this.throttle.run(node, this.deps.addressReadIntervalMs, () => {
        this.inFlight.add(node);
        runtime
          .readAddresses(image)
          .then((addresses) => {
            // A container may have started reporting meanwhile: its word is fresher.
            if (!this.deps.reportsFrom(node)) this.deps.addressesRead(node, addresses);
          })
          .catch((error: unknown) =>
            this.deps.log.debug(
              { node, err: describeError(error) },
              'reading the addresses of an idle node failed',
            ),
          )
          .finally(() => {
            this.inFlight.delete(node);
            this.deps.readEnded();
          });
      });
    }
  }

  /** When the watch must look again for the next read of each idle node. */
  dueMs(now: number): number[] {
    return [...this.idleSinceMs.values()].map((since) =>
      since + IDLE_READ_DELAY_MS > now ? since + IDLE_READ_DELAY_MS : now + this.deps.addressReadIntervalMs,
    );
  }

  /**
   * Idle target nodes that have been idle for {@link IDLE_READ_DELAY_MS}, noting when each became
   * idle. A node whose keepalived just stopped or went (`docker rm -f`) normally runs a new one
   * sooner, whose reports say more than a helper could; a helper started meanwhile only slows down
   * that new container's start on the same engine, which is what clears a stale address there.
   */
  private idleLongEnough(world: WorldView): ReturnType<typeof idleTargets> {
    const idle = idleTargets(world, (node) => this.deps.reportsFrom(node.node));
    const now = this.deps.now();
    for (const node of this.idleSinceMs.keys()) {
      if (!idle.some((i) => i.node === node)) this.idleSinceMs.delete(node);
    }
    for (const { node } of idle) if (!this.idleSinceMs.has(node)) this.idleSinceMs.set(node, now);
    return idle.filter(({ node }) => now - (this.idleSinceMs.get(node) ?? now) >= IDLE_READ_DELAY_MS);
  }
}
