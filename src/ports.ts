/**
 * What the loop and the CLI need from the outside world. Adapters implement these; tests pass
 * their own. The pure core (src/core/) needs none of them.
 */
import type { Observable } from 'rxjs';
import type { RemovalRoute } from './core/address-removal-route.js';
import type { CrashLoopSnapshot } from './core/crash-loops.js';
import type { ContainerReport, LoggedRejection } from './core/container-reports.js';
import type { HandRunKeepalived } from './core/import-keepalived.js';
import type { RevisionAudit } from './core/revision-audit.js';
import type {
  ActualContainer,
  ClusterNode,
  DesiredContainer,
  ForeignKeepalived,
  FrozenVips,
  LoadedNodeEndpoint,
  LoadedVirtualIP,
  ManifestProblem,
} from './core/types.js';

/** A manifest file as read: `path` is how problems name it (e.g. `web.yaml@3f2c1a9e0b7d`). */
export interface ManifestFile {
  path: string;
  text: string;
}

/**
 * What a manifest source held at one revision: immutable, and equal revisions hold equal files.
 * Parsing and validation depend on nothing else, so they run once per revision.
 */
export interface ManifestSnapshot {
  /** The commit id (git), or a content hash of the files' names and texts (a directory). */
  readonly revision: string;
  /** Every manifest file, in name order. */
  readonly files: readonly ManifestFile[];
  /** Files or subdirectories that could not be read (they may hold VIPs: none is pruned). */
  readonly unreadable: readonly ManifestProblem[];
}

/**
 * One manifest revision, parsed and checked by the rules that need no node
 * (`src/manifest/parse-manifests.ts`).
 */
export interface ManifestSet {
  revision: string;
  /** Every document that passed its schema (valid across manifests or not): what the rules see. */
  documents: { virtualIPs: readonly LoadedVirtualIP[]; endpoints: readonly LoadedNodeEndpoint[] };
  /** Usable so far; each carries its origin (file, line) to the end. */
  virtualIPs: LoadedVirtualIP[];
  endpoints: LoadedNodeEndpoint[];
  /** Every problem, in file order. A VIP with a problem is left out of `virtualIPs` and frozen. */
  problems: ManifestProblem[];
  frozen: FrozenVips;
  /** Files read, as problems name them. */
  files: string[];
}

declare const validated: unique symbol;

/**
 * The trusted value a pass works from: one manifest revision validated against one node set
 * (`validateAgainstNodes`). Only that function makes one; the core never checks it again.
 */
export type ValidatedManifests = ManifestSet & {
  readonly [validated]: true;
  /** Revision of the node set the manifests were checked against. */
  nodesRevision: string;
};

/** A place manifests come from: a watched directory, a git repository. */
export interface ManifestSource {
  /** Reads the source as it is now. */
  snapshot(): Promise<ManifestSnapshot>;
  /** Emits (debounced) whenever a new revision may be there to read. */
  changes(): Observable<void>;
  /** How the source's own upkeep goes (a git remote's fetches); absent for a plain directory. */
  status?(): ManifestSourceStatus;
}

/** Where the revision audit outlives the process (so `reconciler status` can name the applied revision). */
export interface RevisionRecord {
  /** The recorded audit; undefined when there is none (or it is unreadable). */
  read(): Promise<RevisionAudit | undefined>;
  write(audit: RevisionAudit): Promise<void>;
}

/** Where the daemon's crash loops outlive it, for `reconciler status` (see core/crash-loops.ts). */
export interface CrashLoopRecord {
  /** The recorded snapshot; undefined when there is none (or it is unreadable). */
  read(): Promise<CrashLoopSnapshot | undefined>;
  write(snapshot: CrashLoopSnapshot): Promise<void>;
}

/** A remote source's upkeep, for `/status` and `status`: what it follows and its latest failure. */
export interface ManifestSourceStatus {
  /** What is followed, credentials hidden: `git://127.0.0.1:9418/ops.git main (path cluster)`. */
  source: string;
  /** The revision checked out now, if any. */
  revision?: string;
  /** When the remote was last fetched successfully (epoch ms). */
  lastSyncAtMs?: number;
  /** The latest fetch or checkout, when it failed: git's own message, printable and capped. */
  error?: { code: string; message: string; atMs: number };
}

/** VRRP view of one managed container, read from inside it. */
export interface VrrpProbe {
  /** keepalived's own word (from its notify hook), when it has spoken. */
  state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'UNKNOWN';
  /** VIP addresses (without prefix) present on the node's interfaces right now. */
  heldAddresses: string[];
}

/** What an address removal did. */
export interface AddressRemoval {
  /** `cidr interface` of each address removed. */
  removed: string[];
  /** True when keepalived had become MASTER meanwhile, so nothing was touched. */
  skippedMaster: boolean;
}

/** A change on a node that may need a pass. Carries no decision: passes are level-triggered. */
export interface NodeEvent {
  node: string;
  /** Docker's action: start, die, destroy, health_status, ... or `reconnected` after a gap. */
  action: string;
  container?: string;
  /** The container's ID (container events). */
  containerId?: string;
  /** A `die` event's exit code. */
  exitCode?: number;
}

