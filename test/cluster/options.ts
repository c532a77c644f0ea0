/**
 * Options of one test cluster and every name and address derived from them. Two clusters with
 * different `prefix`, `stateDir` and `subnet` can coexist on one machine.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClusterError } from './errors.js';

export interface ClusterOptions {
  /** Prefix of every namespace, hostname and cgroup the cluster creates (`tb` → tbhub, tbnode1...). */
  prefix: string;
  /** Absolute directory holding sockets, daemon configs, data roots, ownership markers and cluster.json. */
  stateDir: string;
  /** Third octet of the node subnet 198.18.<subnet>.0/24 (and fd00:5eed:0:<subnet hex>::/64). */
  subnet: number;
  /** Number of nodes (swarm members). */
  nodes: number;
  /** How many of the nodes (the first ones) are swarm managers. */
  managers: number;
}

/** Swarm-wide pool for overlay networks; each node's local pools sit below it, inside 198.19.0.0/16. */
export const SWARM_ADDRESS_POOL = '198.19.240.0/20';
/** Node i takes local pool 198.19.(16·(i−1)).0/20, so at most 15 nodes fit below the swarm pool. */
export const MAX_NODES = 15;
/** The longest path a unix socket may have (sun_path is 108 bytes with the terminating NUL). */
const MAX_SOCKET_PATH = 107;

/** The repository root, found from this file's location (test/cluster/ → ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const DEFAULT_OPTIONS: ClusterOptions = {
  prefix: 'tb',
  stateDir: path.join(REPO_ROOT, '.cluster'),
  subnet: 0,
  nodes: 3,
  managers: 1,
};

/** Environment variables read by {@link optionsFromEnv} (the shell entry and the e2e global setup). */
export const ENV = {
  prefix: 'SWARM_VIP_TB_PREFIX',
  stateDir: 'SWARM_VIP_TB_STATE_DIR',
  subnet: 'SWARM_VIP_TB_SUBNET',
  nodes: 'SWARM_VIP_TB_NODES',
  managers: 'SWARM_VIP_TB_MANAGERS',
} as const;

function intFrom(value: string | undefined, what: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value))
    throw new ClusterError('bad-option', `${what} must be a whole number, got "${value}"`);
  return Number(value);
}

/** Options from the environment, then `overrides`, then defaults; validated. */
export function optionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<ClusterOptions> = {},
): ClusterOptions {
  const fromEnv: Partial<ClusterOptions> = {
    prefix: env[ENV.prefix] || undefined,
    stateDir: env[ENV.stateDir] || undefined,
    subnet: intFrom(env[ENV.subnet], ENV.subnet),
    nodes: intFrom(env[ENV.nodes], ENV.nodes),
    managers: intFrom(env[ENV.managers], ENV.managers),
  };
  return resolveOptions({ ...dropUndefined(fromEnv), ...dropUndefined(overrides) });
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Fills defaults and rejects options that would clash with the network rules or kernel limits. */
export function resolveOptions(partial: Partial<ClusterOptions> = {}): ClusterOptions {
  const options = { ...DEFAULT_OPTIONS, ...dropUndefined(partial) };
  options.stateDir = path.resolve(options.stateDir);
  // Short and plain, because it ends up in namespace, hostname and cgroup names.
  if (!/^[a-z][a-z0-9]{0,5}$/.test(options.prefix)) {
    throw new ClusterError('bad-option', `prefix must match ^[a-z][a-z0-9]{0,5}$, got "${options.prefix}"`);
  }
  if (!Number.isInteger(options.subnet) || options.subnet < 0 || options.subnet > 255) {
    throw new ClusterError(
      'bad-option',
      `subnet (third octet of 198.18.x.0/24) must be 0..255, got ${options.subnet}`,
    );
  }
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_NODES) {
    throw new ClusterError('bad-option', `nodes must be 1..${MAX_NODES}, got ${options.nodes}`);
  }
  if (!Number.isInteger(options.managers) || options.managers < 1 || options.managers > options.nodes) {
    throw new ClusterError('bad-option', `managers must be 1..${options.nodes}, got ${options.managers}`);
  }
  const longest = socketPath(options, nodeName(options, options.nodes));
  if (longest.length > MAX_SOCKET_PATH) {
    throw new ClusterError(
      'bad-option',
      `state dir too long for a unix socket path (${longest.length} > ${MAX_SOCKET_PATH} bytes): ${longest}; ` +
        `set ${ENV.stateDir} to a shorter directory, e.g. /run/swarm-vip-testbed`,
    );
  }
  return options;
}

/**
 * Name of node `index` (1-based) under the cluster's prefix: tbnode1, d1node1. One name for its
 * network namespace, cgroup, state directory, hostname and swarm node, so a `{hostname}` endpoint
 * template finds the node's socket directory; tests take it from cluster.json, never spell it.
 */
export function nodeName(options: Pick<ClusterOptions, 'prefix'>, index: number): string {
  return `${options.prefix}node${index}`;
}

/** Namespace holding the bridge that links the nodes: tbhub. */
export function hubName(options: Pick<ClusterOptions, 'prefix'>): string {
  return `${options.prefix}hub`;
}

export function nodeDir(options: Pick<ClusterOptions, 'stateDir'>, name: string): string {
  return path.join(options.stateDir, name);
}

export function socketPath(options: Pick<ClusterOptions, 'stateDir'>, name: string): string {
  return path.join(nodeDir(options, name), 'docker.sock');
}

export function descriptionPath(options: Pick<ClusterOptions, 'stateDir'>): string {
  return path.join(options.stateDir, 'cluster.json');
}

/** 198.18.<subnet>.<host> */
export function ipv4(options: Pick<ClusterOptions, 'subnet'>, host: number): string {
  return `198.18.${options.subnet}.${host}`;
}

/** fd00:5eed:0:<subnet hex>::<host hex>, i.e. fd00:5eed::1 for subnet 0, host 1. */
export function ipv6(options: Pick<ClusterOptions, 'subnet'>, host: number): string {
  const net = options.subnet === 0 ? 'fd00:5eed:' : `fd00:5eed:0:${options.subnet.toString(16)}:`;
  return `${net}:${host.toString(16)}`;
}

export const HUB_HOST = 254;
export const IPV4_PREFIX_LENGTH = 24;
export const IPV6_PREFIX_LENGTH = 64;
/** Interface name of every node's link to the hub. */
export const NODE_INTERFACE = 'eth0';
export const HUB_BRIDGE = 'br0';
/** First host number handed out as a spare (VIP) address: 198.18.x.100 and up. */
export const FIRST_SPARE_HOST = 100;
export const SPARE_COUNT = 24;

/** Local address pool of node `index`, distinct per node, inside 198.19.0.0/16 and below the swarm pool. */
export function nodeAddressPool(index: number): { base: string; size: number } {
  return { base: `198.19.${(index - 1) * 16}.0/20`, size: 24 };
}
