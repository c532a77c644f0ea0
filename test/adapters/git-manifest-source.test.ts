/** GitManifestSource against real git: a bare "remote" and a working clone in a temp directory. */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { firstValueFrom, take, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GitManifestSource } from '../../src/adapters/git-manifest-source.js';
import { ConfigError, GitError } from '../../src/errors.js';
import { parseSnapshot } from '../../src/manifest/parse-manifests.js';
import { startGitDaemon } from '../support/git-daemon.js';
import { gitRemote } from '../support/git-remote.js';

const roots: string[] = [];

async function newRemote() {
  const remote = await gitRemote('git-test');
  roots.push(remote.root);
  return remote;
}

const vipYaml = (name: string, address: string) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${name} }\nspec:\n  addresses: [${address}]\n  nodes: [{ name: n1, priority: 100 }]\n`;

/** The source, with `load()`: its snapshot parsed. */
function source(url: string, root: string, ref = 'main') {
  const git = new GitManifestSource({
    url,
    ref,
    path: 'manifests',
    checkoutDir: path.join(root, 'checkout'),
    pollIntervalMs: 50,
    timeoutMs: 20_000,
    log: pino({ level: 'silent' }),
  });
  return Object.assign(git, { load: async () => parseSnapshot(await git.snapshot()) });
}

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('GitManifestSource', () => {
  it('loads what is committed at the ref, naming files by repository path and commit', async () => {
    const remote = await newRemote();
    const commit = await remote.commit(
      { 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') },
      'add web',
    );
    const set = await source(remote.url, remote.root).load();
    expect(set.virtualIPs.map((v) => [v.manifest.metadata.name, v.origin.file])).toEqual([
      ['web', `manifests/web.yaml@${commit.slice(0, 12)}`],
    ]);
  });

  it('emits a change when the ref moves, and the next load sees the new commit', async () => {
    const remote = await newRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'add web');
    const git = source(remote.url, remote.root);
    await git.load();
    await remote.commit({ 'manifests/api.yaml': vipYaml('api', '198.18.0.101/24') }, 'add api');
    await firstValueFrom(git.changes().pipe(take(1), timeout(10_000)));
    expect((await git.load()).virtualIPs.map((v) => v.manifest.metadata.name).sort()).toEqual(['api', 'web']);
  });

  it('follows a tag', async () => {
    const remote = await newRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'v1');
    await remote.git('tag', 'v1');
    await remote.git('push', '--quiet', 'origin', 'v1');
    await remote.commit({ 'manifests/api.yaml': vipYaml('api', '198.18.0.101/24') }, 'after v1');
    const set = await source(remote.url, remote.root, 'v1').load();
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['web']);
  });

  it('keeps the last checkout when the remote goes away; with no checkout at all it says what failed', async () => {
    const remote = await newRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'add web');
    await source(remote.url, remote.root).load();
    const gone = `file://${path.join(remote.root, 'no-such-remote.git')}`;
    const fresh = source(gone, remote.root);
    expect((await fresh.load()).virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['web']);
    const other = await mkdtemp(path.join(tmpdir(), 'swarm-vip-git-empty-'));
    roots.push(other);
    await expect(source(gone, other).load()).rejects.toThrow(
      /cannot fetch main from file:\/\/.*no-such-remote/,
    );
  });

  it("keeps git's own message as the cause: a repository that does not exist", async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'swarm-vip-git-empty-'));
    roots.push(other);
    const gone = `file://${path.join(other, 'no-such-remote.git')}`;
    const error: unknown = await source(gone, other)
      .snapshot()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const cause = (error as ConfigError).cause;
    expect(cause).toBeInstanceOf(GitError);
    expect((cause as GitError).code).toBe('git-remote-unreachable');
    // git's own words, on one line, as the user would see them running git by hand.
    expect((cause as GitError).gitMessage).toMatch(
      /no-such-remote\.git' does not appear to be a git repository/,
    );
    expect((error as Error).message).toContain('does not appear to be a git repository');
  });

  it("a ref that vanished from the remote: git's message in status, the last revision stays in force", async () => {
    const remote = await newRemote();
    const commit = await remote.commit(
      { 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') },
      'add web',
    );
    await remote.git('push', '--quiet', 'origin', 'HEAD:release');
    const git = source(remote.url, remote.root, 'release');
    await git.load();
    await remote.git('push', '--quiet', 'origin', '--delete', 'release');
    const error: unknown = await git.sync().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitError);
    expect((error as GitError).code).toBe('git-ref-not-found');
    expect((error as GitError).gitMessage).toBe("fatal: couldn't find remote ref release");
    const status = git.status();
    expect(status.error).toMatchObject({
      code: 'git-ref-not-found',
      message: expect.stringContaining("couldn't find remote ref release") as unknown,
    });
    expect(status.revision).toBe(commit);
    const set = await git.load();
    expect(set.revision).toBe(commit);
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['web']);
  });

  it('hides a password in the URL from messages and status', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'swarm-vip-git-empty-'));
    roots.push(other);
    // Port 9 on loopback: nothing listens (discard), so git fails fast without leaving the host.
    const git = source('http://deploy:s3cret@127.0.0.1:9/ops.git', other);
    const error: unknown = await git.snapshot().catch((e: unknown) => e);
    expect(String((error as Error).message)).not.toContain('s3cret');
    expect(String(((error as Error).cause as GitError).gitMessage)).not.toContain('s3cret');
    expect(JSON.stringify(git.status())).not.toContain('s3cret');
    expect(git.status().source).toContain('http://deploy:***@127.0.0.1:9/ops.git');
  });

  it('follows commits from git daemon over git:// on loopback', async () => {
    const remote = await newRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'add web');
    const daemon = await startGitDaemon(remote.root);
    try {
      const git = source(`${daemon.baseUrl}remote.git`, remote.root);
      expect((await git.load()).virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['web']);
      const next = await remote.commit(
        { 'manifests/api.yaml': vipYaml('api', '198.18.0.101/24') },
        'add api',
      );
      await firstValueFrom(git.changes().pipe(take(1), timeout(10_000)));
      const set = await git.load();
      expect(set.revision).toBe(next);
      expect(set.virtualIPs.map((v) => v.manifest.metadata.name).sort()).toEqual(['api', 'web']);
      // A repository the daemon does not serve: its own "not exported" answer is the cause.
      const elsewhere = await mkdtemp(path.join(tmpdir(), 'swarm-vip-git-empty-'));
      roots.push(elsewhere);
      const error: unknown = await source(`${daemon.baseUrl}nothing.git`, elsewhere)
        .sync()
        .catch((e: unknown) => e);
      expect((error as GitError).code).toBe('git-remote-unreachable');
      expect((error as GitError).gitMessage).toBe('fatal: remote error: no such repository: /nothing.git');
    } finally {
      await daemon.stop();
    }
  });

  it('never mixes two commits in one snapshot, while the checkout moves between them', async () => {
    const remote = await newRemote();
    const files = (generation: string) =>
      Object.fromEntries(
        Array.from({ length: 300 }, (_, i) => [
          `manifests/f${String(i).padStart(3, '0')}.yaml`,
          `# generation ${generation}\n${'x'.repeat(2000)}\n`,
        ]),
      );
    const first = await remote.commit(files('A'), 'A');
    const second = await remote.commit(files('B'), 'B');
    const generationOf = new Map([
      [first, 'A'],
      [second, 'B'],
    ]);
    const git = source(remote.url, remote.root);
    await git.sync();
    const bare = new URL(remote.url).pathname;
    for (let round = 0; round < 8; round++) {
      const commit = round % 2 === 0 ? first : second;
      await remote.git('--git-dir', bare, 'update-ref', 'refs/heads/main', commit);
      const reads = Array.from({ length: 4 }, () => git.snapshot());
      const [synced, ...snapshots] = await Promise.all([git.sync(), ...reads]);
      expect(synced).toBe(commit);
      for (const snapshot of snapshots) {
        // A loaded machine may hit the load's time limit: that is reported, never a silent gap.
        const slow = snapshot.unreadable.filter((p) => /limit loadTimeoutMs/.test(p.message));
        expect(snapshot.unreadable).toEqual(slow);
        if (slow.length === 0) expect(snapshot.files).toHaveLength(300);
        const generations = new Set(snapshot.files.map((f) => /generation (\w)/.exec(f.text)?.[1]));
        expect([...generations]).toEqual([generationOf.get(snapshot.revision)]);
      }
    }
    // Old revision directories are pruned: at most the current one and two before it.
    const revisions = await readdir(path.join(remote.root, 'checkout', 'revisions'));
    expect(revisions.length).toBeLessThanOrEqual(3);
  });
});
