/**
 * `reconciler --once` and `status` meet addresses held wrongly, on three real nodes: `status`
 * shows each anomaly (VIP, node, container) and exits 4; `--once` removes each stale address from
 * its node, names VIP, node and container, and exits 1; the next `--once` exits 0. A target node
 * whose keepalived is stopped has no container to ask: its addresses are read in a helper
 * container, so a stray address there is still seen. A foreign VRRP router on a VIP's
 * virtual_router_id is found in the keepalived containers' recent log lines. Who holds an address is read from the
 * nodes' interfaces (`ip addr` in each namespace), never from the reconciler.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deriveVirtualRouterId } from '../../src/core/virtual-router-id.js';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holdersOf,
  inNode,
  startKeepalived,
  stopAndRemove,
  unicastConfig,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const [n1, n2, n3] = cluster.nodes;
if (!n1 || !n2 || !n3) throw new Error('these tests need a cluster of three nodes');
const all = testVip(cluster, 'oa', 18);
const pair = testVip(cluster, 'ob', 19);
/** A keepalived run by hand on node 3 with ob's virtual_router_id: a foreign VRRP router. */
const ROGUE = 'rogue-ob';

interface StatusJson {
  anomalies: {
    kind: string;
    vip: string;
    node?: string;
    nodes?: string[];
    container?: string | null;
    message: string;
  }[];
}

