/**
 * GitOps: the reconciler applies what is committed to a git repository (a real bare repository
 * served over file://), follows new commits, and a bad commit never tears down a working VIP.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { holderOf, waitFor } from '../cluster/index.js';
import { gitRemote, type GitRemote } from '../support/git-remote.js';
import {
  RunningReconciler,
  containersOnNodes,
  nodeEndpointYaml,
  removeManagedContainers,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: vip } = testVip(cluster, 'gitops', 7);

describe('GitOps (--git) on three real nodes', () => {
  let remote: GitRemote;
  let reconciler: RunningReconciler;
  const commit = (files: Record<string, string>, message: string) => remote.commit(files, message);

  const gitopsContainers = async () =>
    (await containersOnNodes(cluster, 'keepalived-gitops')).filter((c) => c.managed);

  beforeAll(async () => {
    remote = await gitRemote('e2e-gitops');
    const endpoints: Record<string, string> = {};
    for (const node of cluster.nodes) {
      endpoints[`cluster/${node.name}.yaml`] = nodeEndpointYaml(node);
    }
    await commit({ ...endpoints, 'README.md': 'not a manifest directory\n' }, 'nodes');
    reconciler = new RunningReconciler([
      '--git',
      remote.url,
      '--ref',
      'main',
      '--path',
      'cluster',
      '--interval',
      '500ms',
      '--git-checkout',
      path.join(remote.root, 'checkout'),
      '--lock-file',
      path.join(remote.root, 'lock'),
    ]);
    await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await rm(remote.root, { recursive: true, force: true });
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
    // The pass that read the bad commit has applied whatever it planned before anything is compared.
    await reconciler.waitForPassEnd(problem.pass);
    expect((await gitopsContainers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(await holderOf(cluster, address)).toBe('tbnode2');

    await commit({ 'cluster/gitops.yaml': vip({ tbnode1: 250, tbnode2: 200 }) }, 'fix: tbnode1 first');
    await waitFor(() => holderOf(cluster, address).then((h) => h === 'tbnode1'), {
      timeoutMs: 30_000,
      description: 'tbnode1 to hold the VIP after the fixing commit',
    });
  });

  it('a commit deleting the VirtualIP removes its containers', async () => {
    await remote.git('rm', '--quiet', 'cluster/gitops.yaml');
    await remote.git('commit', '--quiet', '-m', 'remove gitops VIP');
    await remote.git('push', '--quiet', 'origin', 'HEAD:main');
    await waitFor(async () => (await gitopsContainers()).length === 0, {
      timeoutMs: 30_000,
      description: 'the gitops containers to be removed',
    });
  });
});
