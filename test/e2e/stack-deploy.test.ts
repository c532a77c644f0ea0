/**
 * The image and the stack, deployed as an operator would: the repository's Dockerfile built on the
 * manager (its base made from this machine's Node runtime, no registry), then `docker stack deploy
 * -c deploy/stack.yml` with the manifests as a swarm config and TLS files as swarm secrets. The
 * reconciler in the service puts a VIP on the nodes; `docker service update --image` upgrades it
 * without the address ever leaving its node.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  HolderWatch,
  RECONCILER_TEST_IMAGE,
  buildReconcilerImage,
  dockerOf,
  holderOf,
  managerOf,
  run,
  waitFor,
  type ClusterNodeDescription,
  type RunOptions,
} from '../cluster/index.js';
import { containersOnNodes, removeDir, removeManagedContainers, testVip } from './reconciler-harness.js';

const cluster = inject('cluster');
const manager = managerOf(cluster);
const STACK = 'swarmvip';
const SERVICE = `${STACK}_reconciler`;
const { address, yaml: vipYaml } = testVip(cluster, 'shipped', 17);
const [node1, node2, node3] = cluster.nodes as [
  ClusterNodeDescription,
  ClusterNodeDescription,
  ClusterNodeDescription,
];

/** The docker CLI against the manager's engine. */
const docker = (args: readonly string[], options: RunOptions = {}) =>
  run('docker', ['-H', manager.dockerUrl, ...args], { timeoutMs: 60_000, ...options });

/**
 * The manifests of the swarm config: the VIP, and how the reconciler inside the service reaches each
 * engine — its own node through the mounted socket, the others over their plain tcp listeners.
 */
function manifests(): string {
  const endpoint = (node: ClusterNodeDescription) =>
    [
      'apiVersion: swarm-vip/v1',
      'kind: NodeEndpoint',
      `metadata: { name: ${node.name} }`,
      `spec: { docker: '${node.name === manager.name ? 'unix:///var/run/docker.sock' : node.tcpUrl}', address: ${node.ipv4} }`,
      '',
    ].join('\n');
  const vip = vipYaml({ [node1.name]: 100, [node2.name]: 200, [node3.name]: 50 });
  return [vip, ...cluster.nodes.map(endpoint)].join('---\n');
}

async function makeTls(dir: string): Promise<void> {
  const openssl = promisify(execFile);
  const at = (file: string) => path.join(dir, file);
  await openssl(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=swarm-vip test CA'].concat([
      '-keyout',
      at('ca-key.pem'),
      '-out',
      at('ca.pem'),
    ]),
  );
  await openssl('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=reconciler',
    '-keyout',
    at('key.pem'),
    '-out',
    at('client.csr'),
  ]);
  await openssl('openssl', [
    'x509',
    '-req',
    '-days',
    '1',
    '-in',
    at('client.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca-key.pem'),
    '-CAcreateserial',
    '-out',
    at('cert.pem'),
  ]);
}

interface ServiceTask {
  node: string;
  image: string;
  state: string;
  containerId: string;
}

/** The service's tasks that swarm wants running, as `docker service ps` would list them. */
async function runningTasks(): Promise<ServiceTask[]> {
  const { stdout } = await docker([
    'service',
    'ps',
    SERVICE,
    '--filter',
    'desired-state=running',
    '--no-trunc',
    '--format',
    '{{.ID}}',
  ]);
  const tasks: ServiceTask[] = [];
  for (const id of stdout.split('\n').filter(Boolean)) {
    const { stdout: json } = await docker(['inspect', '--type', 'task', id]);
    const [task] = JSON.parse(json) as {
      NodeID: string;
      Spec: { ContainerSpec: { Image: string } };
      Status: { State: string; ContainerStatus?: { ContainerID?: string } };
    }[];
    if (!task) continue;
    tasks.push({
      node: cluster.nodes.find((node) => node.swarmNodeId === task.NodeID)?.name ?? task.NodeID,
      image: task.Spec.ContainerSpec.Image,
      state: task.Status.State,
      containerId: task.Status.ContainerStatus?.ContainerID ?? '',
    });
  }
  return tasks;
}

/** The health status Docker gives the container from the image's HEALTHCHECK. */
async function healthOf(containerId: string): Promise<string | undefined> {
  const info = await dockerOf(manager).getContainer(containerId).inspect();
  return info.State.Health?.Status;
}

