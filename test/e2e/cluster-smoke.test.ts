/**
 * The test cluster itself: a real swarm the reconciler can discover, and real keepalived doing
 * real VRRP between the node namespaces. Everything else in e2e builds on these facts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENDPOINT_LABEL,
  dockerOf,
  holderOf,
  holdersOf,
  managerOf,
  startKeepalived,
  stopAndRemove,
  unicastConfig,
  waitFor,
} from '../cluster/index.js';

const cluster = inject('cluster');
const CONTAINER = 'smoke-keepalived';
const PRIORITIES = [200, 100, 50];

interface SwarmNode {
  ID: string;
  Description: { Hostname: string };
  Spec: { Role: string; Labels: Record<string, string> };
  Status: { State: string };
}

describe('test cluster: swarm', () => {
  it('the manager lists every node, ready, with its swarm-vip.endpoint label', async () => {
    const nodes = (await dockerOf(managerOf(cluster)).listNodes()) as SwarmNode[];
    const seen = nodes
      .map((node) => ({
        id: node.ID,
        hostname: node.Description.Hostname,
        state: node.Status.State,
        endpoint: node.Spec.Labels[ENDPOINT_LABEL],
      }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
    expect(seen).toEqual(
      cluster.nodes.map((node) => ({
        id: node.swarmNodeId,
        hostname: node.name,
        state: 'ready',
        endpoint: node.dockerUrl,
      })),
    );
  });

  it('a worker refuses to list nodes (only managers can)', async () => {
    const worker = cluster.nodes.find((node) => node.role === 'worker');
    expect(worker).toBeDefined();
    if (!worker) return;
    await expect(dockerOf(worker).listNodes()).rejects.toMatchObject({ statusCode: 503 });
  });
});

describe('test cluster: keepalived by hand', () => {
  const vip = `${cluster.spareIpv4[0]}/${cluster.ipv4PrefixLength}`;
  const address = cluster.spareIpv4[0] ?? '';
  const [first, second] = cluster.nodes;

  beforeAll(async () => {
    // An aborted earlier run may have left its containers.
    await Promise.all(cluster.nodes.map((node) => stopAndRemove(dockerOf(node), CONTAINER)));
    await Promise.all(
      cluster.nodes.map((node, i) =>
        startKeepalived(node, {
          name: CONTAINER,
          image: cluster.image,
          config: unicastConfig(cluster, node, {
            name: 'smoke',
            virtualRouterId: 42,
            priority: PRIORITIES[i] ?? 10,
            vip,
          }),
          labels: { 'swarm-vip.test': 'cluster-smoke' },
        }),
      ),
    );
  });

  afterAll(async () => {
    await Promise.all(cluster.nodes.map((node) => stopAndRemove(dockerOf(node), CONTAINER)));
  });

  it('the priority-200 node holds the VIP', async () => {
    // BACKUP waits the master-down interval (~3 s at advert_int 1) before claiming the VIP.
    await waitFor(async () => (await holderOf(cluster, address)) === first?.name, {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: `${address} on ${first?.name}`,
    });
    expect(await holdersOf(cluster, address)).toEqual([first?.name]);
  });

  it('docker stop on the holder moves the VIP to the priority-100 node', async () => {
    if (!first || !second) throw new Error('the smoke test needs two nodes');
    await dockerOf(first).getContainer(CONTAINER).stop({ t: 5 });
    await waitFor(async () => (await holderOf(cluster, address)) === second.name, {
      timeoutMs: 15_000,
      intervalMs: 50,
      description: `${address} to move to ${second.name}`,
    });
    expect(await holdersOf(cluster, address)).toEqual([second.name]);
  });
});
