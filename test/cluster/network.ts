/**
 * Network namespaces of the cluster: a hub with a bridge, one namespace per node linked to it by a
 * veth pair created directly inside the namespaces (so a half-finished run leaves nothing in the
 * root namespace). Namespaces are ours only if an ownership marker under the state dir says so;
 * the marker is written before the namespace exists, so a crash never orphans one.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, runInNetns } from './exec.js';
import {
  HUB_BRIDGE,
  HUB_HOST,
  IPV4_PREFIX_LENGTH,
  IPV6_PREFIX_LENGTH,
  NODE_INTERFACE,
  hubName,
  ipv4,
  ipv6,
  nodeName,
  type ClusterOptions,
} from './options.js';

/** The only ranges the cluster uses; routed to nowhere in the root namespace so nothing leaks out. */
export const TEST_RANGE_V4 = '198.18.0.0/15';
export const TEST_RANGE_V6 = 'fd00:5eed::/48';

export async function addUnreachableRoutes(): Promise<void> {
  await run('ip', ['route', 'replace', 'unreachable', TEST_RANGE_V4]);
  await run('ip', ['-6', 'route', 'replace', 'unreachable', TEST_RANGE_V6]);
}

function markerDir(stateDir: string): string {
  return path.join(stateDir, 'owned');
}

/** Names of the namespaces this state dir created (and has not deleted yet). */
export async function ownedNamespaces(stateDir: string): Promise<string[]> {
  try {
    return (await readdir(markerDir(stateDir))).sort();
  } catch {
    return [];
  }
}

async function markOwned(stateDir: string, name: string): Promise<void> {
  await mkdir(markerDir(stateDir), { recursive: true });
  await writeFile(path.join(markerDir(stateDir), name), '');
}

export async function unmarkOwned(stateDir: string, name: string): Promise<void> {
  await rm(path.join(markerDir(stateDir), name), { force: true });
}

/** Every network namespace on the machine (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

async function addNamespace(stateDir: string, name: string): Promise<void> {
  await markOwned(stateDir, name);
  await run('ip', ['netns', 'add', name]);
}

export async function createHub(options: ClusterOptions): Promise<void> {
  const hub = hubName(options);
  await addNamespace(options.stateDir, hub);
  await run('ip', ['-n', hub, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', hub, 'link', 'add', HUB_BRIDGE, 'type', 'bridge']);
  await run('ip', [
    '-n',
    hub,
    'addr',
    'add',
    `${ipv4(options, HUB_HOST)}/${IPV4_PREFIX_LENGTH}`,
    'dev',
    HUB_BRIDGE,
  ]);
  await run('ip', [
    '-n',
    hub,
    'addr',
    'add',
    `${ipv6(options, HUB_HOST)}/${IPV6_PREFIX_LENGTH}`,
    'dev',
    HUB_BRIDGE,
    'nodad',
  ]);
  await run('ip', ['-n', hub, 'link', 'set', HUB_BRIDGE, 'up']);
}

export async function createNode(options: ClusterOptions, index: number): Promise<void> {
  const node = nodeName(options, index);
  const hub = hubName(options);
  const veth = `veth${index}`;
  await addNamespace(options.stateDir, node);
  await run('ip', [
    'link',
    'add',
    NODE_INTERFACE,
    'netns',
    node,
    'type',
    'veth',
    'peer',
    'name',
    veth,
    'netns',
    hub,
  ]);
  await run('ip', ['-n', hub, 'link', 'set', veth, 'master', HUB_BRIDGE, 'up']);
  // Without keep_addr_on_down a link cut flushes the IPv6 address, and after the link returns two
  // nodes stay MASTER for good.
  await runInNetns(node, 'sh', [
    '-c',
    `echo 1 > /proc/sys/net/ipv6/conf/${NODE_INTERFACE}/keep_addr_on_down`,
  ]);
  await run('ip', ['-n', node, 'link', 'set', 'lo', 'up']);
  await run('ip', [
    '-n',
    node,
    'addr',
    'add',
    `${ipv4(options, index)}/${IPV4_PREFIX_LENGTH}`,
    'dev',
    NODE_INTERFACE,
  ]);
  await run('ip', [
    '-n',
    node,
    'addr',
    'add',
    `${ipv6(options, index)}/${IPV6_PREFIX_LENGTH}`,
    'dev',
    NODE_INTERFACE,
    'nodad',
  ]);
  await run('ip', ['-n', node, 'link', 'set', NODE_INTERFACE, 'up']);
  await addDefaultRoute(options, node);
}

/** The node's IPv4 default route via the hub; the kernel drops it whenever the link goes down. */
export async function addDefaultRoute(options: Pick<ClusterOptions, 'subnet'>, netns: string): Promise<void> {
  await run('ip', [
    '-n',
    netns,
    'route',
    'replace',
    'default',
    'via',
    ipv4(options, HUB_HOST),
    'dev',
    NODE_INTERFACE,
  ]);
}

/** Deletes the namespace (if present) and its marker. Processes still inside keep it alive: end them first. */
export async function deleteNamespace(stateDir: string, name: string): Promise<void> {
  if ((await listNamespaces()).includes(name)) await run('ip', ['netns', 'delete', name]);
  await unmarkOwned(stateDir, name);
}
