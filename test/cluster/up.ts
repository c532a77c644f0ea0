/**
 * Brings a test cluster up: namespaces, one dockerd per node, a real swarm, the keepalived test
 * image on every node, and cluster.json describing it all. Idempotent: a healthy cluster matching
 * the options is returned as it is; anything else of ours is torn down first.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  KEEPALIVED_TEST_IMAGE,
  DESCRIPTION_VERSION,
  parseDescription,
  writeCluster,
  type ClusterDescription,
  type ClusterNodeDescription,
} from './description.js';
import { dockerAt } from './docker-client.js';
import { launchDockerd, nodePaths, waitForDockerd, DOCKER_TCP_PORT } from './dockerd.js';
import { down, type Log } from './down.js';
import { ClusterError, messageOf } from './errors.js';
import { buildImageTar, importImage } from './image.js';
import { cgroupDirs } from './leftovers.js';
import { addUnreachableRoutes, createHub, createNode, listNamespaces, ownedNamespaces } from './network.js';
import {
  FIRST_SPARE_HOST,
  HUB_BRIDGE,
  HUB_HOST,
  IPV4_PREFIX_LENGTH,
  IPV6_PREFIX_LENGTH,
  NODE_INTERFACE,
  SPARE_COUNT,
  descriptionPath,
  hubName,
  ipv4,
  ipv6,
  nodeName,
  resolveOptions,
  type ClusterOptions,
} from './options.js';
import { preflight } from './preflight.js';
import { isRunning, namespaceInode } from './processes.js';
import { ENDPOINT_LABEL, formSwarm, swarmNodeId } from './swarm.js';

interface SwarmNodeView {
  ID: string;
  Spec: { Labels?: Record<string, string> };
  Status?: { State?: string };
}

async function timed<T>(log: Log, phase: string, action: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const result = await action();
  log(`${phase}: ${Date.now() - started} ms`);
  return result;
}

/** Why the described cluster is not usable as it is, or undefined when it is healthy. */
export async function unhealthyReason(
  options: ClusterOptions,
  description: ClusterDescription,
): Promise<string | undefined> {
  if (description.prefix !== options.prefix || description.subnet !== options.subnet)
    return 'prefix or subnet differ';
  if (description.nodes.length !== options.nodes)
    return `has ${description.nodes.length} nodes, ${options.nodes} wanted`;
  if (description.managers !== options.managers)
    return `has ${description.managers} managers, ${options.managers} wanted`;
  if (description.spareIpv4.length !== SPARE_COUNT)
    return `has ${description.spareIpv4.length} spare addresses, ${SPARE_COUNT} wanted`;
  for (const node of description.nodes) {
    // Clusters built before node names followed the prefix were called tbnodeN under every prefix.
    if (node.name !== nodeName(options, node.index)) return `node ${node.name} is not named after the prefix`;
    if ((await namespaceInode(`/run/netns/${node.netns}`)) !== node.netnsInode)
      return `namespace ${node.netns} changed`;
    if (!(await isRunning(node.dockerdPid))) return `dockerd of ${node.name} is not running`;
    const docker = dockerAt(node.socketPath, { timeoutMs: 3_000 });
    try {
      if ((await swarmNodeId(docker)) !== node.swarmNodeId) return `${node.name} left the swarm`;
      await docker.getImage(description.image).inspect();
    } catch (error) {
      return `${node.name}: ${messageOf(error)}`;
    }
  }
  const manager = description.nodes.find((node) => node.role === 'manager');
  if (!manager) return 'no manager';
  try {
    const listed = (await dockerAt(manager.socketPath, { timeoutMs: 3_000 }).listNodes()) as SwarmNodeView[];
    const ready = listed.filter(
      (node) => node.Status?.State === 'ready' && node.Spec.Labels?.[ENDPOINT_LABEL],
    );
    if (ready.length !== description.nodes.length) return `${ready.length} ready labelled swarm nodes`;
  } catch (error) {
    return `swarm: ${messageOf(error)}`;
  }
  return undefined;
}

