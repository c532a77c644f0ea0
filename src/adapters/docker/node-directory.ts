import { EMPTY, map, type Observable } from 'rxjs';
import { clusterNodesFromEndpoints } from '../../core/cluster-nodes.js';
import type { SshFiles } from '../../core/generated/manifest-types.js';
import type { ClusterNode, LoadedNodeEndpoint } from '../../core/types.js';
import { EndpointError, describeError } from '../../errors.js';
import type { ManifestSet, NodeDirectory, NodeEvent, NodeRuntime } from '../../ports.js';
import { dockerClientFor, type EndpointAddress, type SshSettings, type TlsFilePaths } from './connect.js';
import { DockerNodeRuntime, type DockerRuntimeOptions } from './node-runtime.js';
import { SWARM_NODE_EVENTS, dockerEvents } from './node-events.js';
import { discoverSwarmNodes, type AgentService, type DiscoveredNode } from './swarm-nodes.js';

/** The name every agent's server certificate carries (its task addresses change). */
export const AGENT_SERVER_NAME = 'swarm-vip-agent';

export interface NodeDirectoryOptions {
  /** Docker URL of a swarm manager; nodes are then discovered from it. */
  swarmUrl?: string | undefined;
  /** e.g. `tcp://{address}:2376`, for discovered nodes without a `swarm-vip.endpoint` label. */
  endpointTemplate?: string | undefined;
  /** Client TLS files for every `tcp://` engine the swarm tells of, and for a `tcp://` manager. */
  discoveredTls?: TlsFilePaths | undefined;
  /**
   * ssh credentials and known_hosts for every `ssh://` engine the swarm tells of, and the defaults
   * of each field a NodeEndpoint's `spec.ssh` leaves out.
   */
  ssh?: SshSettings | undefined;
  /** Reach each node through its `reconciler agent` task of this service (needs discoveredTls). */
  agents?: AgentService | undefined;
  requestTimeoutMs: number;
  runtime: DockerRuntimeOptions;
}

interface NodeEntry {
  node: ClusterNode;
  endpoint: EndpointAddress | undefined;
  /** Why there is no endpoint, when discovery can tell. */
  missingReason?: string | undefined;
}

/**
 * Nodes and their Docker engines, from NodeEndpoint manifests and (with `swarmUrl`) from a swarm
 * manager's node list; a NodeEndpoint overrides what the swarm says about the same node.
 * Runtimes are kept across passes while a node's endpoint stays the same, so event streams and
 * connections survive manifest edits.
 */
export class DockerNodeDirectory implements NodeDirectory {
  private readonly cache = new Map<string, { key: string; runtime: NodeRuntime }>();
  /** The swarm's node list as last read; undefined until read, and after each node event. */
  private swarm: readonly DiscoveredNode[] | undefined;

  constructor(private readonly options: NodeDirectoryOptions) {}

  async nodes(
    manifests: Pick<ManifestSet, 'endpoints'>,
  ): Promise<{ nodes: ClusterNode[]; runtimes: Map<string, NodeRuntime> }> {
    const entries = new Map<string, NodeEntry>();
    for (const found of await this.swarmNodes()) {
      const endpoint = found.dockerUrl ? this.discoveredAddress(found.dockerUrl) : undefined;
      entries.set(found.node.name, {
        node: found.node,
        endpoint: endpoint && found.viaAgent ? { ...endpoint, serverName: AGENT_SERVER_NAME } : endpoint,
        missingReason: found.missingReason,
      });
    }
    for (const loaded of manifests.endpoints) {
      const fromManifest = endpointEntry(loaded, this.options.ssh);
      const fromSwarm = entries.get(fromManifest.node.name);
      entries.set(fromManifest.node.name, fromSwarm ? mergeEntries(fromSwarm, fromManifest) : fromManifest);
    }
    const runtimes = new Map<string, NodeRuntime>();
    for (const [name, entry] of entries) {
      runtimes.set(name, this.runtimeFor(name, entry.endpoint, entry.missingReason));
    }
    for (const name of this.cache.keys()) if (!entries.has(name)) this.cache.delete(name);
    return { nodes: [...entries.values()].map((e) => e.node), runtimes };
  }

  refresh(): void {
    this.swarm = undefined;
  }

  /**
   * The swarm's nodes, listed once and kept until `refresh()`; none without a swarm. With agents
   * they are listed on every call: an agent task can move without a node event.
   */
  private async swarmNodes(): Promise<readonly DiscoveredNode[]> {
    if (!this.options.swarmUrl) return [];
    if (this.swarm && !this.options.agents) return this.swarm;
    const manager = dockerClientFor('swarm manager', this.managerAddress(), this.options.requestTimeoutMs);
    this.swarm = await discoverSwarmNodes(
      manager,
      this.options.swarmUrl,
      this.options.endpointTemplate,
      this.options.agents,
    );
    return this.swarm;
  }

