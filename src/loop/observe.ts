import { vipByAddress } from '../core/desired-state.js';
import type { ActualState, DesiredState, NodeObservation } from '../core/types.js';
import { EndpointError, describeError } from '../errors.js';
import type { NodeRuntime } from '../ports.js';

/** Reads every node's managed containers in parallel; a node that fails is reported unreachable. */
export async function observeNodes(runtimes: ReadonlyMap<string, NodeRuntime>): Promise<NodeObservation[]> {
  return Promise.all(
    [...runtimes.values()].map(async (runtime): Promise<NodeObservation> => {
      try {
        const { managed, foreign } = await runtime.listContainers();
        return { node: runtime.node, reachable: true, containers: managed, foreign };
      } catch (error) {
        const reason = error instanceof EndpointError ? error.detail : describeError(error);
        return { node: runtime.node, reachable: false, error: reason };
      }
    }),
  );
}

/**
 * Which node holds each desired VIP's address right now, read from the node's interfaces
 * (one `docker exec` per node, in any running managed container: they all share the node's
 * network namespace). When adopting, a node may run only hand-run keepalived, so one of those
 * serves too (the operator asked swarm-vip to take them over; the exec only reads). A node that
 * cannot be probed simply holds nothing we know of.
 */
export async function findHolders(
  desired: DesiredState,
  nodes: readonly NodeObservation[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  adopt: boolean,
): Promise<ActualState['holders']> {
  const vipOfAddress = vipByAddress(desired);

  const addresses = [...vipOfAddress.keys()];
  const holders: Record<string, string> = {};
  await Promise.all(
    nodes.map(async (observation) => {
      if (!observation.reachable) return;
      const probeVia =
        observation.containers.find((c) => c.running) ??
        (adopt ? observation.foreign?.find((c) => c.running) : undefined);

      const runtime = runtimes.get(observation.node);
      if (!probeVia || !runtime || addresses.length === 0) return;
      const probe = await runtime.probe(probeVia.id, addresses).catch(() => undefined);
      for (const address of probe?.heldAddresses ?? []) {
        const vip = vipOfAddress.get(address);
        if (vip) holders[vip] = observation.node;
      }
    }),
  );
  return holders;
}