/** Waits until the service runs one healthy task on the manager, with `image`; returns it. */
async function healthyTask(image: string): Promise<ServiceTask> {
  let found: ServiceTask | undefined;
  await waitFor(
    async () => {
      const tasks = await runningTasks();
      found = tasks.find((task) => task.image === image && task.state === 'running');
      return tasks.length === 1 && found !== undefined && (await healthOf(found.containerId)) === 'healthy';
    },
    { timeoutMs: 150_000, intervalMs: 1_000, description: `one healthy ${SERVICE} task running ${image}` },
  );
  return found as ServiceTask;
}

describe('the image and the stack', () => {
  let dir = '';
  let stackEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-stack-'));
    await writeFile(path.join(dir, 'manifests.yaml'), manifests());
    await makeTls(dir);
    stackEnv = {
      SWARM_VIP_IMAGE: RECONCILER_TEST_IMAGE,
      SWARM_VIP_MANIFESTS_FILE: path.join(dir, 'manifests.yaml'),
      SWARM_VIP_TLS_DIR: dir,
      SWARM_VIP_DOCKER_SOCKET: manager.socketPath,
    };
    await buildReconcilerImage(cluster, manager);
  }, 300_000);

  afterAll(async () => {
    await docker(['stack', 'rm', STACK], { allowFailure: true });
    await waitFor(
      async () =>
        (
          await dockerOf(manager).listContainers({
            all: true,
            filters: { label: [`com.docker.stack.namespace=${STACK}`] },
          })
        ).length === 0,
      { timeoutMs: 30_000, description: 'the stack to be gone' },
    ).catch(() => undefined);
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('docker stack deploy runs one healthy reconciler per manager, which puts the VIP on the nodes', async () => {
    const deploy = await docker(
      ['stack', 'deploy', '--resolve-image', 'never', '-c', 'deploy/stack.yml', STACK],
      {
        env: stackEnv,
      },
    );
    expect(deploy.stdout + deploy.stderr).toContain(`Creating service ${SERVICE}`);
    // Global on the managers: exactly one task, on the manager; healthy means /livez answered.
    const task = await healthyTask(RECONCILER_TEST_IMAGE);
    expect(task.node).toBe(manager.name);
    await waitFor(() => holderOf(cluster, address).then((holder) => holder === node2.name), {
      timeoutMs: 60_000,
      description: `${node2.name} (priority 200) to hold ${address}`,
    });
    expect(
      (await containersOnNodes(cluster, 'keepalived-shipped')).map((c) => [c.node, c.managed, c.running]),
    ).toEqual([
      [node1.name, true, true],
      [node2.name, true, true],
      [node3.name, true, true],
    ]);
    // The secrets are where the stack says, readable only by the reconciler.
    const secrets = await docker(['exec', task.containerId, 'ls', '-l', '/run/secrets']);
    for (const name of ['swarm-vip-tls-ca.pem', 'swarm-vip-tls-cert.pem', 'swarm-vip-tls-key.pem'])
      expect(secrets.stdout).toMatch(new RegExp(`^-r-------- .* ${name.replace(/\./g, '\\.')}$`, 'm'));
    const logs = await docker(['service', 'logs', '--raw', SERVICE]);
    expect(logs.stdout + logs.stderr).toContain('"msg":"pass applied"');
  });

  it('docker service update --image upgrades the reconciler; the VIP stays on its node and nothing is replaced', async () => {
    const before = await containersOnNodes(cluster, 'keepalived-shipped');
    const upgraded = `${RECONCILER_TEST_IMAGE}-upgrade`;
    await docker(['tag', RECONCILER_TEST_IMAGE, upgraded]);
    const watch = await HolderWatch.start(cluster, address);
    try {
      await docker(['service', 'update', '--detach', '--image', upgraded, SERVICE]);
      const task = await healthyTask(upgraded);
      expect(task.node).toBe(manager.name);
      // The new reconciler found everything converged: same containers, no action taken.
      await waitFor(
        async () => {
          const logs = await docker(['logs', task.containerId]);
          return `${logs.stdout}${logs.stderr}`.includes('converged, nothing to do');
        },
        { timeoutMs: 30_000, description: 'the upgraded reconciler to report a converged pass' },
      );
    } finally {
      const report = watch.stop();
      expect(report.lost, 'periods without a holder').toEqual([]);
      expect(report.shared, 'periods with two holders').toEqual([]);
      expect(report.finalHolders).toEqual([node2.name]);
    }
    expect(await containersOnNodes(cluster, 'keepalived-shipped')).toEqual(before);
  });
});
