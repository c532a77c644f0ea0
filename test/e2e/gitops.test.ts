/**
 * GitOps: the reconciler applies what is committed to a git repository (a real bare repository
 * served by a real `git daemon` on loopback, over git://), follows new commits, and a bad commit
 * never tears down a working VIP. /status, /metrics, the logs and `reconciler status` name the
 * applied revision and the last attempted one with why it failed (`file@commit:line`).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { holderOf, nodeNames, waitFor } from '../cluster/index.js';
import { startGitDaemon, type GitDaemon } from '../support/git-daemon.js';
import { gitRemote, type GitRemote } from '../support/git-remote.js';
import {
  RunningReconciler,
  containersOnNodes,
  runCli,
  nodeEndpointYaml,
  removeManagedContainers,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: vip } = testVip(cluster, 'gitops', 7);
const [name1, name2] = nodeNames(cluster, 2);

describe('GitOps (--git) on three real nodes', () => {
  let remote: GitRemote;
  let daemon: GitDaemon;
  let reconciler: RunningReconciler;
  let url = '';
  let statusUrl = '';
  interface Audit {
    applied?: { revision: string };
    attempted: { revision: string; outcome: string; reasons: string[] };
  }
  /** The daemon's own word on revisions (/status), once it says `ok` (bounded wait). */
  const revisionsWhen = async (ok: (audit: Audit) => boolean, description: string): Promise<Audit> => {
    let audit: Audit | undefined;
    await waitFor(
      async () => {
        const body = (await (await fetch(`${statusUrl}/status`)).json()) as { revisions?: Audit };
        audit = body.revisions;
        return audit !== undefined && ok(audit);
      },
      { timeoutMs: 30_000, description: `/status revisions: ${description}` },
    );
    return audit as Audit;
  };
  const lockFile = () => path.join(remote.root, 'lock');
  let good = '';
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
    daemon = await startGitDaemon(remote.root, 600_000);
    url = `${daemon.baseUrl}remote.git`;
    reconciler = new RunningReconciler([
      '--git',
      url,
      '--ref',
      'main',
      '--path',
      'cluster',
      '--interval',
      '500ms',
      '--git-checkout',
      path.join(remote.root, 'checkout'),
      '--lock-file',
      lockFile(),
      '--listen',
      '127.0.0.1:0',
    ]);
    statusUrl = await reconciler.listenUrl();
    await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await daemon?.stop();
    await removeManagedContainers(cluster);
    await rm(remote.root, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('a commit adding a VirtualIP brings it up on its nodes, and is the applied revision', async () => {
    good = await commit({ 'cluster/gitops.yaml': vip({ [name1]: 100, [name2]: 200 }) }, 'add gitops VIP');
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 30_000,
      description: `${name2} to hold the VIP committed to git`,
    });
    expect((await gitopsContainers()).map((c) => c.node)).toEqual([name1, name2]);
    const audit = await revisionsWhen((a) => a.applied?.revision === good, 'the good commit applied');
    expect(audit.attempted).toMatchObject({ revision: good, outcome: 'applied', reasons: [] });
  });

  it('`plan --git` on a proposal branch shows what merging it would do, and changes nothing', async () => {
    const before = await gitopsContainers();
    await remote.commit(
      { 'cluster/gitops.yaml': vip({ [name1]: 150, [name2]: 200 }) },
      `proposal: ${name1} at 150`,
      'proposal',
    );
    // The working clone goes back to main: later commits build on what the daemon follows.
    await remote.git('reset', '--quiet', '--hard', good);
    const planArgs = (ref: string) => [
      'plan',
      ...['--git', url, '--ref', ref, '--path', 'cluster'],
      ...['--git-checkout', path.join(remote.root, `plan-${ref}`)],
    ];
    const [proposal, main] = await Promise.all([runCli(planArgs('proposal')), runCli(planArgs('main'))]);
    expect(proposal.code).toBe(2);
    expect(proposal.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^gitops +${name1} +replace +keepalived-gitops {2}\\(spec hash `)),
    ]);
    expect([main.code, main.stdout.trim()]).toEqual([
      0,
      'Nothing to do: every node runs what the manifests say.',
    ]);
    expect((await gitopsContainers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
  });

  it('a bad commit changes nothing and is reported with the repository path; the next good commit applies', async () => {
    const before = await gitopsContainers();
    const bad = await commit(
      { 'cluster/gitops.yaml': vip({ [name1]: 100, [name2]: 300 }) },
      'priority out of range',
    );
    const problem = await reconciler.waitForLog(
      (l) => String(l.file).startsWith('cluster/gitops.yaml@') && l.path === '/spec/nodes/1/priority',
      'the bad commit to be reported',
    );
    expect(problem.line).toBe(10);
    // The pass that read the bad commit has applied whatever it planned before anything is compared.
    await reconciler.waitForPassEnd(problem.pass);
    expect((await gitopsContainers()).map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect(await holderOf(cluster, address)).toBe(name2);

    // Audited: attempted = the bad commit with file@commit:line, applied = still the good one.
    const where = `cluster/gitops.yaml@${bad.slice(0, 12)}:10: `;
    const audit = await revisionsWhen((a) => a.attempted.revision === bad, 'the bad commit attempted');
    expect(audit.applied?.revision).toBe(good);
    expect(audit.attempted.outcome).toBe('invalid-manifests');
    expect(audit.attempted.reasons).toEqual([expect.stringContaining(where)]);
    const warned = await reconciler.waitForLog(
      (l) => l.revision === bad && l.applied === good,
      'the audit log line',
    );
    expect(warned.msg).toBe(`revision not applied (invalid-manifests); still applied: ${good}`);
    const metrics = await (await fetch(`${statusUrl}/metrics`)).text();
    expect(metrics).toContain(
      `swarm_vip_manifest_revision_info{state="applied",revision="${good}",outcome="applied"} 1`,
    );
    expect(metrics).toContain(
      `swarm_vip_manifest_revision_info{state="attempted",revision="${bad}",outcome="invalid-manifests"} 1`,
    );
    // `reconciler status` (its own checkout, the same lock file) tells the same, as text and JSON.
    const statusArgs = [
      'status',
      '--git',
      url,
      '--ref',
      'main',
      '--path',
      'cluster',
      '--lock-file',
      lockFile(),
    ];
    const checkout = (name: string) => ['--git-checkout', path.join(remote.root, name)];
    // Both at once (each its own checkout): a status run costs a CLI start, a fetch and a probe.
    const [json, text] = await Promise.all([
      runCli([...statusArgs, ...checkout('status-json'), '-o', 'json']),
      runCli([...statusArgs, ...checkout('status-text')]),
    ]);
    const view = JSON.parse(json.stdout) as { revisions: Audit; revision: { manifests: string } };
    expect(view.revision.manifests).toBe(bad);
    expect(view.revisions).toMatchObject({ applied: { revision: good }, attempted: { revision: bad } });
    expect(text.stdout).toMatch(new RegExp(`^applied   ${good} at `, 'm'));
    expect(text.stdout).toMatch(new RegExp(`^attempted ${bad} at .*: invalid-manifests$`, 'm'));
    expect(text.stdout).toContain(`  ${where}`);

    const fix = await commit(
      { 'cluster/gitops.yaml': vip({ [name1]: 250, [name2]: 200 }) },
      `fix: ${name1} first`,
    );
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 30_000,
      description: `${name1} to hold the VIP after the fixing commit`,
    });
    const fixed = await revisionsWhen((a) => a.applied?.revision === fix, 'the fixing commit applied');
    expect(fixed.attempted).toMatchObject({ revision: fix, outcome: 'applied' });
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
