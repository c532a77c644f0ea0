/** GitManifestSource against real git: a bare "remote" and a working clone in a temp directory. */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { firstValueFrom, take, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GitManifestSource } from '../../src/adapters/git-manifest-source.js';

const run = promisify(execFile);
const roots: string[] = [];

const vipYaml = (name: string, address: string) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${name} }\nspec:\n  addresses: [${address}]\n  nodes: [{ name: n1, priority: 100 }]\n`;

/** A bare remote plus a clone to commit from; `commit` writes files and pushes them. */
async function gitRemote() {
  const root = await mkdtemp(path.join(tmpdir(), 'swarm-vip-git-test-'));
  roots.push(root);
  const remote = path.join(root, 'remote.git');
  const work = path.join(root, 'work');
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', remote]);
  await run('git', ['clone', '--quiet', remote, work]);
  const git = (...args: string[]) =>
    run('git', ['-C', work, '-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args]);
  return {
    root,
    url: `file://${remote}`,
    async commit(files: Record<string, string>, message: string): Promise<string> {
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), text);
      }
      await git('add', '-A');
      await git('commit', '--quiet', '-m', message);
      await git('push', '--quiet', 'origin', 'HEAD:main');
      return (await git('rev-parse', 'HEAD')).stdout.trim();
    },
    tag: (name: string) => git('tag', name).then(() => git('push', '--quiet', 'origin', name)),
  };
}

function source(url: string, root: string, ref = 'main') {
  return new GitManifestSource({
    url,
    ref,
    path: 'manifests',
    checkoutDir: path.join(root, 'checkout'),
    pollIntervalMs: 50,
    timeoutMs: 20_000,
    log: pino({ level: 'silent' }),
  });
}

afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

describe('GitManifestSource', () => {
  it('loads what is committed at the ref, naming files by repository path and commit', async () => {
    const remote = await gitRemote();
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
    const remote = await gitRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'add web');
    const git = source(remote.url, remote.root);
    await git.load();
    await remote.commit({ 'manifests/api.yaml': vipYaml('api', '198.18.0.101/24') }, 'add api');
    await firstValueFrom(git.changes().pipe(take(1), timeout(10_000)));
    expect((await git.load()).virtualIPs.map((v) => v.manifest.metadata.name).sort()).toEqual(['api', 'web']);
  });

  it('follows a tag', async () => {
    const remote = await gitRemote();
    await remote.commit({ 'manifests/web.yaml': vipYaml('web', '198.18.0.100/24') }, 'v1');
    await remote.tag('v1');
    await remote.commit({ 'manifests/api.yaml': vipYaml('api', '198.18.0.101/24') }, 'after v1');
    const set = await source(remote.url, remote.root, 'v1').load();
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['web']);
  });

  it('keeps the last checkout when the remote goes away; with no checkout at all it says what failed', async () => {
    const remote = await gitRemote();
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
});
