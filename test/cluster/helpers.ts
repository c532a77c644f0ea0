/**
 * Helpers for tests that drive the test cluster. Every call is bounded in time; nothing here sends
 * traffic outside the cluster's namespaces.
 */
import type Docker from 'dockerode';
import { writeCluster, type ClusterDescription, type ClusterNodeDescription } from './description.js';
import { dockerAt } from './docker-client.js';
import { launchDockerd, stopDockerd, waitForDockerd } from './dockerd.js';
import { ClusterError } from './errors.js';
import { runInNetns, type RunOptions, type RunResult } from './exec.js';
import { addDefaultRoute } from './network.js';
import { descriptionPath, resolveOptions, type ClusterOptions } from './options.js';

export { waitFor, type WaitForOptions } from './wait-for.js';

/** The options a described cluster was built with. */
export function optionsOf(cluster: ClusterDescription): ClusterOptions {
  return resolveOptions({
    prefix: cluster.prefix,
    stateDir: cluster.stateDir,
    subnet: cluster.subnet,
    nodes: cluster.nodes.length,
    managers: cluster.managers,
  });
}

/** A dockerode client for the node's engine, over its unix socket; DOCKER_HOST has no say. */
export function dockerOf(node: ClusterNodeDescription, options: { timeoutMs?: number } = {}): Docker {
  return dockerAt(node.socketPath, options);
}

/** Runs `command args` in the node's network namespace (nsenter --net). Default bound: 30 s. */
export function inNode(
  node: ClusterNodeDescription,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return runInNetns(node.netns, command, args, options);
}

/** Addresses (without prefix length) on the node's interfaces right now, from `ip -o addr`. */
export async function addressesOf(node: ClusterNodeDescription): Promise<string[]> {
  const { stdout } = await inNode(node, 'ip', ['-o', 'addr', 'show'], { timeoutMs: 5_000 });
  const addresses: string[] = [];
  for (const line of stdout.split('\n')) {
    // "2: eth0    inet 198.18.0.100/24 scope global secondary eth0 ..."
    const match = /\binet6?\s+([0-9a-f.:]+)\//i.exec(line);
    if (match?.[1]) addresses.push(match[1]);
  }
  return addresses;
}

/** Names of the nodes whose interfaces carry `address` right now (read from the interfaces, not keepalived). */
export async function holdersOf(cluster: ClusterDescription, address: string): Promise<string[]> {
  const wanted = address.split('/')[0]?.toLowerCase() ?? address;
  const held = await Promise.all(
    cluster.nodes.map(async (node) => (await addressesOf(node)).includes(wanted)),
  );
  return cluster.nodes.filter((_, i) => held[i]).map((node) => node.name);
}

/**
 * The one node holding `address`, or undefined when none does. Throws {@link ClusterError}
 * `split-brain` when several do (inside `waitFor` that counts as "not yet").
 */
export async function holderOf(cluster: ClusterDescription, address: string): Promise<string | undefined> {
  const holders = await holdersOf(cluster, address);
  if (holders.length > 1)
    throw new ClusterError('split-brain', `${address} is held by ${holders.join(', ')}`);
  return holders[0];
}

/** Takes the node's link to the hub down, as a pulled cable would. */
export async function cutLink(node: ClusterNodeDescription): Promise<void> {
  await inNode(node, 'ip', ['link', 'set', node.interface, 'down'], { timeoutMs: 5_000 });
}

/** Brings the link back and re-adds the IPv4 default route, which the kernel dropped with the link. */
export async function restoreLink(cluster: ClusterDescription, node: ClusterNodeDescription): Promise<void> {
  await inNode(node, 'ip', ['link', 'set', node.interface, 'up'], { timeoutMs: 5_000 });
  await addDefaultRoute(cluster, node.netns);
}

/**
 * Stops the node's dockerd (SIGTERM; SIGKILL after `graceMs`). Its containers stop with it (no
 * live-restore). Throws if it is still running afterwards.
 */
export async function stopNodeDockerd(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  { graceMs = 20_000 } = {},
): Promise<void> {
  const survivors = await stopDockerd(optionsOf(cluster), node.netns, { graceMs, killMs: 5_000 });
  if (survivors.length > 0)
    throw new ClusterError('dockerd-failed', `dockerd of ${node.name} survived SIGKILL`);
}

/**
 * Starts the node's dockerd again with its config and waits until it answers. Records the new pid
 * in `cluster` and in cluster.json, so a later `up` still sees a healthy cluster.
 */
export async function startNodeDockerd(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  { timeoutMs = 30_000 } = {},
): Promise<void> {
  const options = optionsOf(cluster);
  const pid = await launchDockerd(options, node.index, node.netns);
  await waitForDockerd(options, node.netns, pid, timeoutMs);
  node.dockerdPid = pid;
  const stored = cluster.nodes.find((candidate) => candidate.name === node.name);
  if (stored) stored.dockerdPid = pid;
  await writeCluster(descriptionPath(options), cluster);
}
