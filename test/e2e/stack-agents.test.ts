/**
 * deploy/stack-agents.yml on the real test swarm: `docker stack deploy` with certificates made by
 * README's three openssl commands and one VirtualIP manifest, nothing else — no NodeEndpoint, no
 * node label, no engine opened over TCP, no socket in the reconciler. The reconciler (on the
 * manager) reaches every node through its agent task on the overlay network.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENDPOINT_LABEL,
  HolderWatch,
  RECONCILER_TEST_IMAGE,
  buildReconcilerImage,
  copyImage,
  dockerOf,
  holderOf,
  managerOf,
  run,
  waitFor,
  type RunOptions,
} from '../cluster/index.js';
import {
  containersOnNodes,
  removeDir,
  removeManagedContainers,
  setNodeLabels,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const manager = managerOf(cluster);
const STACK = 'svagents';
const NAME = 'keepalived-stacked';
const vip = testVip(cluster, 'stacked', 16);
const [node1, node2, node3] = cluster.nodes;
const repo = path.resolve(import.meta.dirname, '../..');

const docker = (args: readonly string[], options: RunOptions = {}) =>
  run('docker', ['-H', manager.dockerUrl, ...args], { timeoutMs: 60_000, ...options });

/** The certificate commands exactly as README shows them, run in `dir`. */
async function readmeCertificates(dir: string): Promise<void> {
  const readme = await readFile(path.join(repo, 'README.md'), 'utf8');
  const commands = readme
    .split('\n')
    .filter((line) => line.startsWith('    openssl req -x509 '))
    .map((line) => line.trim());
  expect(commands).toHaveLength(3);
  for (const command of commands) await promisify(execFile)('sh', ['-c', command], { cwd: dir });
}

/** Containers of one of the stack's services on a node, straight from that node's engine. */
async function serviceContainers(nodeIndex: number, service: string) {
  const node = cluster.nodes[nodeIndex];
  if (!node) return [];
  return dockerOf(node).listContainers({
    filters: { label: [`com.docker.swarm.service.name=${STACK}_${service}`] },
  });
}

const running = async () =>
  (await containersOnNodes(cluster, NAME)).filter((c) => c.running).map((c) => c.node);

