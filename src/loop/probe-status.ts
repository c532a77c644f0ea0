import { buildStatus, type ContainerProbe, type VipStatus } from '../core/status.js';
import type { WorldView } from './pass.js';

/** Probes every running managed container (VRRP state, addresses held) and builds the status table. */
export async function probeStatus(
  world: Pick<WorldView, 'desired' | 'actual' | 'runtimes'>,
): Promise<VipStatus[]> {
  const addressesOf = new Map<string, string[]>();
  for (const c of world.desired.containers) addressesOf.set(c.vip, [...c.addresses]);
  const probes = new Map<string, ContainerProbe>();
  await Promise.all(
    world.actual.nodes.flatMap((node) => {
      if (!node.reachable) return [];
      const runtime = world.runtimes.get(node.node);
      return node.containers
        .filter((c) => c.running && runtime)
        .map(async (c) => {
          const probe = await runtime?.probe(c.id, addressesOf.get(c.vip) ?? []).catch(() => undefined);
          if (probe) probes.set(c.id, probe);
        });
    }),
  );
  return buildStatus(world.desired, world.actual.nodes, probes);
}
