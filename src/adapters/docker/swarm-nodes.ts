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
 * The ready, active nodes of the swarm that `manager` manages. A node's Docker URL comes from its
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
    .filter((n) => n.Status?.State === 'ready' && (n.Spec?.Availability ?? 'active') === 'active')
    .map((n) => toDiscovered(n, endpointTemplate))
    .sort((a, b) => a.node.name.localeCompare(b.node.name));
}

function toDiscovered(info: SwarmNodeInfo, endpointTemplate: string | undefined): DiscoveredNode {
  const labels = info.Spec?.Labels ?? {};
  const address = info.Status?.Addr && info.Status.Addr !== '0.0.0.0' ? info.Status.Addr : undefined;
  const hostname = info.Description?.Hostname ?? info.ID;
  const role = info.Spec?.Role === 'manager' || info.Spec?.Role === 'worker' ? info.Spec.Role : 'unknown';
  const fromTemplate = endpointTemplate
    ?.replaceAll('{address}', address ?? '')
    .replaceAll('{hostname}', hostname)
    .replaceAll('{id}', info.ID);
  return {
    node: { name: hostname, id: info.ID, role, labels, addresses: address ? [address] : [] },
    dockerUrl:
      labels[LABEL_NODE_ENDPOINT] ??
      (address || !endpointTemplate?.includes('{address}') ? fromTemplate : undefined),
  };
}