async function existingDescription(options: ClusterOptions): Promise<ClusterDescription | undefined> {
  try {
    return parseDescription(await readFile(descriptionPath(options), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Refuses to go on when a namespace or cgroup we would create exists and is not ours. */
async function checkNamesFree(options: ClusterOptions, names: string[]): Promise<void> {
  const live = await listNamespaces();
  const taken = names.filter((name) => live.includes(name));
  for (const name of names) if ((await cgroupDirs(name)).length > 0) taken.push(`cgroup ${name}`);
  if (taken.length > 0) {
    throw new ClusterError(
      'name-in-use',
      `already in use and not created from ${options.stateDir}: ${taken.join(', ')}. ` +
        'Tear down whatever created them, or choose another prefix (SWARM_VIP_TB_PREFIX) and subnet (SWARM_VIP_TB_SUBNET).',
    );
  }
}

async function build(options: ClusterOptions, log: Log): Promise<ClusterDescription> {
  const names = Array.from({ length: options.nodes }, (_, i) => nodeName(options, i + 1));
  const hub = hubName(options);
  await checkNamesFree(options, [hub, ...names]);
  await mkdir(options.stateDir, { recursive: true });

  await timed(log, 'namespaces', async () => {
    await createHub(options);
    for (let index = 1; index <= options.nodes; index++) await createNode(options, index);
  });
  const [pids, tarFile] = await timed(log, 'dockerds and image', () =>
    Promise.all([
      Promise.all(
        names.map(async (name, i) => {
          const pid = await launchDockerd(options, i + 1, name);
          await waitForDockerd(options, name, pid);
          return pid;
        }),
      ),
      buildImageTar(path.join(options.stateDir, 'image')),
    ]),
  );
  const dockers = names.map((name) => dockerAt(nodePaths(options, name).socket));
  await timed(log, 'image import', () =>
    Promise.all(dockers.map((docker, i) => importImage(docker, tarFile, names[i] ?? ''))),
  );
  const role = (i: number) => (i < options.managers ? 'manager' : 'worker') as 'manager' | 'worker';
  const ids = await timed(log, 'swarm', () =>
    formSwarm(
      names.map((name, i) => ({
        name,
        docker: dockers[i] ?? dockerAt(''),
        ipv4: ipv4(options, i + 1),
        role: role(i),
        endpoint: `unix://${nodePaths(options, name).socket}`,
      })),
    ),
  );

  const nodes: ClusterNodeDescription[] = [];
  for (const [i, name] of names.entries()) {
    const socket = nodePaths(options, name).socket;
    nodes.push({
      name,
      index: i + 1,
      swarmNodeId: ids.get(name) ?? '',
      role: role(i),
      netns: name,
      socketPath: socket,
      dockerUrl: `unix://${socket}`,
      tcpUrl: `tcp://${ipv4(options, i + 1)}:${DOCKER_TCP_PORT}`,
      interface: NODE_INTERFACE,
      ipv4: ipv4(options, i + 1),
      ipv6: ipv6(options, i + 1),
      dockerdPid: pids[i] ?? -1,
      netnsInode: (await namespaceInode(`/run/netns/${name}`)) ?? -1,
    });
  }
  const spare = Array.from({ length: SPARE_COUNT }, (_, k) => FIRST_SPARE_HOST + k);
  return {
    version: DESCRIPTION_VERSION,
    prefix: options.prefix,
    stateDir: options.stateDir,
    subnet: options.subnet,
    image: KEEPALIVED_TEST_IMAGE,
    hub: {
      netns: hub,
      bridge: HUB_BRIDGE,
      ipv4: ipv4(options, HUB_HOST),
      ipv6: ipv6(options, HUB_HOST),
      netnsInode: (await namespaceInode(`/run/netns/${hub}`)) ?? -1,
    },
    ipv4Subnet: `${ipv4(options, 0)}/${IPV4_PREFIX_LENGTH}`,
    ipv6Subnet: `${ipv6(options, 0).replace(/:0$/, ':')}/${IPV6_PREFIX_LENGTH}`,
    ipv4PrefixLength: IPV4_PREFIX_LENGTH,
    ipv6PrefixLength: IPV6_PREFIX_LENGTH,
    spareIpv4: spare.map((host) => ipv4(options, host)),
    spareIpv6: spare.map((host) => ipv6(options, host)),
    managers: options.managers,
    nodes,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Brings the cluster up (see the module comment) and returns its description, also written to
 * `<stateDir>/cluster.json`. On failure everything it created is torn down again before the error
 * ({@link ClusterError}) is thrown.
 */
export async function up(
  partial: Partial<ClusterOptions> = {},
  log: Log = () => undefined,
): Promise<ClusterDescription> {
  const options = resolveOptions(partial);
  const started = Date.now();
  await preflight();
  // First of all, so that nothing addressed to the test ranges can ever leave the machine.
  await addUnreachableRoutes();

  const existing = await existingDescription(options);
  if (existing) {
    const reason = await unhealthyReason(options, existing);
    if (reason === undefined) {
      log(`cluster already up and healthy (${existing.nodes.length} nodes); reusing it`);
      return existing;
    }
    log(`existing cluster not usable (${reason}); tearing it down`);
  }
  if (existing || (await ownedNamespaces(options.stateDir)).length > 0) {
    const report = await down(options, log);
    if (report.problems.length > 0) {
      throw new ClusterError('leftovers', `cannot clear the old cluster: ${report.problems.join('; ')}`);
    }
  }

  let description: ClusterDescription;
  try {
    description = await build(options, log);
  } catch (error) {
    // A name that is not ours was never touched; anything else we began is undone.
    if (!(error instanceof ClusterError && error.code === 'name-in-use')) {
      log(`up failed (${messageOf(error)}); tearing down what was created`);
      await down(options, log);
    }
    throw error;
  }
  await writeCluster(descriptionPath(options), description);
  log(
    `up: ${description.nodes.length} nodes in ${Date.now() - started} ms; described in ${descriptionPath(options)}`,
  );
  return description;
}
