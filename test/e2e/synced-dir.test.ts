/**
 * A manifest directory kept in sync by someone else, git-sync style: the root holds
 * `..data -> ..2026_12_01_<generation>` and entries linking through it; the syncer writes a new
 * generation and flips `..data` by renaming a new symlink over it. The reconciler (watch mode)
 * follows the flip on three real nodes: the VIP moves as the new generation says, read from the
 * nodes' interfaces.
 */
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { holderOf, nodeNames, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  nodeEndpointYaml,
  removeManagedContainers,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: vip } = testVip(cluster, 'synced', 7);
const [name1, name2] = nodeNames(cluster, 2);

describe('a git-sync style directory (..data symlink flip) on three real nodes', () => {
  let root = '';
  let reconciler: RunningReconciler;
  const names = [...cluster.nodes.map((n) => `node-${n.name}.yaml`), 'synced.yaml'];

  /** Writes a whole generation, then flips `..data` to it in one rename. */
  const publish = async (generation: string, priorities: Record<string, number>) => {
    const dir = path.join(root, `..2026_12_01_${generation}`);
    await mkdir(dir);
    for (const node of cluster.nodes)
      await writeFile(path.join(dir, `node-${node.name}.yaml`), nodeEndpointYaml(node));
    await writeFile(path.join(dir, 'synced.yaml'), vip(priorities));
    await symlink(path.basename(dir), path.join(root, '..data_tmp'));
    await rename(path.join(root, '..data_tmp'), path.join(root, '..data'));
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-synced-'));
    await publish('g1', { [name1]: 200, [name2]: 100 });
    for (const name of names) await symlink(`..data/${name}`, path.join(root, name));
    reconciler = new RunningReconciler(['--manifests', root, '--lock-file', path.join(root, '..lock')]);
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await rm(root, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('follows the flip: the VIP moves to the node the new generation prefers', async () => {
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 30_000,
      description: `${name1} to hold the VIP of generation g1`,
    });
    const loaded = reconciler.logs.filter((l) => l.msg === 'manifests loaded').length;
    await publish('g2', { [name1]: 100, [name2]: 250 });
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 30_000,
      description: `${name2} to hold the VIP after the flip to g2`,
    });
    // The flip was read as one new revision, with no problem (no half generation in between).
    const after = reconciler.logs.filter((l) => l.msg === 'manifests loaded').slice(loaded);
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.every((l) => l.problems === 0)).toBe(true);
  });
});
