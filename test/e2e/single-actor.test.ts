/**
 * One actor per host, crash-safe: two reconcilers on the same manifests and lock file. The second
 * waits as a standby (and says who is active); when the active one is SIGKILLed, the standby takes
 * over at once — the lock is the kernel's, freed when its holder dies, not a file that must age.
 * What is checked is what an operator sees: containers on the nodes, /status, /readyz, logs.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOf, holderOf, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  testVip,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: vip } = testVip(cluster, 'solo', 16);
const [node1, node2] = cluster.nodes;

const get = async (url: string) => {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { code: response.status, body: await response.text() };
};

describe('crash-safe single actor on one host (kernel lock, standby, SIGKILL)', () => {
  let dir = '';
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-solo-${process.pid}.lock`);
  const running: RunningReconciler[] = [];
  const start = () => {
    const reconciler = new RunningReconciler([
      '--manifests',
      dir,
      '--lock-file',
      lockFile,
      '--listen',
      '127.0.0.1:0',
      '--health-interval',
      '1s',
    ]);
    running.push(reconciler);
    return reconciler;
  };
  const soloContainers = async () =>
    (await containersOnNodes(cluster, 'keepalived-solo')).filter((c) => c.managed);

  beforeAll(async () => {
    if (!node1 || !node2) throw new Error('the test needs two nodes');
    dir = await manifestDir(cluster);
    await writeFile(path.join(dir, 'solo.yaml'), vip({ [node1.name]: 200, [node2.name]: 100 }));
  });

  afterAll(async () => {
    for (const reconciler of running) await reconciler.stop(10_000);
    await removeManagedContainers(cluster);
    await removeDir(dir);
    await removeLockFile(lockFile);
  });

  it('the second reconciler waits as a standby, says who is active, and does not act', async () => {
    const first = start();
    await first.waitForLog((l) => l.msg === 'watching', 'the first reconciler to act');
    await waitFor(async () => (await holderOf(cluster, address)) === node1?.name, {
      timeoutMs: 20_000,
      description: `${address} held by ${node1?.name}`,
    });
    const second = start();
    await second.waitForLog((l) => String(l.msg).startsWith('standby:'), 'the second to wait as standby');
    const url = await second.listenUrl();
    const status = JSON.parse((await get(`${url}/status`)).body) as { role: string; holder: string };
    expect(status.role).toBe('standby');
    expect(status.holder).toMatch(new RegExp(`^pid ${first.pid} on `));
    const ready = await get(`${url}/readyz`);
    expect(ready.code).toBe(200);
    expect(ready.body).toMatch(/standby: the host lock is held by pid/);
    expect((await get(`${url}/livez`)).code).toBe(200);
    expect(second.logs.some((l) => l.msg === 'watching')).toBe(false);
  });

  it('SIGKILL of the active one: the standby takes over at once and repairs what broke', async () => {
    const [first, second] = running;
    if (!first || !second || !node1) throw new Error('previous step did not run');
    await first.crash();
    const killedAtMs = Date.now();
    // A broken node right after the crash: someone must notice and repair it.
    const before = (await soloContainers()).find((c) => c.node === node1.name);
    await dockerOf(node1)
      .getContainer(before?.id ?? 'none')
      .remove({ force: true });
    const active = await second.waitForLog((l) => l.msg === 'watching', 'the standby to take over', 10_000);
    const takeoverMs = Number(active.time) - killedAtMs;
    console.log(`standby took over ${takeoverMs} ms after the active reconciler was SIGKILLed`);
    // Bounded far below the 30 s that a lock going stale by age took.
    expect(takeoverMs).toBeLessThan(5_000);
    await waitFor(
      async () =>
        (await soloContainers()).some((c) => c.node === node1.name && c.running && c.id !== before?.id),
      { timeoutMs: 20_000, description: 'the new active reconciler to recreate the container' },
    );
  });

  it('a reconciler restarted after SIGKILL acts at once: no stale lock to wait out', async () => {
    const [, second] = running;
    if (!second) throw new Error('previous step did not run');
    await second.crash();
    const third = start();
    await third.waitForLog((l) => l.msg === 'watching', 'the restarted reconciler to act', 15_000);
    expect(third.logs.some((l) => String(l.msg).startsWith('standby:'))).toBe(false);
    const url = await third.listenUrl();
    await waitFor(async () => (await get(`${url}/readyz`)).code === 200, {
      timeoutMs: 20_000,
      description: '/readyz to say active, first pass done',
    });
    expect((await get(`${url}/readyz`)).body).toMatch(/active, manifests loaded, first pass done/);
  });
});
