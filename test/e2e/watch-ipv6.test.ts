/**
 * Watch mode with an IPv6 VIP (fd00:5eed::/48, VRRPv3 over IPv6 unicast): the address moves
 * between real nodes, the periodic resync repairs what no Docker event reports, and `suspend`
 * leaves a VIP's containers exactly as they are. The steps build on each other.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEEPALIVED_TEST_IMAGE, dockerOf, holderOf, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  vipYaml,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const address = cluster.spareIpv6[11] ?? '';
const [n1, n2] = cluster.nodes;
if (!n1 || !n2) throw new Error('these tests need a cluster of at least two nodes');
const NAME = 'six';
const file = (dir: string) => path.join(dir, `${NAME}.yaml`);
const six = (priorities: Record<string, number>, ...extra: string[]) =>
  vipYaml({
    name: NAME,
    address: `${address}/${cluster.ipv6PrefixLength}`,
    priorities,
    image: KEEPALIVED_TEST_IMAGE,
  }) + extra.map((line) => `  ${line}\n`).join('');
const managedSix = async () =>
  (await containersOnNodes(cluster, `keepalived-${NAME}`)).filter((c) => c.managed);
const heldBy = (node: string) => () => holderOf(cluster, address).then((h) => h === node);

describe('watch mode with an IPv6 VIP on three real nodes', () => {
  let dir = '';
  let reconciler: RunningReconciler;

  beforeAll(async () => {
    // NodeEndpoints with the nodes' IPv6 addresses: VRRP peers of an IPv6 VIP speak IPv6.
    dir = await manifestDir(cluster, 6);
    // Only the manifest watch, Docker events and a 3 s resync wake passes (probes are slowed).
    reconciler = new RunningReconciler([
      '--manifests',
      dir,
      '--resync-interval',
      '3s',
      '--health-interval',
      '10m',
      '--lock-file',
      path.join(dir, '.lock'),
      '--log-level',
      'debug',
    ]);
    await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await removeDir(dir);
    expect(code).toBe(0);
  });

  it('comes up on the highest priority and moves to another node when the priorities change', async () => {
    await writeFile(file(dir), six({ [n1.name]: 200, [n2.name]: 100 }));
    await waitFor(heldBy(n1.name), { timeoutMs: 30_000, description: `${n1.name} to hold ${address}` });
    const before = await managedSix();
    await writeFile(file(dir), six({ [n1.name]: 100, [n2.name]: 200 }));
    await waitFor(heldBy(n2.name), { timeoutMs: 30_000, description: `${address} to move to ${n2.name}` });
    // The rollout ends with the old holder: wait until both run the new spec.
    await waitFor(
      async () => {
        const now = await managedSix();
        return now.length === 2 && now.every((c) => c.running && !before.some((b) => b.id === c.id));
      },
      { timeoutMs: 30_000, description: 'both containers replaced' },
    );
    expect(await holderOf(cluster, address)).toBe(n2.name);
  });

  it('the periodic resync repairs a change no watched event reports (docker rename)', async () => {
    const before = (await managedSix()).find((c) => c.node === n1.name);
    // Rename right after a pass has ended, so the next timer pass starts after the rename: a pass
    // that started just before it would still observe the renamed container and repair it, but
    // then the log could not show that nothing but the timer woke the repairing pass.
    await reconciler.waitForPassAfter(reconciler.logs.length - 1);
    const mark = reconciler.logs.length - 1;
    await dockerOf(n1)
      .getContainer(before?.id ?? '')
      .rename({ name: `keepalived-${NAME}-renamed` });
    const repaired = await waitFor(
      async () => {
        const now = await managedSix();
        const mine = now.filter((c) => c.node === n1.name);
        return mine.length === 1 && mine[0]?.name === `keepalived-${NAME}` && mine[0].running
          ? mine[0]
          : undefined;
      },
      { timeoutMs: 20_000, description: `keepalived-six back under its own name on ${n1.name}, alone` },
    );
    expect(repaired.id).not.toBe(before?.id);
    // The pass that repaired it was woken by nothing but the timer: no Docker event came before it.
    const action = await reconciler.waitForLog(
      (l) => reconciler.logs.indexOf(l) > mark && l.node === n1.name && /^(create|remove) /.test(l.msg),
      'the repairing action in the log',
    );
    const started = reconciler.logs.findIndex((l) => l.msg === 'pass started' && l.pass === action.pass);
    expect(started).toBeGreaterThan(mark);
    expect(reconciler.logs.slice(mark + 1, started).filter((l) => l.msg === 'docker event')).toEqual([]);
    await waitFor(heldBy(n2.name), { timeoutMs: 20_000, description: `${n2.name} to hold the VIP` });
  });

  it('suspend: true leaves the containers exactly as they are, even a removed one; false resumes', async () => {
    const before = await managedSix();
    // Priorities that would replace both containers, were the VIP not suspended.
    await writeFile(file(dir), six({ [n1.name]: 150, [n2.name]: 250 }, 'suspend: true'));
    await reconciler.waitForPassAfter(reconciler.logs.length - 1);
    expect(await managedSix()).toEqual(before);

    const gone = before.find((c) => c.node === n1.name);
    await dockerOf(n1)
      .getContainer(gone?.id ?? '')
      .remove({ force: true });
    await reconciler.waitForPassAfter(reconciler.logs.length - 1);
    expect((await managedSix()).map((c) => c.id)).toEqual(
      before.filter((c) => c.node !== n1.name).map((c) => c.id),
    );
    expect(await holderOf(cluster, address)).toBe(n2.name);

    await writeFile(file(dir), six({ [n1.name]: 150, [n2.name]: 250 }, 'suspend: false'));
    await waitFor(
      async () => {
        const now = await managedSix();
        return (
          now.length === 2 && now.every((c) => c.running && !before.some((b) => b.specHash === c.specHash))
        );
      },
      { timeoutMs: 30_000, description: 'both nodes on the new spec once resumed' },
    );
    await waitFor(heldBy(n2.name), { timeoutMs: 20_000, description: `${n2.name} (250) to hold the VIP` });

    await rm(file(dir));
    await waitFor(async () => (await managedSix()).length === 0, {
      timeoutMs: 30_000,
      description: 'no keepalived-six left',
    });
  });
});
