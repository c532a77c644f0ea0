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
  nodeNames,
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
const [name1, name2, name3] = nodeNames(cluster, 3);
/** A second IPv4 address on node 2's interface, which only its NodeEndpoint names. */
const node2Alias = cluster.spareIpv4[13] ?? '';

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
  const node2 = nodeByName(cluster, name2);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    // Only node 2 keeps a NodeEndpoint: its socket, and an address the swarm does not know.
    for (const node of cluster.nodes) {
      if (node.name !== name2) await rm(path.join(dir, `node-${node.name}.yaml`));
    }
    await writeFile(
      path.join(dir, `node-${name2}.yaml`),
      [
        'apiVersion: swarm-vip/v1',
        'kind: NodeEndpoint',
        `metadata: { name: ${name2} }`,
        'spec:',
        `  docker: ${node2.dockerUrl}`,
        `  address: ${node2Alias}`,
        '',
      ].join('\n'),
    );
    await writeFile(path.join(dir, 'fleet.yaml'), fleetVip);
    await inNode(node2, 'ip', [
      'addr',
      'add',
      `${node2Alias}/${cluster.ipv4PrefixLength}`,
      'dev',
      node2.interface,
    ]);
    for (const [name, priority] of [
      [name1, 200],
      [name2, 150],
      [name3, 100],
    ] as const) {
      await updateSwarmNode(name, (spec) => ({
        ...spec,
        Labels: { ...spec.Labels, 'vip-fleet': 'true', 'swarm-vip.priority': String(priority) },
      }));
    }
    // What the swarm says about node 2's engine is wrong: only the NodeEndpoint can reach it.
    await updateSwarmNode(name2, (spec) => ({
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
    await inNode(node2, 'ip', [
      'addr',
      'del',
      `${node2Alias}/${cluster.ipv4PrefixLength}`,
      'dev',
      node2.interface,
    ]);
    await removeDir(dir);
  });

  it('a NodeEndpoint overrides the swarm: its Docker URL reaches the node, its address is the VRRP peer', async () => {
    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const running = await fleet();
    expect(running.map((c) => c.node)).toEqual([name1, name2, name3]);
    const config = (node: string) => configOf(node, running.find((c) => c.node === node)?.id ?? '');
    expect(await config(name2)).toContain(`unicast_src_ip ${node2Alias}`);
    expect(await config(name1)).toMatch(new RegExp(`unicast_peer \\{[^}]*\\b${node2Alias}\\b`));
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 20_000,
      description: `${name1} (priority 200) to hold the VIP`,
    });
  });

  it('a drained node is left out: its keepalived goes and the VIP moves on; active again, it returns', async () => {
    await updateSwarmNode(name1, (spec) => ({ ...spec, Availability: 'drain' }));
    const drained = await once();
    expect(drained.code, drained.stdout + drained.stderr).toBe(0);
    expect((await fleet()).map((c) => c.node)).toEqual([name2, name3]);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 20_000,
      description: `${name2} (150) to hold the VIP while ${name1} is drained`,
    });

    await updateSwarmNode(name1, (spec) => ({ ...spec, Availability: 'active' }));
    expect((await once()).code).toBe(0);
    expect((await fleet()).map((c) => c.node)).toEqual([name1, name2, name3]);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 20_000,
      description: `${name1} to hold the VIP again`,
    });
  });
});
