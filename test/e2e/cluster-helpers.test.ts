/**
 * The fault-injection helpers do what tests will count on: a cut link moves the VIP and restoring
 * it brings the route back; a stopped dockerd comes back with its swarm identity.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  cutLink,
  dockerOf,
  holderOf,
  inNode,
  managerOf,
  restoreLink,
  startKeepalived,
  startNodeDockerd,
  stopAndRemove,
  stopNodeDockerd,
  unicastConfig,
  waitFor,
} from '../cluster/index.js';

const cluster = inject('cluster');
const CONTAINER = 'helpers-keepalived';

interface SwarmNode {
  ID: string;
  Status: { State: string };
}

describe('cutLink / restoreLink', () => {
  const address = cluster.spareIpv4[1] ?? '';
  const pair = cluster.nodes.slice(0, 2);
  const [first, second] = pair;

  afterAll(async () => {
    if (first) await restoreLink(cluster, first);
    await Promise.all(pair.map((node) => stopAndRemove(dockerOf(node), CONTAINER)));
  });

  it('a cut moves the VIP away; a restore brings the default route and the VIP back', async () => {
    if (!first || !second) throw new Error('needs two nodes');
    await Promise.all(pair.map((node) => stopAndRemove(dockerOf(node), CONTAINER)));
    await Promise.all(
      pair.map((node, i) =>
        startKeepalived(node, {
          name: CONTAINER,
          image: cluster.image,
          config: unicastConfig({ ...cluster, nodes: pair }, node, {
            name: 'helpers',
            virtualRouterId: 43,
            priority: i === 0 ? 200 : 100,
            vip: `${address}/24`,
          }),
        }),
      ),
    );
    const on = (name: string) => async () => (await holderOf(cluster, address)) === name;
    await waitFor(on(first.name), { timeoutMs: 20_000, description: `${address} on ${first.name}` });

    await cutLink(first);
    await waitFor(on(second.name), {
      timeoutMs: 15_000,
      description: `${address} to move to ${second.name}`,
    });

    await restoreLink(cluster, first);
    const { stdout } = await inNode(first, 'ip', ['route', 'show', 'default']);
    expect(stdout).toContain(`via ${cluster.hub.ipv4}`);
    await waitFor(on(first.name), { timeoutMs: 15_000, description: `${address} back on ${first.name}` });
  });
});

describe('stopNodeDockerd / startNodeDockerd', () => {
  it('a restarted dockerd answers again and rejoins the swarm as the same node', async () => {
    const node = cluster.nodes.at(-1);
    if (!node || node.role === 'manager') throw new Error('needs a worker as the last node');
    const manager = dockerOf(managerOf(cluster));
    const stateOf = async () =>
      ((await manager.listNodes()) as SwarmNode[]).find((swarmNode) => swarmNode.ID === node.swarmNodeId)
        ?.Status.State;

    await stopNodeDockerd(cluster, node);
    await expect(dockerOf(node, { timeoutMs: 2_000 }).ping()).rejects.toThrow();
    await startNodeDockerd(cluster, node);
    expect(String(await dockerOf(node).ping())).toBe('OK');
    await waitFor(async () => (await stateOf()) === 'ready', {
      timeoutMs: 30_000,
      intervalMs: 200,
      description: `${node.name} ready in the swarm again`,
    });
  });
});
