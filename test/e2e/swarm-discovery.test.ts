/**
 * `--swarm`: nodes, roles and labels come from the real swarm manager; each node's Docker URL from
 * its `swarm-vip.endpoint` label or `--endpoint-template`. The manifest directory holds no
 * NodeEndpoint at all.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ENDPOINT_LABEL,
  KEEPALIVED_TEST_IMAGE,
  holderOf,
  managerOf,
  nodeNames,
  waitFor,
} from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  removeDir,
  removeManagedContainers,
  runCli,
  setNodeLabels as setLabelsOf,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const address = cluster.spareIpv4[3] ?? '';
const manager = managerOf(cluster);
const [name1, name2, name3] = nodeNames(cluster, 3);

/** Sets a swarm node's labels through the manager. */
const setNodeLabels = (
  hostname: string,
  change: (labels: Record<string, string>) => Record<string, string>,
) => setLabelsOf(cluster, hostname, change);

const edgeVip = [
  'apiVersion: swarm-vip/v1',
  'kind: VirtualIP',
  'metadata: { name: edge }',
  'spec:',
  `  addresses: [${address}/${cluster.ipv4PrefixLength}]`,
  '  advertInterval: 0.1',
  `  image: ${KEEPALIVED_TEST_IMAGE}`,
  '  nodeSelector:',
  '    role: any',
  '    labels: { vip-edge: "true" }',
  '',
].join('\n');

describe('swarm discovery (--swarm) on a real swarm', () => {
  let dir = '';
  const swarm = ['--swarm', manager.dockerUrl];
  const once = (extra: string[] = []) =>
    runCli(['--once', '--manifests', dir, ...swarm, '--lock-file', path.join(dir, '.lock'), ...extra]);
  const edgeNodes = async () =>
    (await containersOnNodes(cluster, 'keepalived-edge'))
      .filter((c) => c.managed && c.running)
      .map((c) => c.node);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-swarm-'));
    await writeFile(path.join(dir, 'edge.yaml'), edgeVip);
    await setNodeLabels(name2, (l) => ({ ...l, 'vip-edge': 'true', 'swarm-vip.priority': '150' }));
    await setNodeLabels(name3, (l) => ({ ...l, 'vip-edge': 'true', 'swarm-vip.priority': '120' }));
  });

  afterAll(async () => {
    const node1 = cluster.nodes.find((n) => n.name === name1);
    for (const node of cluster.nodes) {
      await setNodeLabels(node.name, (l) => {
        const { 'vip-edge': _edge, 'swarm-vip.priority': _priority, ...rest } = l;
        return node.name === name1 && node1 ? { ...rest, [ENDPOINT_LABEL]: node1.dockerUrl } : rest;
      });
    }
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('runs the VIP on the labelled nodes only, with priorities from their swarm-vip.priority labels', async () => {
    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await edgeNodes()).toEqual([name2, name3]);
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name2), { timeoutMs: 15_000 }),
    ).toBe(true);
  });

  it('follows label changes: a node that loses the label loses the container; a new one gets it', async () => {
    await setNodeLabels(name3, (l) => {
      const { 'vip-edge': _gone, ...rest } = l;
      return rest;
    });
    await setNodeLabels(name1, (l) => ({ ...l, 'vip-edge': 'true', 'swarm-vip.priority': '200' }));
    expect((await once()).code).toBe(0);
    expect(await edgeNodes()).toEqual([name1, name2]);
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name1), { timeoutMs: 15_000 }),
    ).toBe(true);
  });

  it('reaches a node without a swarm-vip.endpoint label through --endpoint-template, and says so when there is none', async () => {
    await setNodeLabels(name1, (l) => {
      const { [ENDPOINT_LABEL]: _url, ...rest } = l;
      return { ...rest, 'swarm-vip.priority': '90' };
    });
    const without = await once();
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(new RegExp(`${name1} unreachable: .*no Docker endpoint`));

    const template = `unix://${cluster.stateDir}/{hostname}/docker.sock`;
    const withTemplate = await once(['--endpoint-template', template]);
    expect(withTemplate.code, withTemplate.stdout + withTemplate.stderr).toBe(0);
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name2), { timeoutMs: 15_000 }),
    ).toBe(true);
  });

  it('watch mode follows swarm node events: a newly labelled node gets the VIP without waiting for a resync', async () => {
    const template = `unix://${cluster.stateDir}/{hostname}/docker.sock`;
    const reconciler = new RunningReconciler([
      '--manifests',
      dir,
      ...swarm,
      '--endpoint-template',
      template,
      '--resync-interval',
      '10m',
      '--health-interval',
      '10m',
      '--lock-file',
      path.join(dir, '.lock'),
    ]);
    try {
      await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
      await waitFor(async () => (await edgeNodes()).join() === `${name1},${name2}`, {
        timeoutMs: 20_000,
        description: `edge on ${name1} and ${name2}`,
      });
      const before = (await containersOnNodes(cluster, 'keepalived-edge')).map((c) => c.id);
      await setNodeLabels(name3, (l) => ({ ...l, 'vip-edge': 'true', 'swarm-vip.priority': '250' }));
      await waitFor(() => holderOf(cluster, address).then((h) => h === name3), {
        timeoutMs: 20_000,
        description: `${name3}, labelled while the reconciler runs, to hold the VIP`,
      });
      // The new peer changes every node's config: the rollout replaces node 1 and node 2 too. It is
      // done once none of the containers from before runs (until then node 1 or 2 may be between
      // its old container and its new one).
      await waitFor(
        async () => {
          const running = (await containersOnNodes(cluster, 'keepalived-edge')).filter(
            (c) => c.managed && c.running,
          );
          return (
            running.map((c) => c.node).join() === `${name1},${name2},${name3}` &&
            running.every((c) => !before.includes(c.id))
          );
        },
        { timeoutMs: 20_000, description: 'edge running on all three nodes once the rollout is done' },
      );
      expect(await edgeNodes()).toEqual([name1, name2, name3]);
    } finally {
      expect(await reconciler.stop()).toBe(0);
    }
  });
});
