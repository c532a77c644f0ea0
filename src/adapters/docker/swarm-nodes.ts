import type Docker from 'dockerode';
import type { ClusterNode } from '../../core/types.js';
import { EndpointError, describeError } from '../../errors.js';

/** Node label that names a swarm node's Docker endpoint URL. */
export const LABEL_NODE_ENDPOINT = 'swarm-vip.endpoint';

/** A swarm node, and the Docker URL the reconciler should use for it (when it can tell). */
export interface DiscoveredNode {
  node: ClusterNode;
  dockerUrl: string | undefined;
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
): Promise<DiscoveredNode[]> {
  let infos: SwarmNodeInfo[];
  try {
    infos = (await manager.listNodes()) as SwarmNodeInfo[];
  } catch (cause) {
    const hint = /not a swarm manager/i.test(describeError(cause)) ? ' (it is not a swarm manager)' : '';
    throw new EndpointError('endpoint-unreachable', managerUrl, `cannot list swarm nodes${hint}`, { cause });
  }
  return infos
    .map((n) => toDiscovered(n, endpointTemplate))
    .sort((a, b) => a.node.name.localeCompare(b.node.name));
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
