/**
 * Domain types shared by the pure core, the adapters and the loop.
 * Manifest shapes come from schemas/ (see ./generated/manifest-types.ts); everything here is
 * what the reconciler derives from them and observes in the cluster.
 */
import type { NodeEndpoint, VirtualIP } from './generated/manifest-types.js';

export type * from './generated/manifest-types.js';

/** Container labels that mark what swarm-vip owns. Containers without `managed=true` are never touched. */
export const LABEL_MANAGED = 'swarm-vip.managed';
export const LABEL_VIP = 'swarm-vip.vip';
export const LABEL_SPEC_HASH = 'swarm-vip.spec-hash';

export const DEFAULT_IMAGE = 'osixia/keepalived:2.0.20';

/** Where a manifest came from, and where each of its values sits, for `file:line:col` errors. */
export interface ManifestOrigin {
  file: string;
  /** Index of the YAML document inside a multi-document file (0 for single documents). */
  documentIndex: number;
  /**
   * Line and column (1-based) of every value and key in the document, by JSON pointer
   * (`/spec/addresses/0`). Keys are stored under the pointer with a `#key` suffix.
   */
  positions: ReadonlyMap<string, SourcePosition>;
}

export interface SourcePosition {
  line: number;
  col: number;
}

/** A manifest document that passed its schema, with its origin. */
export interface Loaded<T> {
  manifest: T;
  origin: ManifestOrigin;
}

export type LoadedVirtualIP = Loaded<VirtualIP>;
export type LoadedNodeEndpoint = Loaded<NodeEndpoint>;

/** One problem found in the manifests, located precisely enough to fix it. */
export interface ManifestProblem {
  /** Machine-readable kind of problem, e.g. `yaml-syntax`, `schema`, `duplicate-name`. */
  code: string;
  file: string;
  line: number;
  col: number;
  /** JSON pointer of the offending value within its document ('' for the whole document). */
  path: string;
  /** What is wrong and what would be right. */
  message: string;
  /** The VirtualIP the problem keeps from being applied (frozen), when it is one VIP's. */
  vip?: string;
}

/**
 * VIPs whose containers a pass must leave exactly as they are: suspended ones and those of
 * manifests that failed to load. `unknownNames` is true when a file was so broken that the
 * names it declared cannot be known; then no container of a VIP missing from the manifests is
 * pruned either, because it may belong to that file.
 */
export interface FrozenVips {
  names: ReadonlySet<string>;
  unknownNames: boolean;
}

/** A swarm node as the reconciler knows it (from NodeEndpoint manifests or swarm discovery). */
export interface ClusterNode {
  /** Hostname: what `nodes[].name` and container placement refer to. */
  name: string;
  /** Swarm node ID, when known; `nodes[].name` may name it instead of the hostname. */
  id?: string;
  role: 'manager' | 'worker' | 'unknown';
  labels: Readonly<Record<string, string>>;
  /** VRRP unicast addresses of the node (at most one per family). */
  addresses: readonly string[];
  /**
   * Swarm availability drain or pause: the node is known (and observed, so the reconciler can
   * take its keepalived away) but no VIP targets it.
   */
  drained?: boolean;
}

/** A file the container needs before keepalived starts, delivered into the container (never a bind mount). */
export interface ContainerFile {
  /** Absolute path inside the container. */
  path: string;
  content: string;
  /** Octal file mode, e.g. 0o600 for the config (it may hold the VRRP password). */
  mode: number;
}

/** Exactly what one node should run for one VirtualIP. */
export interface DesiredContainer {
  vip: string;
  node: string;
  /** Deterministic container name: `keepalived-<vip>`. */
  name: string;
  image: string;
  /** Includes LABEL_MANAGED, LABEL_VIP and LABEL_SPEC_HASH. */
  labels: Readonly<Record<string, string>>;
  /** argv run instead of the image's entry point. */
  command: readonly string[];
  files: readonly ContainerFile[];
  /**
   * How the files reach the container: `environment` in the create request (the command writes
   * them; nothing secret, since `docker inspect` shows it), or `archive` put into the created
   * container before it starts (a config holding the VRRP password). One request less for the
   * first: a create then costs what the engine's own create + start does.
   */
  fileDelivery: 'environment' | 'archive';
  specHash: string;
  /** VRRP priority of this node, for rollout order and display. */
  priority: number;
  /** The VIP's addresses, without prefix, for holder lookups. */
  addresses: readonly string[];
  /**
   * With preemption on: how long a started keepalived that outranks the holder takes to preempt
   * it at the latest (VRRP master-down interval, 3 x advert interval + skew), plus a margin.
   */
  preemptWithinMs?: number;
}

