/** GitManifestSource against real git: a bare "remote" and a working clone in a temp directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { firstValueFrom, take, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GitManifestSource } from '../../src/adapters/git-manifest-source.js';
import { parseSnapshot } from '../../src/manifest/parse-manifests.js';
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
});