describe('--once and status with addresses held wrongly', () => {
  let dir = '';
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-once-anomalies-${process.pid}.lock`);
  const once = () => runCli(['--once', '--manifests', dir, '--lock-file', lockFile, '--log-format', 'json']);
  const status = async () => {
    const result = await runCli(['status', '--manifests', dir, '-o', 'json']);
    return { code: result.code, json: JSON.parse(result.stdout) as StatusJson };
  };
  const held = async (address: string) => (await holdersOf(cluster, address)).sort();

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    await writeFile(path.join(dir, 'oa.yaml'), all.yaml({ [n1.name]: 200, [n2.name]: 100, [n3.name]: 50 }));
    await writeFile(path.join(dir, 'ob.yaml'), pair.yaml({ [n1.name]: 200, [n2.name]: 100 }));
    const first = await once();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    for (const vip of [all, pair]) {
      await waitFor(async () => (await held(vip.address)).join() === n1.name, {
        timeoutMs: 20_000,
        description: `${vip.address} held by ${n1.name} alone`,
      });
    }
  });

  afterAll(async () => {
    await stopAndRemove(dockerOf(n3), ROGUE).catch(() => undefined);
    await removeManagedContainers(cluster);
    for (const vip of [all, pair]) {
      await inNode(n3, 'ip', ['addr', 'del', vip.cidr, 'dev', n3.interface]).catch(() => undefined);
    }
    await removeDir(dir);
    await removeLockFile(lockFile);
  });

  it('addresses put by hand on a backup and on a node the VIP does not target: status 4, --once removes them and exits 1 naming VIP, node and container', async () => {
    await inNode(n3, 'ip', ['addr', 'add', all.cidr, 'dev', n3.interface]);
    await inNode(n3, 'ip', ['addr', 'add', pair.cidr, 'dev', n3.interface]);
    expect(await held(all.address)).toEqual([n1.name, n3.name].sort());

    const seen = await status();
    expect(seen.code).toBe(4);
    expect(seen.json.anomalies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'stale-address',
          vip: 'oa',
          node: n3.name,
          container: 'keepalived-oa',
        }),
        expect.objectContaining({ kind: 'stale-address', vip: 'ob', node: n3.name, container: null }),
        expect.objectContaining({
          kind: 'split-brain',
          vip: 'oa',
          nodes: [n1.name, n3.name],
          containers: ['keepalived-oa', 'keepalived-oa'],
        }),
      ]),
    );

    const repaired = await once();
    expect(repaired.code, repaired.stdout + repaired.stderr).toBe(1);
    const lines = repaired.stdout.split('\n');
    const about = (vip: string) =>
      lines.find((l) => l.startsWith('anomaly stale-address') && l.includes(`VIP ${vip}:`));
    expect(about('oa')).toContain(`node ${n3.name} carries ${all.address}`);
    expect(about('oa')).toContain('(keepalived-oa) is BACKUP, not MASTER (container keepalived-oa)');
    expect(about('oa')).toContain(`removed ${all.cidr} ${n3.interface}`);
    // ob has no keepalived on node 3: removed inside keepalived-oa there (one exec, no helper container).
    expect(about('ob')).toContain('no keepalived of this VIP runs on the node (container none)');
    expect(about('ob')).toContain(`removed ${pair.cidr} ${n3.interface}`);
    expect(await held(all.address)).toEqual([n1.name]);
    expect(await held(pair.address)).toEqual([n1.name]);
    expect((await containersOnNodes(cluster)).filter((c) => c.node === n3.name && !c.managed)).toEqual([]);

    const again = await once();
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).not.toContain('anomaly');
  });

  it('a target node whose keepalived is stopped: status still sees an address put there (read by a helper); --once leaves one holder', async () => {
    const onN3 = (await containersOnNodes(cluster, 'keepalived-oa')).find(
      (c) => c.node === n3.name && c.managed,
    );
    await dockerOf(n3)
      .getContainer(onN3?.id ?? '')
      .stop({ t: 5 });
    await inNode(n3, 'ip', ['addr', 'add', all.cidr, 'dev', n3.interface]);

    const seen = await status();
    expect(seen.code).toBe(4);
    const stale = seen.json.anomalies.find((a) => a.kind === 'stale-address' && a.node === n3.name);
    expect(stale?.message).toContain(
      `node ${n3.name} carries ${all.address} but its keepalived (keepalived-oa) is not running`,
    );
    expect((await containersOnNodes(cluster)).filter((c) => c.node === n3.name && !c.managed)).toEqual([]);

    const repaired = await once();
    expect(repaired.stdout).toMatch(new RegExp(`done +start keepalived-oa on ${n3.name}`));
    expect(await held(all.address)).toEqual([n1.name]);
    const after = await status();
    expect(after.code, JSON.stringify(after.json.anomalies)).toBe(0);
  });

  it("a foreign VRRP router on a VIP's virtual_router_id: status shows the clash (exit 4) and --once names VIP, nodes and container (exit 1)", async () => {
    // VRRPv2 (ours speak v3) on node 3, which ob does not target, with ob's router ID and address.
    const config = unicastConfig(cluster, n3, {
      name: 'rogue',
      virtualRouterId: deriveVirtualRouterId('ob'),
      priority: 250,
      vip: pair.cidr,
      advertIntervalSeconds: 1,
    });
    await startKeepalived(n3, { name: ROGUE, image: KEEPALIVED_TEST_IMAGE, config });
    try {
      // Until status names n1 too: the rogue's first advert reaches both of ob's nodes at once,
      // but one status run reads their logs one after the other and may read one just before it.
      const seen = await waitFor(
        async () => {
          const result = await status();
          const clash = result.json.anomalies.find(
            (a) => a.kind === 'vrid-clash' && a.vip === 'ob' && a.nodes?.includes(n1.name),
          );
          return clash ? { code: result.code, clash } : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 500, description: 'status to show the clash on ob' },
      );
      expect(seen.code).toBe(4);
      expect(seen.clash.nodes).not.toContain(n3.name);
      expect(seen.clash.container).toBe('keepalived-ob');
      expect(seen.clash.message).toContain('another VRRP router uses the same ID with another VRRP version');

      const text = await runCli(['status', '--manifests', dir]);
      expect(text.code).toBe(4);
      expect(text.stdout).toMatch(
        new RegExp(
          `^anomaly vrid-clash: VIP ob: keepalived on ${n1.name}\\b.*\\(container keepalived-ob\\)$`,
          'm',
        ),
      );

      const repaired = await once();
      expect(repaired.code, repaired.stdout + repaired.stderr).toBe(1);
      expect(repaired.stdout).toMatch(
        new RegExp(
          `^anomaly vrid-clash: VIP ob: keepalived on ${n1.name}\\b.* drops VRRP adverts for its virtual_router_id .*\\(container keepalived-ob\\)$`,
          'm',
        ),
      );
      // Our keepalived for ob still holds on node 1 (what the rogue put on node 3 is another matter).
      expect(await held(pair.address)).toContain(n1.name);
    } finally {
      await stopAndRemove(dockerOf(n3), ROGUE);
      await inNode(n3, 'ip', ['addr', 'del', pair.cidr, 'dev', n3.interface]).catch(() => undefined);
    }
    // The foreign adverts stop: once they are older than the window read, status is clean again.
    await waitFor(async () => (await status()).code === 0, {
      timeoutMs: 30_000,
      intervalMs: 1000,
      description: 'status to exit 0 once the foreign router is gone',
    });
    expect(await held(pair.address)).toEqual([n1.name]);
  });
});
