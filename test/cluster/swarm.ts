/** Joins the node engines into one real swarm and labels each node with its engine's socket. */
import type Docker from 'dockerode';
import { ClusterError, messageOf } from './errors.js';
import { SWARM_ADDRESS_POOL } from './options.js';
import { waitFor } from './wait-for.js';

/** Node label mapping a swarm node to its Docker engine; read by `--swarm` discovery. */
export const ENDPOINT_LABEL = 'swarm-vip.endpoint';

const SWARM_PORT = 2377;

export interface SwarmMember {
  name: string;
  docker: Docker;
  ipv4: string;
  role: 'manager' | 'worker';
  /** Value of the {@link ENDPOINT_LABEL} label. */
  endpoint: string;
}

interface SwarmInfo {
  Swarm?: { NodeID?: string; LocalNodeState?: string };
}

interface SwarmNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: { Hostname?: string };
  Status?: { State?: string };
}

async function step<T>(what: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new ClusterError('swarm-failed', `${what}: ${messageOf(error)}`, { cause: error });
  }
}

/** Swarm node ID of an engine (empty when it is not in a swarm). */
export async function swarmNodeId(docker: Docker): Promise<string> {
  const info = (await docker.info()) as SwarmInfo;
  return info.Swarm?.LocalNodeState === 'active' ? (info.Swarm.NodeID ?? '') : '';
}

/**
 * `swarm init` on the first member (a manager), then joins the others with the manager or worker
 * token, labels every node, and waits until all are ready. Returns swarm node IDs by member name.
 */
export async function formSwarm(
  members: readonly SwarmMember[],
  timeoutMs = 60_000,
): Promise<Map<string, string>> {
  const [first, ...rest] = members;
  if (!first || first.role !== 'manager')
    throw new ClusterError('swarm-failed', 'the first member must be a manager');
  const leader = first.docker;
  await step(`swarm init on ${first.name}`, () =>
    leader.swarmInit({
      ListenAddr: `${first.ipv4}:${SWARM_PORT}`,
      AdvertiseAddr: first.ipv4,
      // Without it ingress takes 10.0.0.0/24.
      DefaultAddrPool: [SWARM_ADDRESS_POOL],
      SubnetSize: 24,
    }),
  );
  const tokens = (await step('swarm inspect', () => leader.swarmInspect())) as {
    JoinTokens: { Worker: string; Manager: string };
  };
  const join = (member: SwarmMember) =>
    step(`swarm join of ${member.name}`, () =>
      member.docker.swarmJoin({
        ListenAddr: `${member.ipv4}:${SWARM_PORT}`,
        AdvertiseAddr: member.ipv4,
        RemoteAddrs: [`${first.ipv4}:${SWARM_PORT}`],
        JoinToken: member.role === 'manager' ? tokens.JoinTokens.Manager : tokens.JoinTokens.Worker,
      }),
    );
  // Managers one at a time (each join changes the raft membership); workers all at once.
  for (const member of rest.filter((candidate) => candidate.role === 'manager')) await join(member);
  await Promise.all(rest.filter((candidate) => candidate.role === 'worker').map(join));

  const ids = new Map<string, string>();
  for (const member of members)
    ids.set(member.name, await step(`info of ${member.name}`, () => swarmNodeId(member.docker)));
  await waitFor(
    async () => {
      const nodes = (await leader.listNodes()) as SwarmNode[];
      return nodes.length === members.length && nodes.every((node) => node.Status?.State === 'ready');
    },
    { timeoutMs, intervalMs: 100, description: `${members.length} ready swarm nodes` },
  );
  for (const member of members) await labelNode(leader, ids.get(member.name) ?? '', member.endpoint);
  return ids;
}

/** Sets the {@link ENDPOINT_LABEL} label, keeping the rest of the node spec as it is. */
async function labelNode(manager: Docker, nodeId: string, endpoint: string): Promise<void> {
  await step(`label node ${nodeId}`, async () => {
    const node = (await manager.getNode(nodeId).inspect()) as SwarmNode;
    const spec = { ...node.Spec, Labels: { ...node.Spec.Labels, [ENDPOINT_LABEL]: endpoint } };
    await manager.getNode(nodeId).update({ _query: { version: node.Version.Index }, _body: spec });
  });
}
