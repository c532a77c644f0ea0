import { chooseRemovalRoute, isRoute } from '../core/address-removal-route.js';
import {
  detectAnomalies,
  runsCurrentSpec,
  type Anomaly,
  type ContainerFacts,
  type NodeFacts,
} from '../core/anomalies.js';
import { REJECTION_MEMORY_MS, type LoggedRejection } from '../core/container-reports.js';
import { buildStatus, type VipStatus, type VrrpState } from '../core/status.js';
import type { NodeObservation } from '../core/types.js';
import { describeError } from '../errors.js';
import type { NodeRuntime } from '../ports.js';
import type { WorldView } from './pass.js';
import { vipTraits } from './anomaly-facts.js';

type ProbeWorld = Pick<WorldView, 'desired' | 'actual' | 'runtimes' | 'manifests' | 'claims'>;

/**
 * One look at the cluster for the one-shot commands (`status`, `--once`): every running managed
 * container is probed once (`docker exec`: keepalived's state and which VIP addresses the node's
 * interfaces carry) and its log of the last few seconds is read once (bounded) for VRRP adverts
 * its keepalived dropped (a foreign router on the VIP's virtual_router_id, a password that
 * differs), and the status table and the anomalies are built from what was found. A
 * target node that runs no managed container has nothing to probe, so its addresses are read in a
 * short-lived helper container (else an address put there by hand, or left by a keepalived that
 * then died for good, would go unseen). The daemon never does this for nodes that run a
 * keepalived; it follows the containers' reports instead (vrrp-watch.ts).
 */
export async function probeAnomalies(
  world: ProbeWorld,
): Promise<{ vips: VipStatus[]; anomalies: Anomaly[] }> {
  const all = [...new Set(world.desired.containers.flatMap((c) => c.addresses))];
  const states = new Map<string, VrrpState>();
  const rejections = new Map<string, LoggedRejection>();
  const nodeAddresses = new Map<string, Set<string>>();
  const noteHeld = (node: string, held: readonly string[]): void => {
    const set = nodeAddresses.get(node) ?? new Set<string>();
    for (const a of held) set.add(a);
    nodeAddresses.set(node, set);
  };
  await Promise.all(
    world.actual.nodes.flatMap((node) => {
      const runtime = world.runtimes.get(node.node);
      if (!node.reachable || !runtime) return [];
      return node.containers
        .filter((c) => c.running)
        .map(async (c) => {
          const [probe, rejected] = await Promise.all([
            runtime.probe(c.id, all).catch(() => undefined),
            runtime.recentRejection(c.id, REJECTION_MEMORY_MS).catch(() => undefined),
          ]);
          if (rejected) rejections.set(c.id, rejected);
          if (!probe) return;
          noteHeld(node.node, probe.heldAddresses);
          states.set(c.id, probe.state);
        });
    }),
  );
  await Promise.all(
    idleTargets(world).map(async ({ node, runtime, image }) => {
      const present = await runtime.readAddresses(image).catch(() => undefined);
      if (present)
        noteHeld(
          node,
          present.filter((a) => all.includes(a)),
        );
    }),
  );
  const facts: NodeFacts[] = world.actual.nodes.map((n) => ({
    node: n.node,
    reachable: n.reachable,
    addresses: nodeAddresses.get(n.node),
    containers: n.reachable
      ? n.containers.map((c) => ({
          vip: c.vip,
          name: c.name,
          running: c.running,
          state: states.get(c.id) ?? (c.running ? 'UNKNOWN' : 'STOP'),
          current: runsCurrentSpec(world.desired, c),
          // Created is whole seconds, rounded down: an advert dropped within that second may
          // still be a predecessor's.
          ...(c.createdAtMs === undefined ? {} : { speaksSinceMs: c.createdAtMs + 1000 }),
          ...rejectedFact(rejections.get(c.id)),
        }))
      : [],
    foreignClaims: new Set(world.claims.filter((c) => c.container.node === n.node).map((c) => c.vip)),
  }));
  return {
    vips: buildStatus(world.desired, world.actual.nodes, { states, nodeAddresses }),
    anomalies: detectAnomalies(vipTraits(world), facts),
  };
}

