/**
 * A simulated cluster for the scale benchmarks: no Docker, no network. Each node's engine is an
 * in-memory container table behind a fixed per-call latency, standing in for one Docker API
 * round trip.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { EMPTY, type Observable } from 'rxjs';
import type { ActualContainer, ClusterNode, DesiredContainer, ForeignKeepalived } from '../src/core/types.js';
import type {
  ManifestFile,
  ManifestSnapshot,
  ManifestSource,
  NodeDirectory,
  NodeEvent,
  NodeRuntime,
  VrrpProbe,
} from '../src/ports.js';

/** A simulated node engine: every call waits `latencyMs` (setTimeout), then acts on memory. */
export class SimulatedNodeRuntime implements NodeRuntime {
  /** Managed containers by id. */
  readonly containers = new Map<string, ActualContainer>();
  /** NodeRuntime calls made so far. */
  calls = 0;
  private nextId = 1;

  constructor(
    readonly node: string,
    private readonly latencyMs: number,
  ) {}

  async listContainers(): Promise<{ managed: ActualContainer[]; foreign: ForeignKeepalived[] }> {
    await this.roundTrip();
    return { managed: [...this.containers.values()].map((c) => ({ ...c })), foreign: [] };
  }

  async create(desired: DesiredContainer): Promise<void> {
    await this.roundTrip();
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

  async start(containerId: string): Promise<void> {
    await this.roundTrip();
    this.existing(containerId).running = true;
  }

  async remove(containerId: string): Promise<void> {
    await this.roundTrip();
    this.containers.delete(containerId);
  }

  /** Simulated keepalived reports nothing: the scale benchmarks measure passes, not VRRP. */
  reports(): Observable<never> {
    return EMPTY;
  }

  async recentLogs(): Promise<string> {
    await this.roundTrip();
    return '';
  }

  async removeAddresses(): Promise<{ removed: string[]; skippedMaster: boolean }> {
    await this.roundTrip();
    return { removed: [], skippedMaster: false };
  }

  async readAddresses(): Promise<string[]> {
    await this.roundTrip();
    return [];
  }

  async probe(containerId: string): Promise<VrrpProbe> {
    await this.roundTrip();
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

  private async roundTrip(): Promise<void> {
    this.calls++;
    await sleep(this.latencyMs);
  }
}

/** A fixed set of nodes, each with its simulated runtime. */
export class SimulatedNodeDirectory implements NodeDirectory {
  readonly runtimes: Map<string, SimulatedNodeRuntime>;

  constructor(
    private readonly clusterNodes: readonly ClusterNode[],
    latencyMs: number,
  ) {
    this.runtimes = new Map(clusterNodes.map((n) => [n.name, new SimulatedNodeRuntime(n.name, latencyMs)]));
  }

  async nodes(): Promise<{ nodes: ClusterNode[]; runtimes: Map<string, NodeRuntime> }> {
    return { nodes: [...this.clusterNodes], runtimes: new Map(this.runtimes) };
  }

  /** NodeRuntime calls made on all nodes so far. */
  totalCalls(): number {
    return [...this.runtimes.values()].reduce((sum, r) => sum + r.calls, 0);
  }
}

/** A manifest source that hands out one snapshot and never changes. */
export class StaticManifestSource implements ManifestSource {
  constructor(private readonly files: readonly ManifestFile[]) {}

  async snapshot(): Promise<ManifestSnapshot> {
    return { revision: 'static', files: this.files, unreadable: [] };
  }

  changes(): Observable<void> {
    return EMPTY;
  }
}
