/**
 * A simulated cluster for the scale benchmarks: no Docker, no network. Each node's engine is an
 * in-memory container table; every call waits what the same Docker calls cost on the real test
 * cluster (simulated-costs.ts): a create is createContainer (+ putArchive when the files hold a
 * password) + start (+ a probe when the rollout waits for VRRP), a remove is stop + remove.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EMPTY, type Observable } from 'rxjs';
import type { ActualContainer, ClusterNode, DesiredContainer, ForeignKeepalived } from '../src/core/types.js';
import type { OperationCosts } from './simulated-costs.js';
import type {
  CreateOptions,
  ManifestFile,
  ManifestSnapshot,
  ManifestSource,
  NodeDirectory,
  NodeEvent,
  NodeRuntime,
  PriorityReload,
  VrrpProbe,
} from '../src/ports.js';

/** Calls made on a simulated node, by what they do. */
export interface CallCounts {
  lists: number;
  /** create, start, remove: anything that changes the node. */
  writes: number;
  probes: number;
}

/** A simulated node engine: every call waits what it costs for real (setTimeout), then acts on memory. */
export class SimulatedNodeRuntime implements NodeRuntime {
  /** Managed containers by id. */
  readonly containers = new Map<string, ActualContainer>();
  readonly counts: CallCounts = { lists: 0, writes: 0, probes: 0 };
  private nextId = 1;

  constructor(
    readonly node: string,
    private readonly costs: OperationCosts,
  ) {}

  /** NodeRuntime calls made so far. */
  get calls(): number {
    return this.counts.lists + this.counts.writes + this.counts.probes;
  }

  async listContainers(): Promise<{ managed: ActualContainer[]; foreign: ForeignKeepalived[] }> {
    this.counts.lists++;
    await sleep(this.costs.listMs);
    return { managed: [...this.containers.values()].map((c) => ({ ...c })), foreign: [] };
  }

  async create(desired: DesiredContainer, options: CreateOptions = {}): Promise<void> {
    this.counts.writes++;
    const { createMs, putArchiveMs, startMs, probeMs } = this.costs;
    const files = desired.fileDelivery === 'archive' ? putArchiveMs : 0;
    await sleep(createMs + files + startMs + ((options.awaitVrrp ?? true) ? probeMs : 0));
    if ([...this.containers.values()].some((c) => c.name === desired.name)) {
      throw new Error(`simulated ${this.node}: name ${desired.name} taken`);
    }
    const id = `${this.node}-${this.nextId++}`;
    this.containers.set(id, {
      id,
      name: desired.name,
      node: this.node,
      vip: desired.vip,
      specHash: desired.specHash,
      running: true,
    });
  }

  /** The engine's own limit for one container: createContainer + start, nothing else. */
  async rawCreateStart(): Promise<void> {
    await sleep(this.costs.createMs + this.costs.startMs);
  }

  async start(containerId: string): Promise<void> {
    this.counts.writes++;
    await sleep(this.costs.startMs);
    this.existing(containerId).running = true;
  }

  /** A reload is one exec in a running container: costed like a probe. */
  async reloadWithPriority(): Promise<PriorityReload> {
    this.counts.writes++;
    await sleep(this.costs.probeMs);
    return { reloaded: true };
  }

  async remove(containerId: string): Promise<void> {
    this.counts.writes++;
    await sleep(this.costs.stopMs + this.costs.removeMs);
    this.containers.delete(containerId);
  }

  /** Simulated keepalived reports nothing: the scale benchmarks measure passes, not VRRP. */
  reports(): Observable<never> {
    return EMPTY;
  }

  async recentLogs(): Promise<string> {
    this.counts.probes++;
    await sleep(this.costs.probeMs);
    return '';
  }

  async recentRejection(): Promise<undefined> {
    this.counts.probes++;
    await sleep(this.costs.probeMs);
    return undefined;
  }

  async removeAddresses(): Promise<{ removed: string[]; skippedMaster: boolean }> {
    this.counts.writes++;
    await sleep(this.costs.probeMs);
    return { removed: [], skippedMaster: false };
  }

  async readAddresses(): Promise<string[]> {
    this.counts.probes++;
    await sleep(this.costs.probeMs);
    return [];
  }

  async probe(containerId: string): Promise<VrrpProbe> {
    this.counts.probes++;
    await sleep(this.costs.probeMs);
    this.existing(containerId);
    return { state: 'BACKUP', heldAddresses: [] };
  }

  events(): Observable<NodeEvent> {
    return EMPTY;
  }

  private existing(containerId: string): ActualContainer {
    const found = this.containers.get(containerId);
    if (!found) throw new Error(`simulated ${this.node}: no container ${containerId}`);
    return found;
  }
}

/** A fixed set of nodes, each with its simulated runtime. */
export class SimulatedNodeDirectory implements NodeDirectory {
  readonly runtimes: Map<string, SimulatedNodeRuntime>;

  constructor(
    private readonly clusterNodes: readonly ClusterNode[],
    costs: OperationCosts,
  ) {
    this.runtimes = new Map(clusterNodes.map((n) => [n.name, new SimulatedNodeRuntime(n.name, costs)]));
  }

  async nodes(): Promise<{ nodes: ClusterNode[]; runtimes: Map<string, NodeRuntime> }> {
    return { nodes: [...this.clusterNodes], runtimes: new Map(this.runtimes) };
  }

  /** NodeRuntime calls made on all nodes so far. */
  totalCalls(): number {
    return [...this.runtimes.values()].reduce((sum, r) => sum + r.calls, 0);
  }

  /** Calls by kind, summed over all nodes. */
  totalCounts(): CallCounts {
    const sum: CallCounts = { lists: 0, writes: 0, probes: 0 };
    for (const r of this.runtimes.values()) {
      sum.lists += r.counts.lists;
      sum.writes += r.counts.writes;
      sum.probes += r.counts.probes;
    }
    return sum;
  }
}

/** A manifest source that hands out one snapshot and never changes; `reads` counts the reads. */
export class StaticManifestSource implements ManifestSource {
  reads = 0;

  constructor(private readonly files: readonly ManifestFile[]) {}

  async snapshot(): Promise<ManifestSnapshot> {
    this.reads++;
    return { revision: 'static', files: this.files, unreadable: [] };
  }

  changes(): Observable<void> {
    return EMPTY;
  }
}