export interface CreateOptions {
  awaitVrrp?: boolean;
  /**
   * Then wait (at most this long) until the new keepalived is MASTER: it outranks the holder that
   * a later step takes away, and preempting it first leaves no moment without the address.
   */
  takeOverWithinMs?: number;
}

/** What a priority reload did. */
export interface PriorityReload {
  /** False when the running config had that priority already (nothing was signalled). */
  reloaded: boolean;
  /** With `awaitMasterWithinMs`: whether keepalived reported MASTER within it. */
  master?: boolean;
}

/** One node's Docker engine, seen through swarm-vip's eyes. */
export interface NodeRuntime {
  readonly node: string;
  /**
   * The node's keepalived containers, in one listing: `managed` carry `swarm-vip.managed=true`
   * (running or not); `foreign` are keepalived containers without it, with the addresses they
   * declare — never changed unless adopted.
   */
  listContainers(): Promise<{ managed: ActualContainer[]; foreign: ForeignKeepalived[] }>;
  /**
   * Create the container, put its files in, start it, wait until it runs; with `awaitVrrp`
   * (default true) also until its keepalived takes part in VRRP, which a rollout needs before it
   * takes another keepalived of the VIP away.
   */
  create(desired: DesiredContainer, options?: CreateOptions): Promise<void>;
  start(containerId: string): Promise<void>;
  /**
   * Sets the VRRP priority of the running keepalived in managed container `name` and reloads it
   * (for a hand-over, see core/priority-boost.ts), unless it runs that priority already; with
   * `awaitMasterWithinMs`, then waits (at most that long) until it reports MASTER. The manifest's
   * priority comes back with any restart of the container.
   */
  reloadWithPriority(
    name: string,
    priority: number,
    options?: { awaitMasterWithinMs?: number },
  ): Promise<PriorityReload>;
  /** Stop gracefully (SIGTERM, so keepalived releases the VIP), then remove. */
  remove(containerId: string): Promise<void>;
  probe(containerId: string, addresses: readonly string[]): Promise<VrrpProbe>;
  /**
   * What a managed container reports (VRRP transitions with the node's addresses, address
   * changes), followed through its log from its latest start; completes when it stops.
   */
  reports(containerId: string): Observable<ContainerReport>;
  /** The container's last log lines, printable, joined with ` | ` (for reasons shown to people). */
  recentLogs(containerId: string): Promise<string>;
  /**
   * The latest VRRP advert the container's keepalived dropped within the last `withinMs`, read
   * from its log once (bounded), for the one-shot commands; the daemon follows the log instead.
   * `atMs` is when it was logged, on the engine's clock.
   */
  recentRejection(containerId: string, withinMs: number): Promise<LoggedRejection | undefined>;
  /**
   * Removes addresses from the node's interfaces by `route` (core/address-removal-route.ts): inside
   * the VIP's own running container (which refuses when its keepalived is MASTER by then), inside
   * another VIP's running keepalived container on the node, or in a short-lived helper container
   * of the image with the node's network.
   */
  removeAddresses(addresses: readonly string[], route: RemovalRoute): Promise<AddressRemoval>;
  /**
   * VIP-relevant facts of a node that runs no managed keepalived to report them: the addresses on
   * its interfaces (canonical, without prefix), read once in a short-lived helper container of
   * `image` with the node's network.
   */
  readAddresses(image: string): Promise<string[]>;
  /** Managed containers' events; reconnects with capped backoff, emitting `reconnected` after each gap. */
  events(): Observable<NodeEvent>;
  /** Hand-run keepalived containers with their KEEPALIVED_* settings, for `reconciler import`. */
  handRunKeepalived?(): Promise<HandRunKeepalived[]>;
}

/** Where the nodes come from: NodeEndpoint manifests, or a swarm manager. */
export interface NodeDirectory {
  /**
   * The known nodes and a runtime for each, from the usable NodeEndpoint manifests and (with a
   * swarm) the manager's node list, which is read once and kept until `refresh()`.
   */
  nodes(
    manifests: Pick<ManifestSet, 'endpoints'>,
  ): Promise<{ nodes: ClusterNode[]; runtimes: Map<string, NodeRuntime> }>;
  /** Forget what was read from the swarm: the next `nodes()` reads it afresh (node events, resync). */
  refresh?(): void;
  /** Emits when the set of nodes may have changed (swarm node events); absent when only manifests say. */
  changes?(): Observable<void>;
}

/** One try at a single-actor gate; `holder` says who has it when we do not. */
export type GateAttempt = { acquired: true } | { acquired: false; holder: string | undefined };

/**
 * One condition for acting alone: a lock on this host, a lease in the swarm. A reconciler acts
 * only while it holds every gate; otherwise it waits as a standby.
 */
export interface ActorGate {
  /** For logs: `host lock`, `swarm lease`. */
  readonly name: string;
  tryAcquire(): Promise<GateAttempt>;
  /** Keeps the right to act; false once it is lost (the holder must then stop acting). */
  renew(): Promise<boolean>;
  /** Whether acting right now is safe; false as soon as the right may have lapsed (the fence). */
  mayAct(): boolean;
  /** Gives the gate up, so a standby can take over at once. */
  release(): Promise<void>;
}
