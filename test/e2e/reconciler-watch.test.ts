/**
 * Watch mode on the real cluster: each step is something an operator does, and each assertion is
 * what they would see on the nodes (containers, who holds the address) or in the logs.
 * The steps build on each other, so they run in order.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  holdersOf,
  nodeByName,
  nodeNames,
  startNodeDockerd,
  stopNodeDockerd,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  startEventDrivenDaemon,
  testVip,
  type LogLine,
  type RunningReconciler,
  type SeenContainer,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: vip } = testVip(cluster, 'web', 9);
const [name1, name2, name3] = nodeNames(cluster, 3);
const managedWeb = async (down: string[] = []): Promise<SeenContainer[]> =>
  (await containersOnNodes(cluster, 'keepalived-web', { down })).filter((c) => c.managed);
const allRunning = (list: SeenContainer[], count: number) =>
  list.length === count && list.every((c) => c.running);

describe('reconciler (watch mode) on three real nodes', () => {
  let dir = '';
  let reconciler: RunningReconciler;
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-watch-${process.pid}.lock`);
  const bystander = 'hand-made-keepalived';

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    // A container swarm-vip must never touch: no managed label, a name like ours.
    const docker = dockerOf(nodeByName(cluster, name1));
    await docker
      .getContainer(bystander)
      .remove({ force: true })
      .catch(() => undefined);
    await (
      await docker.createContainer({ name: bystander, Image: KEEPALIVED_TEST_IMAGE, Cmd: ['sleep', '600'] })
    ).start();
    // Resync and health probes are slowed to 10 minutes: whatever reacts below does so from
    // manifest changes and Docker events.
    ({ reconciler } = await startEventDrivenDaemon(dir, lockFile, ['--log-level', 'debug']));
    await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start watching');
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await dockerOf(nodeByName(cluster, name1))
      .getContainer(bystander)
      .remove({ force: true })
      .catch(() => undefined);
    await removeDir(dir);
    await removeLockFile(lockFile);
    expect(code).toBe(0);
  });

  it('a manifest dropped into the directory starts keepalived on every target node; the highest priority holds the VIP', async () => {
    await writeFile(path.join(dir, 'web.yaml'), vip({ [name1]: 200, [name2]: 100, [name3]: 50 }));
    await waitFor(async () => allRunning(await managedWeb(), 3), {
      timeoutMs: 30_000,
      description: '3 running containers',
    });
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name1), { timeoutMs: 15_000 }),
    ).toBe(true);
  });

  it('the daemon serves its status and metrics over --listen', async () => {
    const serving = await reconciler.waitForLog(
      (l) => typeof l.address === 'string',
      'the status server address',
    );
    const base = `http://${String(serving.address)}`;
    const status = await waitFor(
      async () => {
        const body = (await (await fetch(`${base}/status`)).json()) as {
          revision?: { manifests: string };
          conditions?: { vip: string; conditions: { type: string; status: string }[] }[];
          vips: { vip: string; holders: string[]; nodes: { node: string; spec: string }[] }[];
        };
        const web = body.vips.find((v) => v.vip === 'web');
        return web?.holders.length === 1 ? { ...web, body } : undefined;
      },
      { timeoutMs: 20_000, description: '/status to show web held by one node' },
    );
    expect(status.body.revision?.manifests).toMatch(/^sha256:[0-9a-f]{16}$/);
    const web = status.body.conditions?.find((c) => c.vip === 'web');
    expect(web?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Ready', 'True'],
      ['Degraded', 'False'],
    ]);
    expect(status.holders).toEqual([name1]);
    expect(status.nodes.map((n) => [n.node, n.spec])).toEqual([
      [name1, 'current'],
      [name2, 'current'],
      [name3, 'current'],
    ]);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/swarm_vip_holders\{vip="web"\} 1/);
  });

  it('docker rm -f of a managed container: recreated from the event stream, with no manifest read or parsed', async () => {
    const before = (await managedWeb()).find((c) => c.node === name2);
    expect(before).toBeDefined();
    const passEnd = (l: LogLine) => l.msg === 'pass applied' || l.msg === 'converged, nothing to do';
    const mark = reconciler.logs.length;
    const revision = JSON.stringify(reconciler.logs.filter(passEnd).at(-1)?.revision);
    await dockerOf(nodeByName(cluster, name2))
      .getContainer(before?.id ?? '')
      .remove({ force: true });
    const after = await waitFor(
      async () => (await managedWeb()).find((c) => c.node === name2 && c.running && c.id !== before?.id),
      { timeoutMs: 20_000, description: `a new keepalived-web on ${name2}` },
    );
    expect(after.specHash).toBe(before?.specHash);
    // The passes the event woke worked from the same revision, and read no manifest.
    await reconciler.waitForLog(
      (l) => reconciler.logs.indexOf(l) >= mark && l.msg === 'pass applied',
      'the pass',
    );
    const since = reconciler.logs.slice(mark);
    expect(new Set(since.filter(passEnd).map((l) => JSON.stringify(l.revision)))).toEqual(
      new Set([revision]),
    );
    expect(since.filter((l) => l.msg === 'manifests loaded')).toEqual([]);
  });

  it('a priority edit replaces the changed containers backups first, holder last, and the VIP stays held throughout', async () => {
    const before = await managedWeb();
    const holderBefore = await holderOf(cluster, address);
    expect(holderBefore).toBe(name1);
    const samples: number[] = [];
    let sampling = true;
    const sampler = (async () => {
      for (let i = 0; i < 600 && sampling; i++) {
        samples.push((await holdersOf(cluster, address)).length);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // Nodes 1 and 3 swap priorities; node 2's keepalived.conf stays the same.
    await writeFile(path.join(dir, 'web.yaml'), vip({ [name1]: 50, [name2]: 100, [name3]: 200 }));
    const hashBefore = (node: string) => before.find((c) => c.node === node)?.specHash;
    await waitFor(
      async () => {
        const now = await managedWeb();
        const changed = now.filter((c) => c.specHash !== hashBefore(c.node)).map((c) => c.node);
        return allRunning(now, 3) && changed.join() === `${name1},${name3}`;
      },
      { timeoutMs: 60_000, description: `${name1} and ${name3} on the new spec` },
    );
    await waitFor(() => holderOf(cluster, address).then((h) => h === name3), { timeoutMs: 15_000 });
    sampling = false;
    await sampler;

    const replaced = reconciler.logs.filter((l) => l.msg === 'replace keepalived-web').map((l) => l.node);
    expect(replaced).toEqual([name3, name1]);
    expect((await managedWeb()).find((c) => c.node === name2)?.id).toBe(
      before.find((c) => c.node === name2)?.id,
    );
    // VRRP hands over within about one advert interval (0.1 s): the address may be missing from
    // one sample, never from two in a row.
    const gaps = samples.map((n, i) => n === 0 && samples[i - 1] === 0);
    expect(samples.length).toBeGreaterThan(5);
    expect(gaps.includes(true)).toBe(false);
  });

  it('a manifest broken by an edit: error with file and line, containers stay; fixing it resumes', async () => {
    const before = await managedWeb();
    const file = path.join(dir, 'web.yaml');
    await writeFile(
      file,
      vip({ [name1]: 50, [name2]: 100, [name3]: 200 }).replace('advertInterval: 0.1', 'advertInterval: fast'),
    );
    const problem = await reconciler.waitForLog(
      (l) => l.file === file && l.path === '/spec/advertInterval',
      'a problem naming web.yaml and its line',
    );
    expect(problem.line).toBe(6);
    // A later pass (any trigger) still leaves them alone: a restart's events wake the loop, and a
    // pass that started after the last of them must have finished before the containers are compared.
    const restarted = before.find((c) => c.node === name2)?.id ?? '';
    const mark = reconciler.logs.length - 1;
    await dockerOf(nodeByName(cluster, name2)).getContainer(restarted).restart({ t: 1 });
    const event = await reconciler.waitForLog(
      (l) =>
        l.msg === 'docker event' &&
        l.event === 'restart' &&
        l.node === name2 &&
        l.container === 'keepalived-web' &&
        reconciler.logs.indexOf(l) > mark,
      `the restart event of keepalived-web on ${name2}`,
    );
    const pass = await reconciler.waitForPassAfter(reconciler.logs.indexOf(event));
    expect(
      reconciler.logs.some((l) => l.pass === pass.pass && l.file === file),
      'the pass after the restart still reports the broken manifest',
    ).toBe(true);
    expect((await managedWeb()).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(await holderOf(cluster, address)).toBe(name3);

    await writeFile(file, vip({ [name1]: 50, [name2]: 210, [name3]: 200 }));
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 60_000,
      description: `${name2} (now 210) to hold the VIP after the fix`,
    });
  });

  it('one node down: the others are reconciled, status says unreachable; back up, it is reconciled without a restart', async () => {
    const node3 = nodeByName(cluster, name3);
    const n3Before = (await managedWeb()).find((c) => c.node === name3);
    await stopNodeDockerd(cluster, node3);
    try {
      const before = await managedWeb([name3]);
      await writeFile(path.join(dir, 'web.yaml'), vip({ [name1]: 60, [name2]: 220, [name3]: 150 }));
      await waitFor(
        async () => {
          const now = await managedWeb([name3]);
          return now.length === 2 && now.every((c) => c.running && !before.some((b) => b.id === c.id));
        },
        { timeoutMs: 60_000, description: `${name1} and ${name2} replaced while ${name3} is down` },
      );
      const status = await runCli(['status', '--manifests', dir, '-o', 'json']);
      expect(status.code).toBe(4); // a node is unreachable: web is not Ready
      const rows = (
        JSON.parse(status.stdout) as {
          vips: { vip: string; nodes: { node: string; reachable: boolean }[] }[];
        }
      ).vips
        .find((v) => v.vip === 'web')
        ?.nodes.map((n) => [n.node, n.reachable]);
      expect(rows).toEqual([
        [name1, true],
        [name2, true],
        [name3, false],
      ]);
    } finally {
      await startNodeDockerd(cluster, node3);
    }
    await waitFor(
      async () => {
        const n3 = (await managedWeb()).find((c) => c.node === name3);
        if (!n3?.running || n3.specHash === n3Before?.specHash) return false;
        return (await runCli(['plan', '--manifests', dir])).code === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500, description: `${name3} on the new spec, nothing left to do` },
    );
  });

  it('a deleted manifest: its containers leave every node; the unmanaged container stays', async () => {
    await rm(path.join(dir, 'web.yaml'));
    await waitFor(async () => (await managedWeb()).length === 0, {
      timeoutMs: 30_000,
      description: 'no keepalived-web left',
    });
    expect(await holdersOf(cluster, address)).toEqual([]);
    const hand = (await containersOnNodes(cluster, bystander)).map((c) => [c.node, c.running, c.managed]);
    expect(hand).toEqual([[name1, true, false]]);
  });
});
