/**
 * Links committed in a GitOps repository, through GitManifestSource against real git: a link
 * that leaves the manifest path (to the host, to the repository around it, or by a chain) is not
 * read and its target never shown; the valid VIP beside it still loads.
 */
import { rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { GitManifestSource } from '../../src/adapters/git-manifest-source.js';
import { parseSnapshot } from '../../src/manifest/parse-manifests.js';
import { gitRemote, type GitRemote } from '../support/git-remote.js';

const SECRET = 'TOPSECRET-in-the-repo';
const VALID = `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: valid }
spec:
  addresses: [198.18.0.100/24]
  nodes: [{ name: n1, priority: 100 }]
`;

let remote: GitRemote | undefined;
afterAll(async () => {
  if (remote) await rm(remote.root, { recursive: true, force: true });
});

describe('GitManifestSource with committed links', () => {
  it('refuses links that leave the manifest path and shows nothing of their targets', async () => {
    remote = await gitRemote('git-links');
    const work = path.join(remote.root, 'work');
    await remote.commit({ 'manifests/valid.yaml': VALID, 'secret.yaml': `kind: ${SECRET}\n` }, 'base');
    await symlink('/proc/self/environ', path.join(work, 'manifests', 'environ.yaml'));
    await symlink('/etc/passwd', path.join(work, 'manifests', 'passwd.yaml'));
    await symlink('../secret.yaml', path.join(work, 'manifests', 'repo.yaml'));
    await symlink('hop.yaml', path.join(work, 'manifests', 'chain.yaml'));
    await symlink('../secret.yaml', path.join(work, 'manifests', 'hop.yaml'));
    await symlink('..', path.join(work, 'manifests', 'up'));
    const commit = await remote.commit({}, 'links out');
    const git = new GitManifestSource({
      url: remote.url,
      ref: 'main',
      path: 'manifests',
      checkoutDir: path.join(remote.root, 'checkout'),
      pollIntervalMs: 60_000,
      timeoutMs: 20_000,
      log: pino({ level: 'silent' }),
    });
    const set = parseSnapshot(await git.snapshot());
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['valid']);
    const at = `@${commit.slice(0, 12)}`;
    expect(set.problems.map((p) => [p.file, p.code]).sort()).toEqual(
      [
        [`manifests/chain.yaml${at}`, 'link-outside'],
        [`manifests/environ.yaml${at}`, 'link-outside'],
        [`manifests/hop.yaml${at}`, 'link-outside'],
        [`manifests/passwd.yaml${at}`, 'link-outside'],
        [`manifests/repo.yaml${at}`, 'link-outside'],
        [`manifests/up${at}`, 'link-outside'],
      ].sort(),
    );
    const shown = JSON.stringify(set.problems);
    for (const leaked of [
      SECRET,
      'root:x:0:0',
      'PATH=',
      '/etc/passwd',
      '/proc/self/environ',
      'secret.yaml',
    ]) {
      expect(shown).not.toContain(leaked);
    }
  }, 60_000);
});
