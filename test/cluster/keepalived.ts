/**
 * Runs keepalived by hand on a test node, the way an operator would without swarm-vip: the config
 * travels in an environment variable that the container's `sh -c` writes to a file.
 */
import type Docker from 'dockerode';
import type { ClusterDescription, ClusterNodeDescription } from './description.js';
import { dockerAt } from './docker-client.js';

export const KEEPALIVED_CONFIG_PATH = '/etc/keepalived/keepalived.conf';

export interface VrrpInstanceSpec {
  /** Instance name in the config. */
  name: string;
  virtualRouterId: number;
  priority: number;
  /** VIP with prefix length, e.g. 198.18.0.100/24. */
  vip: string;
  advertIntervalSeconds?: number;
}

/** A unicast keepalived.conf for `node`, with every other cluster node as a peer. */
export function unicastConfig(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  spec: VrrpInstanceSpec,
): string {
  const peers = cluster.nodes.filter((peer) => peer.name !== node.name).map((peer) => `    ${peer.ipv4}`);
  return [
    'global_defs {',
    `  router_id ${node.name}`,
    '  enable_script_security',
    '  script_user root',
    '}',
    `vrrp_instance ${spec.name} {`,
    '  state BACKUP',
    `  interface ${node.interface}`,
    `  virtual_router_id ${spec.virtualRouterId}`,
    `  priority ${spec.priority}`,
    `  advert_int ${spec.advertIntervalSeconds ?? 1}`,
    `  unicast_src_ip ${node.ipv4}`,
    '  unicast_peer {',
    ...peers,
    '  }',
    '  virtual_ipaddress {',
    `    ${spec.vip} dev ${node.interface}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

// Stale pid files make a restarted keepalived think it is already running and exit 0.
const START_SCRIPT =
  'rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid && ' +
  `printf '%s' "$KEEPALIVED_CONF" > ${KEEPALIVED_CONFIG_PATH} && ` +
  `exec keepalived -n -l -f ${KEEPALIVED_CONFIG_PATH}`;

/** Creates and starts a host-network keepalived container running `config`; returns its id. */
export async function startKeepalived(
  node: ClusterNodeDescription,
  {
    name,
    image,
    config,
    labels = {},
    env = [],
  }: { name: string; image: string; config: string; labels?: Record<string, string>; env?: string[] },
): Promise<string> {
  const docker = dockerAt(node.socketPath);
  const container = await docker.createContainer({
    name,
    Image: image,
    Cmd: ['sh', '-c', START_SCRIPT],
    Env: [`KEEPALIVED_CONF=${config}`, ...env],
    Labels: labels,
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'] },
  });
  await container.start();
  return container.id;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

/**
 * Stops (SIGTERM, so keepalived gives its VIP up) then removes the container, if it exists.
 * Removing without stopping would SIGKILL it and leave the VIP behind on the node.
 */
export async function stopAndRemove(docker: Docker, name: string, stopTimeoutSeconds = 5): Promise<void> {
  const container = docker.getContainer(name);
  try {
    await container.stop({ t: stopTimeoutSeconds });
  } catch (error) {
    // 304: already stopped; 404: not there at all.
    if (statusOf(error) === 404) return;
    if (statusOf(error) !== 304) throw error;
  }
  await container.remove();
}
