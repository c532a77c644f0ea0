import { detectAnomalies, type Anomaly, type NodeFacts } from '../core/anomalies.js';
import { buildStatus, type ContainerProbe, type VipStatus } from '../core/status.js';
import type { WorldView } from './pass.js';
import { vipTraits } from './anomaly-facts.js';

/**
 * One look at the cluster for the one-shot commands (`status`, `--once`): every running managed
 * container is probed once (`docker exec`: keepalived's state and which VIP addresses the node's
 * interfaces carry), and the status table and the anomalies are built from what was found. The
 * daemon never does this; it follows the containers' reports instead (vrrp-watch.ts).
 */
export async function probeAnomalies(
  world: Pick<WorldView, 'desired' | 'actual' | 'runtimes' | 'manifests' | 'claims'>,
): Promise<{ vips: VipStatus[]; anomalies: Anomaly[] }> {
  const all = [...new Set(world.desired.containers.flatMap((c) => c.addresses))];
  const probes = new Map<string, ContainerProbe>();
  const nodeAddresses = new Map<string, Set<string>>();
  await Promise.all(
    world.actual.nodes.flatMap((node) => {
      const runtime = world.runtimes.get(node.node);
      if (!node.reachable || !runtime) return [];
      return node.containers
        .filter((c) => c.running)
        .map(async (c) => {
          const probe = await runtime.probe(c.id, all).catch(() => undefined);
          if (!probe) return;
          const held = nodeAddresses.get(node.node) ?? new Set<string>();
          for (const a of probe.heldAddresses) held.add(a);
          nodeAddresses.set(node.node, held);
          const own = world.desired.containers.find((d) => d.vip === c.vip)?.addresses ?? [];
          probes.set(c.id, {
            state: probe.state,
            heldAddresses: probe.heldAddresses.filter((a) => own.includes(a)),
          });
        });
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
          state: probes.get(c.id)?.state ?? (c.running ? 'UNKNOWN' : 'STOP'),
        }))
      : [],
    foreignClaims: new Set(world.claims.filter((c) => c.container.node === n.node).map((c) => c.vip)),
  }));
  return {
    vips: buildStatus(world.desired, world.actual.nodes, probes),
    anomalies: detectAnomalies(vipTraits(world), facts),
  };
}
