/**
 * Where nodes come from, with `--swarm`: a NodeEndpoint manifest for a swarm node overrides what
 * the swarm says about it (Docker URL, VRRP address), and a drained node is left out.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENDPOINT_LABEL,
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  inNode,
  managerOf,
  nodeByName,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const address = cluster.spareIpv4[12] ?? '';
/** A second IPv4 address on tbnode2's eth0, which only its NodeEndpoint names. */
const tbnode2Alias = cluster.spareIpv4[13] ?? '';

interface SwarmNodeSpec {
  Role: string;
  Availability: string;
  Labels: Record<string, string>;
}

/** Changes a swarm node's spec (labels, availability) through the manager. */
async function updateSwarmNode(hostname: string, change: (spec: SwarmNodeSpec) => SwarmNodeSpec) {
  const docker = dockerOf(managerOf(cluster));
  const nodes = (await docker.listNodes()) as {
    ID: string;
    Version: { Index: number };
    Description: { Hostname: string };
    Spec: SwarmNodeSpec;
  }[];
  const node = nodes.find((n) => n.Description.Hostname === hostname);
  if (!node) throw new Error(`no swarm node ${hostname}`);
  await docker.getNode(node.ID).update({
    _query: { version: node.Version.Index },
    _body: change({ ...node.Spec, Labels: { ...node.Spec.Labels } }),
  });
}

/** What a container's keepalived.conf says (read inside it, as the node runs it). */
async function configOf(node: string, containerId: string): Promise<string> {
  const exec = await dockerOf(nodeByName(cluster, node))
    .getContainer(containerId)
    .exec({ Cmd: ['cat', '/etc/swarm-vip/keepalived.conf'], AttachStdout: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  return new Promise<string>((resolve, reject) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString('latin1')));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

const fleetVip = [
  'apiVersion: swarm-vip/v1',
  'kind: VirtualIP',
  'metadata: { name: fleet }',
  'spec:',
  `  addresses: [${address}/${cluster.ipv4PrefixLength}]`,
  '  advertInterval: 0.1',
  `  image: ${KEEPALIVED_TEST_IMAGE}`,
  '  nodeSelector: { role: any, labels: { vip-fleet: "true" } }',
  '',
].join('\n');

describe('swarm nodes overridden by a NodeEndpoint, and drained', () => {
  let dir = '';
  const once = () =>
    runCli([
      '--once',
      '--manifests',
      dir,
      '--swarm',
      managerOf(cluster).dockerUrl,
      '--lock-file',
      path.join(dir, '.lock'),
    ]);
  const fleet = async () =>
    (await containersOnNodes(cluster, 'keepalived-fleet')).filter((c) => c.managed && c.running);
  const tbnode2 = nodeByName(cluster, 'tbnode2');

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    // Only tbnode2 keeps a NodeEndpoint: its socket, and an address the swarm does not know.
    for (const node of cluster.nodes) {
      if (node.name !== 'tbnode2') await rm(path.join(dir, `node-${node.name}.yaml`));
    }
    await writeFile(
      path.join(dir, 'node-tbnode2.yaml'),
      [
        'apiVersion: swarm-vip/v1',
        'kind: NodeEndpoint',
        'metadata: { name: tbnode2 }',
        'spec:',
        `  docker: ${tbnode2.dockerUrl}`,
        `  address: ${tbnode2Alias}`,
        '',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'fleet.yaml'), fleetVip);
    await inNode(tbnode2, 'ip', [
      'addr',
      'add',
      `${tbnode2Alias}/${cluster.ipv4PrefixLength}`,
      'dev',
      'eth0',
    ]);
    for (const [name, priority] of [
      ['tbnode1', 200],
      ['tbnode2', 150],
      ['tbnode3', 100],
    ] as const) {
      await updateSwarmNode(name, (spec) => ({
        ...spec,
        Labels: { ...spec.Labels, 'vip-fleet': 'true', 'swarm-vip.priority': String(priority) },
      }));
    }
    // What the swarm says about tbnode2's engine is wrong: only the NodeEndpoint can reach it.
    await updateSwarmNode('tbnode2', (spec) => ({
      ...spec,
      Labels: { ...spec.Labels, [ENDPOINT_LABEL]: 'unix:///nonexistent/swarm-vip-e2e.sock' },
    }));
  });

  afterAll(async () => {
    for (const node of cluster.nodes) {
      await updateSwarmNode(node.name, (spec) => {
        const { 'vip-fleet': _fleet, 'swarm-vip.priority': _priority, ...rest } = spec.Labels;
        return { ...spec, Availability: 'active', Labels: { ...rest, [ENDPOINT_LABEL]: node.dockerUrl } };
      });
    }
    await removeManagedContainers(cluster);
    await inNode(tbnode2, 'ip', [
      'addr',
      'del',
      `${tbnode2Alias}/${cluster.ipv4PrefixLength}`,
      'dev',
      'eth0',
    ]);
    await removeDir(dir);
  });

  it('a NodeEndpoint overrides the swarm: its Docker URL reaches the node, its address is the VRRP peer', async () => {
    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const running = await fleet();
    expect(running.map((c) => c.node)).toEqual(['tbnode1', 'tbnode2', 'tbnode3']);
    const config = (node: string) => configOf(node, running.find((c) => c.node === node)?.id ?? '');
    expect(await config('tbnode2')).toContain(`unicast_src_ip ${tbnode2Alias}`);
    expect(await config('tbnode1')).toMatch(new RegExp(`unicast_peer \\{[^}]*\\b${tbnode2Alias}\\b`));
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode1'), {
      timeoutMs: 20_000,
      description: 'tbnode1 (priority 200) to hold the VIP',
    });
  });

  it('a drained node is left out: its keepalived goes and the VIP moves on; active again, it returns', async () => {
    await updateSwarmNode('tbnode1', (spec) => ({ ...spec, Availability: 'drain' }));
    const drained = await once();
    expect(drained.code, drained.stdout + drained.stderr).toBe(0);
    expect((await fleet()).map((c) => c.node)).toEqual(['tbnode2', 'tbnode3']);
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode2'), {
      timeoutMs: 20_000,
      description: 'tbnode2 (150) to hold the VIP while tbnode1 is drained',
    });

    await updateSwarmNode('tbnode1', (spec) => ({ ...spec, Availability: 'active' }));
    expect((await once()).code).toBe(0);
    expect((await fleet()).map((c) => c.node)).toEqual(['tbnode1', 'tbnode2', 'tbnode3']);
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode1'), {
      timeoutMs: 20_000,
      description: 'tbnode1 to hold the VIP again',
    });
  });
});