function rejectedFact(rejected: LoggedRejection | undefined): Pick<ContainerFacts, 'rejected'> {
  return rejected
    ? { rejected: { rejection: rejected.rejection, detail: rejected.detail, atMs: rejected.atMs } }
    : {};
}

/**
 * Reachable nodes that some VIP targets but where no managed container runs (by default as the
 * listing says; the daemon knows better from the report streams), with an image to read their
 * addresses with (the first such VIP's: it is on the node, or can be pulled there).
 */
export function idleTargets(
  world: Pick<WorldView, 'desired' | 'actual' | 'runtimes'>,
  runsKeepalived: (node: NodeObservation & { reachable: true }) => boolean = (node) =>
    node.containers.some((c) => c.running),
): { node: string; runtime: NodeRuntime; image: string }[] {
  const byNode = new Map(world.actual.nodes.map((n) => [n.node, n]));
  const found = new Map<string, { node: string; runtime: NodeRuntime; image: string }>();
  for (const desired of world.desired.containers) {
    const node: NodeObservation | undefined = byNode.get(desired.node);
    const runtime = world.runtimes.get(desired.node);
    if (!node?.reachable || !runtime || found.has(desired.node)) continue;
    if (runsKeepalived(node)) continue;
    found.set(desired.node, { node: desired.node, runtime, image: desired.image });
  }
  return [...found.values()];
}

/** What became of one anomaly that `--once` tried to repair. */
export type Repair =
  | { result: 'removed'; removed: string[] }
  | { result: 'left'; why: string }
  | { result: 'failed'; error: string };

/**
 * Removes each stale address (see core/anomalies.ts) from its node, as the daemon would, by the
 * fastest way there (core/address-removal-route.ts): inside the VIP's own running container there
 * (which leaves the address alone if its keepalived became MASTER meanwhile), else inside another
 * VIP's running keepalived container on the node, else in a helper container of the VIP's image.
 * The pass has run already: nothing waits for a start. Other anomalies are not repairs of an
 * address: no holder is what the pass already acted on, and two holders that are both MASTER
 * need a person.
 */
export async function repairStaleAddresses(
  world: Pick<WorldView, 'desired' | 'actual' | 'runtimes'>,
  anomalies: readonly Anomaly[],
): Promise<Map<Anomaly, Repair>> {
  const repairs = new Map<Anomaly, Repair>();
  await Promise.all(
    anomalies.map(async (anomaly) => {
      if (anomaly.kind !== 'stale-address') return;
      const runtime = world.runtimes.get(anomaly.node);
      const node = world.actual.nodes.find((n) => n.node === anomaly.node);
      const running = node?.reachable ? node.containers.filter((c) => c.running) : [];
      const decision = chooseRemovalRoute({
        vip: anomaly.vip,
        running,
        keepalived: anomaly.keepalived,
        targeted: world.desired.containers.some((c) => c.vip === anomaly.vip && c.node === anomaly.node),
        // The pass has run: whatever it started had its chance.
        startsHadTheirChance: true,
        image: world.desired.containers.find((c) => c.vip === anomaly.vip)?.image,
      });
      if (!runtime || !isRoute(decision)) {
        repairs.set(anomaly, { result: 'left', why: 'no way to reach the node' });
        return;
      }
      const repair = await runtime.removeAddresses(anomaly.addresses, decision).then(
        (done): Repair =>
          done.skippedMaster
            ? { result: 'left', why: 'its keepalived is MASTER now' }
            : { result: 'removed', removed: done.removed },
        (error: unknown): Repair => ({ result: 'failed', error: describeError(error) }),
      );
      repairs.set(anomaly, repair);
    }),
  );
  return repairs;
}

/** The repair in words, to follow an anomaly's line. */
export function describeRepair(repair: Repair | undefined): string {
  if (!repair) return '';
  switch (repair.result) {
    case 'removed':
      return repair.removed.length > 0 ? `; removed ${repair.removed.join(', ')}` : '; already gone';
    case 'left':
      return `; left in place: ${repair.why}`;
    case 'failed':
      return `; removing it failed: ${repair.error}`;
    default: {
      const unknown: never = repair;
      throw new Error(`unknown repair ${JSON.stringify(unknown)}`);
    }
  }
}