describe('docker stack deploy of the reconciler with per-node agents', () => {
  let dir = '';
  if (!node1 || !node2 || !node3) throw new Error('this test needs three nodes');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-stack-agents-'));
    await readmeCertificates(dir);
    await writeFile(
      path.join(dir, 'manifests.yaml'),
      vip.yaml({ [node1.name]: 200, [node2.name]: 100, [node3.name]: 50 }),
    );
    // The test nodes' sockets live in per-node directories; one path per hostname for the stack.
    for (const node of cluster.nodes) {
      const at = path.join(dir, 'sockets', node.name);
      await mkdir(at, { recursive: true });
      await symlink(node.socketPath, path.join(at, 'docker.sock'));
    }
    // A fresh swarm has no endpoint labels; the test cluster sets them for other tests.
    for (const node of cluster.nodes) {
      await setNodeLabels(cluster, node.name, (labels) => {
        const { [ENDPOINT_LABEL]: _unix, ...rest } = labels;
        return rest;
      });
    }
    await buildReconcilerImage(cluster, manager);
    await copyImage(
      manager,
      cluster.nodes.filter((n) => n.name !== manager.name),
      RECONCILER_TEST_IMAGE,
    );
  }, 300_000);

  afterAll(async () => {
    await docker(['stack', 'rm', STACK], { allowFailure: true });
    await waitFor(
      async () =>
        (
          await Promise.all(
            cluster.nodes.map((n) =>
              dockerOf(n).listContainers({
                all: true,
                filters: { label: [`com.docker.stack.namespace=${STACK}`] },
              }),
            ),
          )
        ).flat().length === 0,
      { timeoutMs: 40_000, description: 'the stack to be gone' },
    ).catch(() => undefined);
    for (const node of cluster.nodes) {
      await setNodeLabels(cluster, node.name, (labels) => ({ ...labels, [ENDPOINT_LABEL]: node.dockerUrl }));
    }
    await removeManagedContainers(cluster);
    await rm(path.join(dir, 'sockets'), { recursive: true, force: true });
    await removeDir(dir);
  });

  it('puts the VIP on all three nodes through the agents; it is held and fails over', async () => {
    const deploy = await docker(
      ['stack', 'deploy', '--resolve-image', 'never', '-c', 'deploy/stack-agents.yml', STACK],
      {
        env: {
          SWARM_VIP_IMAGE: RECONCILER_TEST_IMAGE,
          SWARM_VIP_STACK_NAME: STACK,
          SWARM_VIP_MANIFESTS_FILE: path.join(dir, 'manifests.yaml'),
          SWARM_VIP_MANIFESTS_VERSION: STACK,
          SWARM_VIP_TLS_DIR: dir,
          SWARM_VIP_TLS_VERSION: STACK,
          SWARM_VIP_DOCKER_SOCKET: path.join(dir, 'sockets', '{{.Node.Hostname}}', 'docker.sock'),
        },
      },
    );
    expect(deploy.stdout + deploy.stderr).toContain(`Creating service ${STACK}_agent`);
    await waitFor(async () => (await running()).length === 3, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      description: `${NAME} running on all three nodes`,
    });
    await waitFor(() => holderOf(cluster, vip.address).then((h) => h === node1.name), {
      timeoutMs: 30_000,
      description: `${node1.name} to hold ${vip.address}`,
    });
    // The reconciler's container has no Docker socket at all.
    const [reconciler] = await serviceContainers(0, 'reconciler');
    expect(reconciler?.Mounts.map((m) => m.Destination)).not.toContain('/var/run/docker.sock');

    // Failover: the holder's keepalived is stopped; another node takes the address, the
    // reconciler (events through the agent) starts it again and it takes the address back.
    // node2 holds the address only until node1's keepalived runs again (a restart and a
    // master-down interval): recorded from before the stop (ip monitor in every node), not polled.
    const holder = (await containersOnNodes(cluster, NAME)).find((c) => c.node === node1.name);
    const watch = await HolderWatch.start(cluster, vip.address);
    try {
      await dockerOf(node1)
        .getContainer(holder?.id ?? 'none')
        .stop({ t: 5 });
      await waitFor(
        () => {
          const now = watch.report();
          return (
            now.changes.some((c) => c.node === node2.name && c.held) && now.finalHolders.join() === node1.name
          );
        },
        {
          timeoutMs: 60_000,
          intervalMs: 50,
          description: `${node2.name} to take ${vip.address} over, then the reconciler to start keepalived on ${node1.name} again, which takes the address back`,
        },
      );
    } finally {
      watch.stop();
    }
    expect(await holderOf(cluster, vip.address)).toBe(node1.name);
  });

  it("a call outside the allow-list, made with the reconciler's own credential, is refused and logged", async () => {
    const [reconciler] = await serviceContainers(0, 'reconciler');
    const script = [
      "const https = require('node:https'); const fs = require('node:fs');",
      "const s = (f) => fs.readFileSync('/run/secrets/' + f);",
      "https.get({ host: 'swarm-vip-agent', port: 2376, path: '/volumes', ca: s('swarm-vip-ca.pem'),",
      "  cert: s('swarm-vip-reconciler.pem'), key: s('swarm-vip-reconciler-key.pem') },",
      '  (r) => { let b = ""; r.on("data", (c) => (b += c)); r.on("end", () => console.log(r.statusCode, b)); });',
    ].join('\n');
    const attempt = await docker(['exec', reconciler?.Id ?? 'none', 'node', '-e', script]);
    expect(attempt.stdout).toMatch(/^403 .*swarm-vip agent: GET \/volumes is not in the agent's allow-list/);
    await waitFor(
      async () => {
        const logs = await docker(['service', 'logs', '--raw', `${STACK}_manager-agent`]);
        return `${logs.stdout}${logs.stderr}`.includes('"msg":"agent: refused"');
      },
      { timeoutMs: 20_000, description: 'the refusal in the manager agent log' },
    );
  });

  it('an agent killed on one node fails only that node; it recovers when swarm restarts the task', async () => {
    const [agent] = await serviceContainers(2, 'agent');
    const before = (await containersOnNodes(cluster, NAME)).find((c) => c.node === node3.name);
    // Kill the agent and, behind the reconciler's back, the node's keepalived with it.
    await dockerOf(node3)
      .getContainer(agent?.Id ?? 'none')
      .kill();
    await dockerOf(node3)
      .getContainer(before?.id ?? 'none')
      .remove({ force: true });
    await waitFor(
      async () =>
        (await serviceContainers(2, 'agent')).some((c) => c.Id !== agent?.Id && c.State === 'running'),
      { timeoutMs: 60_000, intervalMs: 1_000, description: 'swarm to restart the agent on the third node' },
    );
    await waitFor(async () => (await running()).includes(node3.name), {
      timeoutMs: 90_000,
      intervalMs: 1_000,
      description: `the reconciler to put ${NAME} back on ${node3.name} through the new agent`,
    });
    // The other nodes were never touched, and the holder never changed.
    expect(await running()).toEqual([node1.name, node2.name, node3.name]);
    expect(await holderOf(cluster, vip.address)).toBe(node1.name);
    const logs = await docker(['service', 'logs', '--raw', `${STACK}_reconciler`]);
    const unreachable = `${logs.stdout}${logs.stderr}`
      .split('\n')
      .filter((line) => line.includes('unreachable'))
      .map((line) => (JSON.parse(line) as { node?: string }).node);
    // On a quiet machine swarm may restart the agent before any pass finds node 3 unreachable;
    // what must never happen is another node failing with it.
    expect(unreachable.filter((node) => node !== node3.name)).toEqual([]);
  });
});
