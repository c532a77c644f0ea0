/**
 * One active replica across managers: three reconcilers, each against a different swarm manager
 * and with its own lock file (as on three hosts), elect one actor through the swarm lease. What
 * is checked is what the engines did (container create events), not only what the logs say:
 * only the active one ever acts; SIGKILL it and another takes over within seconds; a frozen
 * holder that wakes up after its lease was taken is fenced and never acts beside the new one.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOf, waitFor, type ClusterNodeDescription } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  engineEvents,
  removeDir,
  removeManagedContainers,
  testVip,
  type LogLine,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { yaml: vip } = testVip(cluster, 'elected', 17);
const [node1, node2, node3] = cluster.nodes;
const leaseName = `swarm-vip-e2e-${process.pid}`;
const leaseDuration = '6s';

interface SwarmNode {
  ID: string;
  Version: { Index: number };
  Spec: Record<string, unknown>;
  Description: { Hostname: string };
}

async function setRole(manager: Docker, hostname: string, role: 'manager' | 'worker'): Promise<void> {
  const nodes = (await manager.listNodes()) as SwarmNode[];
  const node = nodes.find((n) => n.Description.Hostname === hostname);
  if (!node) throw new Error(`no swarm node ${hostname}`);
  await manager.getNode(node.ID).update({
    _query: { version: node.Version.Index },
    _body: { ...node.Spec, Role: role },
  });
}

const get = async (url: string) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { code: response.status, body: await response.text() };
};

describe('leader election across three managers (swarm lease)', () => {
  let dir = '';
  const replicas: RunningReconciler[] = [];
  const startedAtMs = Date.now();
  const createsOn = async (node: string) =>
    (await engineEvents(cluster, startedAtMs, Date.now())).filter(
      (e) => e.action === 'create' && e.container === 'keepalived-elected' && e.node === node,
    );
  const attemptsOf = (logs: LogLine[]) =>
    logs.filter((l) => /^(create|replace|remove|start) keepalived-elected$/.test(l.msg)).length;
  const fencedOf = (logs: LogLine[]) =>
    logs.filter((l) => /failed$/.test(l.msg) && /not acting/.test(String(l.err))).length;
  /** Each live replica's own word (its /status): role and, for a standby, who holds the lease. */
  const roles = async (live: RunningReconciler[]) =>
    Promise.all(
      live.map(async (replica) => {
        const status = JSON.parse((await get(`${await replica.listenUrl()}/status`)).body) as {
          role: string;
          holder?: string;
        };
        return { replica, ...status };
      }),
    );
  /** Waits until exactly one of `live` says it is active and the others name it as the holder. */
  const settledLeader = async (live: RunningReconciler[], timeoutMs: number) =>
    waitFor(
      async () => {
        const seen = await roles(live);
        const leaders = seen.filter((r) => r.role === 'active');
        const leader = leaders[0]?.replica;
        const named = seen.every((r) => r.role === 'active' || r.holder?.endsWith(`/pid ${leader?.pid}`));
        return leaders.length === 1 && named ? leader : undefined;
      },
      { timeoutMs, intervalMs: 200, description: 'exactly one active replica, named by the standbys' },
    );
  const replaceContainerOn = async (node: ClusterNodeDescription) => {
    const victim = (await containersOnNodes(cluster, 'keepalived-elected')).find((c) => c.node === node.name);
    await dockerOf(node)
      .getContainer(victim?.id ?? 'none')
      .remove({ force: true });
    await waitFor(
      async () =>
        (await containersOnNodes(cluster, 'keepalived-elected')).some(
          (c) => c.node === node.name && c.running && c.id !== victim?.id,
        ),
      { timeoutMs: 30_000, description: `the actor to recreate the container on ${node.name}` },
    );
  };
  let leader: RunningReconciler | undefined;
  let killed: RunningReconciler | undefined;

  beforeAll(async () => {
    if (!node1 || !node2 || !node3) throw new Error('the test needs three nodes');
    const manager = dockerOf(node1);
    for (const node of [node2, node3]) await setRole(manager, node.name, 'manager');
    for (const node of [node2, node3]) {
      await waitFor(
        () =>
          dockerOf(node)
            .listNodes()
            .then(() => true),
        {
          timeoutMs: 30_000,
          description: `${node.name} to answer as a manager`,
        },
      );
    }
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-lease-'));
    await writeFile(
      path.join(dir, 'elected.yaml'),
      vip({ [node1.name]: 200, [node2.name]: 150, [node3.name]: 100 }),
    );
  });

  afterAll(async () => {
    for (const replica of replicas) {
      replica.signal('SIGCONT');
      await replica.stop(10_000);
    }
    await removeManagedContainers(cluster);
    if (node1 && node2 && node3) {
      const manager = dockerOf(node1);
      for (const node of [node2, node3]) await setRole(manager, node.name, 'worker').catch(() => undefined);
      await manager
        .getConfig(leaseName)
        .remove()
        .catch(() => undefined);
    }
    await removeDir(dir);
  });

  it(
    'three replicas on three managers elect exactly one actor; the standbys say who it is',
    { timeout: 240_000 },
    async () => {
      for (const node of cluster.nodes) {
        replicas.push(
          new RunningReconciler([
            '--manifests',
            dir,
            '--swarm',
            node.dockerUrl,
            '--leader-election',
            '--lease-name',
            leaseName,
            '--lease-duration',
            leaseDuration,
            '--lock-file',
            path.join(dir, `${node.name}.lock`),
            '--listen',
            '127.0.0.1:0',
            '--health-interval',
            '1s',
          ]),
        );
      }
      // Three CLIs starting at once on a busy 2-core machine: a generous bound.
      leader = await settledLeader(replicas, 120_000);
      await waitFor(
        async () =>
          (await containersOnNodes(cluster, 'keepalived-elected')).filter((c) => c.running).length === 3,
        { timeoutMs: 60_000, description: 'keepalived-elected running on the three nodes' },
      );
      // The engines saw one create per node: however the replicas started, nobody acted twice.
      for (const node of cluster.nodes) expect(await createsOn(node.name)).toHaveLength(1);
    },
  );

  it('SIGKILL of the actor: another replica takes over within seconds and repairs', async () => {
    if (!leader || !node2) throw new Error('previous step did not run');
    killed = leader;
    await killed.crash();
    const killedAtMs = Date.now();
    const survivors = replicas.filter((r) => r !== killed);
    leader = await settledLeader(survivors, 30_000);
    const takeoverMs = Date.now() - killedAtMs;
    console.log(`lease taken over ${takeoverMs} ms after the actor was SIGKILLed (lease ${leaseDuration})`);
    await replaceContainerOn(node2);
    expect(await createsOn(node2.name)).toHaveLength(2);
  });

  it('a frozen actor that wakes after its lease was taken is fenced: it never acts beside the new one', async () => {
    const frozen = leader;
    if (!frozen || !node3) throw new Error('previous step did not run');
    frozen.signal('SIGSTOP');
    leader = await settledLeader(
      replicas.filter((r) => r !== frozen && r !== killed),
      30_000,
    );
    await replaceContainerOn(node3);
    const before = frozen.logs.length;
    frozen.signal('SIGCONT');
    const lost = await frozen.waitForLog(
      (l) => frozen.logs.indexOf(l) >= before && /lost the swarm lease/.test(l.msg),
      'the woken replica to see it lost',
      30_000,
    );
    // Back to standby only once the pass in flight has finished: from then on every attempt it made
    // while active is in the log with its outcome. (The lost line alone can come between an
    // attempt and the line saying the fence refused it.)
    await frozen.waitForLog(
      (l) => frozen.logs.indexOf(l) > frozen.logs.indexOf(lost) && l.msg.startsWith('standby:'),
      'the woken replica back to standby',
      30_000,
    );
    const after = frozen.logs.slice(before);
    // Whatever it tried after waking was refused by the fence before reaching an engine...
    expect(fencedOf(after)).toBe(attemptsOf(after));
    // ...and the engine on node 3 saw exactly one create for the one removal.
    expect(await createsOn(node3.name)).toHaveLength(2);
  });
});
