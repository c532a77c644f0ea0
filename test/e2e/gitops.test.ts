/**
 * GitOps: the reconciler applies what is committed to a git repository (a real bare repository
 * served over file://), follows new commits, and a bad commit never tears down a working VIP.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEEPALIVED_TEST_IMAGE, holderOf, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  removeManagedContainers,
  vipYaml,
} from './reconciler-harness.js';

const run = promisify(execFile);
const cluster = inject('cluster');
const address = cluster.spareIpv4[7] ?? '';

describe('GitOps (--git) on three real nodes', () => {
  let root = '';
  let work = '';
  let reconciler: RunningReconciler;
  const git = (...args: string[]) =>
    run('git', ['-C', work, '-c', 'user.name=ops', '-c', 'user.email=ops@example.invalid', ...args]);
  const commit = async (files: Record<string, string>, message: string) => {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await writeFile(path.join(work, file), text);
    }
    await git('add', '-A');
    await git('commit', '--quiet', '-m', message);
    await git('push', '--quiet', 'origin', 'HEAD:main');
  };
  const vip = (priorities: Record<string, number>) =>
    vipYaml({
      name: 'gitops',
      address: `${address}/${cluster.ipv4PrefixLength}`,
      priorities,
      image: KEEPALIVED_TEST_IMAGE,
    });
  const gitopsContainers = async () =>
    (await containersOnNodes(cluster, 'keepalived-gitops')).filter((c) => c.managed);

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-gitops-'));
    work = path.join(root, 'work');
    await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', path.join(root, 'remote.git')]);
    await run('git', ['clone', '--quiet', path.join(root, 'remote.git'), work]);
    const endpoints: Record<string, string> = {};
    for (const node of cluster.nodes) {
      endpoints[`cluster/${node.name}.yaml`] =
        `apiVersion: swarm-vip/v1\nkind: NodeEndpoint\nmetadata: { name: ${node.name} }\n` +
        `spec:\n  docker: ${node.dockerUrl}\n  address: ${node.ipv4}\n`;
    }
    await commit({ ...endpoints, 'README.md': 'not a manifest directory\n' }, 'nodes');
    reconciler = new RunningReconciler([
      '--git',
      `file://${path.join(root, 'remote.git')}`,
      '--ref',
      'main',
      '--path',
      'cluster',
      '--interval',
      '500ms',
      '--git-checkout',
      path.join(root, 'checkout'),
      '--lock-file',
      path.join(root, 'lock'),
    ]);
    await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await rm(root, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('a commit adding a VirtualIP brings it up on its nodes', async () => {
    await commit({ 'cluster/gitops.yaml': vip({ tbnode1: 100, tbnode2: 200 }) }, 'add gitops VIP');
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode2'), {
      timeoutMs: 30_000,
      description: 'tbnode2 to hold the VIP committed to git',
    });
    expect((await gitopsContainers()).map((c) => c.node)).toEqual(['tbnode1', 'tbnode2']);
  });

  it('a bad commit changes nothing and is reported with the repository path; the next good commit applies', async () => {
    const before = await gitopsContainers();
    await commit({ 'cluster/gitops.yaml': vip({ tbnode1: 100, tbnode2: 300 }) }, 'priority out of range');
    const problem = await reconciler.waitForLog(
      (l) => String(l.file).startsWith('cluster/gitops.yaml@') && l.path === '/spec/nodes/1/priority',
      'the bad commit to be reported',
    );
    expect(problem.line).toBe(10);
    expect((await gitopsContainers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(await holderOf(cluster, address)).toBe('tbnode2');

    await commit({ 'cluster/gitops.yaml': vip({ tbnode1: 250, tbnode2: 200 }) }, 'fix: tbnode1 first');
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode1'), {
      timeoutMs: 30_000,
      description: 'tbnode1 to hold the VIP after the fixing commit',
    });
  });

  it('a commit deleting the VirtualIP removes its containers', async () => {
    await git('rm', '--quiet', 'cluster/gitops.yaml');
    await git('commit', '--quiet', '-m', 'remove gitops VIP');
    await git('push', '--quiet', 'origin', 'HEAD:main');
    await waitFor(async () => (await gitopsContainers()).length === 0, {
      timeoutMs: 30_000,
      description: 'the gitops containers to be removed',
    });
  });
});