  /**
   * With a swarm: the manager's node events (join, leave, label and availability changes). Each
   * one drops the kept node list, so the next pass lists it again.
   */
  changes(): Observable<void> {
    if (!this.options.swarmUrl) return EMPTY;
    const manager = dockerClientFor('swarm manager', this.managerAddress(), undefined);
    return dockerEvents('swarm manager', manager, SWARM_NODE_EVENTS, this.options.runtime.events).pipe(
      map(() => this.refresh()),
    );
  }

  /** A discovered engine: tcp:// takes the --tls-* files, ssh:// the --ssh-* ones. */
  private discoveredAddress(url: string): EndpointAddress {
    return {
      url,
      tls: url.startsWith('tcp://') ? this.options.discoveredTls : undefined,
      ssh: url.startsWith('ssh://') ? this.options.ssh : undefined,
    };
  }

  private managerAddress(): EndpointAddress {
    return this.discoveredAddress(this.options.swarmUrl ?? '');
  }

  private runtimeFor(
    name: string,
    endpoint: EndpointAddress | undefined,
    missingReason: string | undefined,
  ): NodeRuntime {
    const key = JSON.stringify(endpoint ?? null);
    const cached = this.cache.get(name);
    if (cached?.key === key) return cached.runtime;
    if (!endpoint) return new UnusableNodeRuntime(name, missingReason ?? NO_ENDPOINT);
    try {
      const runtime = new DockerNodeRuntime(
        name,
        dockerClientFor(name, endpoint, this.options.requestTimeoutMs),
        dockerClientFor(name, endpoint, undefined),
        this.options.runtime,
      );
      this.cache.set(name, { key, runtime });
      return runtime;
    } catch (error) {
      // e.g. unreadable TLS files: this node is unreachable, the others go on; retried next pass.
      return new UnusableNodeRuntime(
        name,
        error instanceof EndpointError ? error.detail : describeError(error),
      );
    }
  }
}

function endpointEntry(loaded: LoadedNodeEndpoint, sshDefaults: SshSettings | undefined): NodeEntry {
  const [node] = clusterNodesFromEndpoints([loaded.manifest]);
  if (!node) throw new Error('unreachable: one endpoint gives one node');
  const { docker, tls, ssh } = loaded.manifest.spec;
  return {
    node,
    endpoint: { url: docker, tls, ssh: docker.startsWith('ssh://') ? mergeSsh(ssh, sshDefaults) : undefined },
  };
}

/** A NodeEndpoint's own ssh fields win; each one it leaves out comes from the flags. */
function mergeSsh(own: SshFiles | undefined, defaults: SshSettings | undefined): SshSettings {
  return {
    identityFile: own?.identityFile ?? defaults?.identityFile,
    agentSocket: own?.agentSocket ?? defaults?.agentSocket,
    knownHostsFile: own?.knownHostsFile ?? defaults?.knownHostsFile ?? '',
  };
}

function mergeEntries(fromSwarm: NodeEntry, fromManifest: NodeEntry): NodeEntry {
  const node: ClusterNode = {
    ...fromSwarm.node,
    labels: { ...fromSwarm.node.labels, ...fromManifest.node.labels },
    addresses:
      fromManifest.node.addresses.length > 0 ? fromManifest.node.addresses : fromSwarm.node.addresses,
  };
  return { node, endpoint: fromManifest.endpoint };
}

const NO_ENDPOINT =
  'no Docker endpoint: add a NodeEndpoint manifest, a swarm-vip.endpoint node label, or --endpoint-template';

/** A node whose engine cannot be addressed at all: every call fails with the reason. */
class UnusableNodeRuntime implements NodeRuntime {
  constructor(
    readonly node: string,
    private readonly reason: string,
  ) {}
  private fail(): never {
    throw new EndpointError('endpoint-config', this.node, this.reason);
  }

  listContainers = async (): Promise<never> => this.fail();
  create = async (): Promise<never> => this.fail();
  start = async (): Promise<never> => this.fail();
  reloadWithPriority = async (): Promise<never> => this.fail();
  remove = async (): Promise<never> => this.fail();
  probe = async (): Promise<never> => this.fail();
  removeAddresses = async (): Promise<never> => this.fail();
  readAddresses = async (): Promise<never> => this.fail();
  recentLogs = async (): Promise<never> => this.fail();
  recentRejection = async (): Promise<never> => this.fail();
  reports(): Observable<never> {
    return EMPTY;
  }
  events(): Observable<NodeEvent> {
    return EMPTY;
  }
}
