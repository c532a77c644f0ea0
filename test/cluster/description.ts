/**
 * cluster.json: what `up` built, for tests and tools. Written by `up`, removed by `down`.
 * Read it with {@link readCluster}; the e2e global setup also hands it to tests via `inject('cluster')`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { ClusterError } from './errors.js';
import { descriptionPath, optionsFromEnv } from './options.js';

/** Tag of the keepalived test image that `up` imports on every node (no registry involved). */
export const KEEPALIVED_TEST_IMAGE = 'swarm-vip/keepalived-test:latest';

export const DESCRIPTION_VERSION = 1;

export interface ClusterNodeDescription {
  /** Hostname and swarm node name, `<prefix>node<index>` (tbnode1), also the namespace `netns`. */
  name: string;
  /** 1-based position; the node's host number in both subnets. */
  index: number;
  swarmNodeId: string;
  role: 'manager' | 'worker';
  /** Network namespace (/run/netns/<netns>). */
  netns: string;
  /** The engine's unix socket: usable from anywhere on this machine. */
  socketPath: string;
  /** `unix://<socketPath>`, also the node's `swarm-vip.endpoint` label. */
  dockerUrl: string;
  /** `tcp://<ipv4>:2375`, plain HTTP; reachable only from inside the test namespaces. */
  tcpUrl: string;
  /** The node's interface towards the hub. */
  interface: string;
  ipv4: string;
  ipv6: string;
  /** dockerd's pid when `up` described the cluster. */
  dockerdPid: number;
  /** Inode of the node's network namespace, to recognise its processes after the namespace is gone. */
  netnsInode: number;
}

export interface ClusterDescription {
  version: typeof DESCRIPTION_VERSION;
  prefix: string;
  stateDir: string;
  /** Third octet of 198.18.x.0/24. */
  subnet: number;
  /** Image tag present on every node. */
  image: string;
  hub: { netns: string; bridge: string; ipv4: string; ipv6: string; netnsInode: number };
  /** 198.18.x.0/24 */
  ipv4Subnet: string;
  /** fd00:5eed:…::/64 */
  ipv6Subnet: string;
  ipv4PrefixLength: number;
  ipv6PrefixLength: number;
  /** Addresses in the node subnets that no node or hub uses: take VIPs from here. */
  spareIpv4: string[];
  spareIpv6: string[];
  managers: number;
  nodes: ClusterNodeDescription[];
  createdAt: string;
}

/**
 * Reads and checks cluster.json. Without a path it reads `<stateDir>/cluster.json`, the state dir
 * coming from SWARM_VIP_TB_STATE_DIR or the default `<repo>/.cluster`.
 * Throws {@link ClusterError} `not-up` when there is none, `bad-description` when it is malformed.
 */
export async function readCluster(
  file: string = descriptionPath(optionsFromEnv()),
): Promise<ClusterDescription> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ClusterError(
      'not-up',
      `no test cluster described at ${file}; run \`npm run cluster:up\` (as root)`,
      {
        cause: error,
      },
    );
  }
  return parseDescription(text, file);
}

/** Parses cluster.json text; exported for tools that got the text elsewhere. */
export function parseDescription(text: string, source = 'cluster.json'): ClusterDescription {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClusterError('bad-description', `${source} is not JSON`, { cause: error });
  }
  const description = value as Partial<ClusterDescription> | null;
  const problems: string[] = [];
  if (typeof description !== 'object' || description === null) problems.push('not an object');
  else {
    if (description.version !== DESCRIPTION_VERSION) problems.push(`version is not ${DESCRIPTION_VERSION}`);
    if (!Array.isArray(description.nodes) || description.nodes.length === 0) problems.push('no nodes');
    if (typeof description.image !== 'string') problems.push('no image');
    for (const node of description.nodes ?? []) {
      for (const key of ['name', 'swarmNodeId', 'socketPath', 'netns', 'ipv4', 'ipv6'] as const) {
        if (typeof node[key] !== 'string' || node[key] === '') problems.push(`node without ${key}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new ClusterError('bad-description', `${source} is malformed: ${[...new Set(problems)].join(', ')}`);
  }
  return description as ClusterDescription;
}

/** Writes cluster.json atomically, so a reader never sees half of it. */
export async function writeCluster(file: string, description: ClusterDescription): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, `${JSON.stringify(description, null, 2)}\n`);
  await rename(temporary, file);
}

/** The node called `name` (hostname), or a `bad-option` error listing the known ones. */
export function nodeByName(cluster: ClusterDescription, name: string): ClusterNodeDescription {
  const node = cluster.nodes.find((candidate) => candidate.name === name);
  if (!node) {
    const known = cluster.nodes.map((candidate) => candidate.name).join(', ');
    throw new ClusterError('bad-option', `no node ${name} in the test cluster (${known})`);
  }
  return node;
}

/** A tuple of `N` strings: `Strings<3>` is `[string, string, string]`. */
type Strings<N extends number, Acc extends string[] = []> = Acc['length'] extends N
  ? Acc
  : Strings<N, [...Acc, string]>;

/**
 * Names (hostname, swarm node name) of nodes 1..`count` (by `index`), in order. Tests take node
 * names from here instead of spelling them, so they run on a cluster of any prefix. The names
 * match `^[a-z][a-z0-9]*node[0-9]+$`: safe inside a RegExp or YAML without quoting. Throws
 * {@link ClusterError} `bad-option` when the cluster has fewer nodes than the test needs.
 */
export function nodeNames<N extends number>(cluster: ClusterDescription, count: N): Strings<N> {
  const names = Array.from(
    { length: count },
    (_, i) => cluster.nodes.find((node) => node.index === i + 1)?.name,
  );
  if (names.some((name) => name === undefined)) {
    throw new ClusterError(
      'bad-option',
      `the test needs ${count} nodes, the test cluster has ${cluster.nodes.length}`,
    );
  }
  return names as Strings<N>;
}

/** The first manager: where `listNodes` and other swarm calls work. */
export function managerOf(cluster: ClusterDescription): ClusterNodeDescription {
  const manager = cluster.nodes.find((node) => node.role === 'manager');
  if (!manager) throw new ClusterError('bad-description', 'the test cluster has no manager');
  return manager;
}
