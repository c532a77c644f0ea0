import type Docker from 'dockerode';
import type { ClusterNode } from '../../core/types.js';
import { EndpointError, describeError } from '../../errors.js';

/** Node label that names a swarm node's Docker endpoint URL. */
export const LABEL_NODE_ENDPOINT = 'swarm-vip.endpoint';

/** A swarm node, and the Docker URL the reconciler should use for it (when it can tell). */
export interface DiscoveredNode {
  node: ClusterNode;
  dockerUrl: string | undefined;
  /** True when `dockerUrl` is the node's `reconciler agent` task (mutual TLS, its fixed name). */
  viaAgent?: boolean;
  /** Why there is no URL, when the operator should know. */
  missingReason?: string;
}

/** `reconciler agent` tasks of a swarm service, reached on their overlay address. */
export interface AgentService {
  service: string;
  port: number;
}

/** The subset of a swarm task the agent lookup reads. */
export interface SwarmTaskInfo {
  NodeID?: string;
  DesiredState?: string;
  Status?: { State?: string };
  NetworksAttachments?: { Network?: { Spec?: { Name?: string; Ingress?: boolean } }; Addresses?: string[] }[];
}

/**
 * Node ID → address of its running agent task: the first address on a network other than the
 * ingress (the routing mesh does not reach tasks; the overlay the reconciler shares with the
 * agents does). A node with several running tasks (during an update) takes the last listed.
 */
export function agentAddresses(tasks: readonly SwarmTaskInfo[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const task of tasks) {
    if (!task.NodeID || task.Status?.State !== 'running' || task.DesiredState !== 'running') continue;
    const attachment = (task.NetworksAttachments ?? []).find(
      (a) => a.Network?.Spec?.Ingress !== true && (a.Addresses?.length ?? 0) > 0,
    );
    const address = attachment?.Addresses?.[0]?.split('/')[0];
    if (address) found.set(task.NodeID, address);
  }
  return found;
}

interface SwarmNodeInfo {
  ID: string;
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string };
  Status?: { State?: string; Addr?: string };
}

/**
 * The nodes of the swarm that `manager` manages. A drained or paused node is in the list, marked
 * `drained`: no VIP targets it, but it is still observed, so its keepalived is taken away (and
 * its VIPs move on) instead of being left running unseen. A node that is
 * down stays in the list: it is still a VIP's target and peer, its own actions fail until it is
 * back, and a manifest naming it stays valid. A node's Docker URL comes from its
 * `swarm-vip.endpoint` label, else from `endpointTemplate` with `{address}`, `{hostname}` and
 * `{id}` filled in.
 */
export async function discoverSwarmNodes(
  manager: Docker,
  managerUrl: string,
  endpointTemplate: string | undefined,
  agents?: AgentService,
): Promise<DiscoveredNode[]> {
  let infos: SwarmNodeInfo[];
  try {
    infos = (await manager.listNodes()) as SwarmNodeInfo[];
  } catch (cause) {
    const hint = /not a swarm manager/i.test(describeError(cause)) ? ' (it is not a swarm manager)' : '';
    throw new EndpointError('endpoint-unreachable', managerUrl, `cannot list swarm nodes${hint}`, { cause });
  }
  const agentByNode = agents ? await listAgents(manager, managerUrl, agents) : undefined;
  return infos
    .map((n) => withAgent(toDiscovered(n, endpointTemplate), n, agents, agentByNode))
    .sort((a, b) => a.node.name.localeCompare(b.node.name));
}

async function listAgents(
  manager: Docker,
  managerUrl: string,
  agents: AgentService,
): Promise<Map<string, string>> {
  try {
    const tasks = (await manager.listTasks({
      filters: { service: [agents.service], 'desired-state': ['running'] },
    })) as SwarmTaskInfo[];
    return agentAddresses(tasks);
  } catch (cause) {
    throw new EndpointError(
      'endpoint-unreachable',
      managerUrl,
      `cannot list the tasks of ${agents.service}`,
      {
        cause,
      },
    );
  }
}

/**
 * The agent's address for a node without a `swarm-vip.endpoint` label (an explicit label still
 * wins, as a NodeEndpoint manifest wins over both); the template is the fallback.
 */
function withAgent(
  found: DiscoveredNode,
  info: SwarmNodeInfo,
  agents: AgentService | undefined,
  agentByNode: Map<string, string> | undefined,
): DiscoveredNode {
  if (!agents || !agentByNode || info.Spec?.Labels?.[LABEL_NODE_ENDPOINT]) return found;
  const address = agentByNode.get(info.ID);
  if (address) {
    const host = address.includes(':') ? `[${address}]` : address;
    return { ...found, dockerUrl: `tcp://${host}:${agents.port}`, viaAgent: true };
  }
  if (found.dockerUrl) return found;
  return { ...found, missingReason: `no running task of the agent service ${agents.service} on this node` };
}

function toDiscovered(info: SwarmNodeInfo, endpointTemplate: string | undefined): DiscoveredNode {
  const labels = info.Spec?.Labels ?? {};
  const addr = info.Status?.Addr;
  // A node that has not reported its address yet shows 0.0.0.0.
  const address = addr && addr !== '0.0.0.0' ? addr : undefined;
  const hostname = info.Description?.Hostname ?? info.ID;
  return {
    node: {
      name: hostname,
      id: info.ID,
      role: roleOf(info),
      labels,
      addresses: address ? [address] : [],
      ...(isDrained(info) ? { drained: true } : {}),
    },
    dockerUrl:
      labels[LABEL_NODE_ENDPOINT] ?? fillTemplate(endpointTemplate, { address, hostname, id: info.ID }),
  };
}

/** The endpoint template with the node's facts filled in; undefined when a needed fact is missing. */
function fillTemplate(
  template: string | undefined,
  facts: { address: string | undefined; hostname: string; id: string },
): string | undefined {
  if (!template || (template.includes('{address}') && !facts.address)) return undefined;
  return template
    .replaceAll('{address}', facts.address ?? '')
    .replaceAll('{hostname}', facts.hostname)
    .replaceAll('{id}', facts.id);
}

/** Drain and pause both mean "no new work here": no VIP targets such a node. */
function isDrained(info: SwarmNodeInfo): boolean {
  return (info.Spec?.Availability ?? 'active') !== 'active';
}

function roleOf(info: SwarmNodeInfo): ClusterNode['role'] {
  const role = info.Spec?.Role;
  return role === 'manager' || role === 'worker' ? role : 'unknown';
}