export interface DesiredState {
  containers: readonly DesiredContainer[];
  frozen: FrozenVips;
  /**
   * Addresses (canonical, without prefix) of suspended VIPs, which have no desired containers:
   * the status still shows who holds them.
   */
  suspendedAddresses?: ReadonlyMap<string, readonly string[]>;
}

/** A managed container as observed on a node. */
export interface ActualContainer {
  id: string;
  name: string;
  node: string;
  /** Value of LABEL_VIP. */
  vip: string;
  /** Value of LABEL_SPEC_HASH. */
  specHash: string;
  running: boolean;
  /** When it was created, on its engine's clock, to the second (rounded down); unknown: undefined. */
  createdAtMs?: number;
  /**
   * Its engine is removing it (`docker rm -f`): it is going, and its name is free again only once
   * it is gone, so the plan creates its successor at once (the create waits for the name).
   */
  removing?: boolean;
  /**
   * Why this container must be replaced although its spec is current (stuck in FAULT, restarting
   * in a loop), with its last log lines; set by the loop, whose backoff decides when.
   */
  sick?: string;
  /**
   * Set by the loop while this container's node waits out its crash-loop backoff (it was replaced
   * for being sick and is failing again): no start and no replace until then, so a broken image
   * cannot thrash the node. A new spec hash is still rolled out at once. Says until when and why.
   */
  crashLoopBackoff?: string;
  /**
   * The VRRP priority its running keepalived was last reloaded with since the container started
   * (a hand-over's raise or restore, see priority-boost.ts), as its log says; set by the loop.
   * When it is not the manifest's priority, a hand-over did not finish (the reconciler stopped
   * between the raise and the restore): the plan restores it.
   */
  reloadedPriority?: number;
}

/**
 * A keepalived container swarm-vip does not manage (no managed label), e.g. one started by hand
 * with the classic `docker run ... osixia/keepalived` recipe. It is reported when it claims a
 * declared VIP's address, and replaced only with `--adopt`.
 */
export interface ForeignKeepalived {
  id: string;
  name: string;
  node: string;
  image: string;
  running: boolean;
  /** Addresses it declares (KEEPALIVED_VIRTUAL_IPS), canonical, without prefix; empty when it does not say. */
  addresses: readonly string[];
}

/** What one node looked like when the pass read it. */
export type NodeObservation =
  | {
      node: string;
      reachable: true;
      containers: readonly ActualContainer[];
      /** Unmanaged keepalived containers on the node; absent when none were looked for. */
      foreign?: readonly ForeignKeepalived[];
    }
  | { node: string; reachable: false; error: string };

export interface ActualState {
  nodes: readonly NodeObservation[];
  /** For each VIP name, the node that holds its address right now, when known. */
  holders: Readonly<Record<string, string | undefined>>;
}

interface ActionBase {
  node: string;
  vip: string;
  /** Container name. */
  container: string;
  /** Why, in words an operator understands ("spec hash abc → def"). */
  reason: string;
}

/** One step of a plan. Steps of one VIP run in order; VIPs run in parallel. */
export type Action =
  | (ActionBase & { kind: 'create'; desired: DesiredContainer; takeOver?: TakeOver })
  | (ActionBase & { kind: 'replace'; existingId: string; desired: DesiredContainer; takeOver?: TakeOver })
  | (ActionBase & { kind: 'start'; existingId: string })
  | (ActionBase & { kind: 'remove'; existingId: string })
  | (ActionBase & { kind: 'raise-priority'; boost: PriorityBoost })
  | (ActionBase & { kind: 'restore-priority'; priority: number });

export type ActionKind = Action['kind'];

/**
 * The new keepalived outranks the VIP's current holder, which a later step takes away: wait
 * (at most `withinMs`) until it has preempted the holder, so the address moves with no moment
 * unheld instead of waiting out a backup's skew time after the holder's priority-0 advert.
 */
export interface TakeOver {
  holder: string;
  withinMs: number;
}

/**
 * A temporary priority for the running keepalived of a managed container (named by the action,
 * since it may be created earlier in the same rollout), so that it preempts a holder nobody
 * outranks before that holder is taken away: the address then moves with no moment unheld. Only
 * the running config changes (reloaded); every container start writes the manifest's priority
 * again, and a `restore-priority` step at the end of the rollout reloads it back.
 */
export interface PriorityBoost {
  /** The raised priority. */
  priority: number;
  /** The node that holds the address now and is taken away later in the rollout. */
  holder: string;
  /** How long to wait, at most, for the raised keepalived to become MASTER (it preempts). */
  withinMs: number;
}
