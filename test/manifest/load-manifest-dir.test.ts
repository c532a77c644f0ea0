import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  loadManifestDir,
  ManifestDirError,
  type ManifestDirDeps,
} from '../../src/manifest/load-manifest-dir.js';

const vip = (name: string, id: number) => `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: ${name} }
spec:
  addresses: [192.168.4.${id}/24]
  virtualRouterId: ${id}
  nodes: [{ name: node-1, priority: 100 }]
`;

describe('loadManifestDir on the file system', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'manifests-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads *.yaml, *.yml and *.json recursively, in name order, skipping hidden entries and node_modules', async () => {
    const files: Record<string, string> = {
      'b.yaml': vip('b', 2),
      'a.yml': vip('a', 1),
      'sub/c.json': JSON.stringify({
        apiVersion: 'swarm-vip/v1',
        kind: 'VirtualIP',
        metadata: { name: 'c' },
        spec: { addresses: ['192.168.4.3/24'], virtualRouterId: 3, nodes: [{ name: 'node-1', priority: 1 }] },
      }),
      'notes.txt': 'not a manifest',
      '.hidden.yaml': 'broken: [',
      '.git/x.yaml': 'broken: [',
      'node_modules/x/y.yaml': 'broken: [',
      '..data/d.yaml': vip('d', 4),
    };
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
      await writeFile(path.join(dir, file), text);
    }
    // A Kubernetes-style mount: visible names that are links into a hidden directory.
    await symlink(path.join(dir, '..data/d.yaml'), path.join(dir, 'd.yaml'));
    await symlink(path.join(dir, 'missing.yaml'), path.join(dir, 'dangling.yaml'));

    const set = await loadManifestDir(dir);
    expect(set.problems).toEqual([]);
    expect(set.files).toEqual(['a.yml', 'b.yaml', 'd.yaml', 'sub/c.json'].map((f) => path.join(dir, f)));
    expect(set.virtualIPs.map((v) => [v.manifest.metadata.name, v.origin.file])).toEqual([
      ['a', path.join(dir, 'a.yml')],
      ['b', path.join(dir, 'b.yaml')],
      ['d', path.join(dir, 'd.yaml')],
      ['c', path.join(dir, 'sub/c.json')],
    ]);
  });

  it('names files as fileLabel says', async () => {
    await writeFile(path.join(dir, 'a.yaml'), 'kind: VirtualIP\n');
    const set = await loadManifestDir(dir, undefined, { fileLabel: (relative) => `repo/${relative}` });
    expect(new Set(set.problems.map((p) => p.file))).toEqual(new Set(['repo/a.yaml']));
  });

  it.each([
    ['missing', 'nope', 'manifest-dir-not-found'],
    ['a file', 'file.yaml', 'manifest-dir-not-a-directory'],
  ])('throws a typed error when the directory is %s', async (_, name, code) => {
    await writeFile(path.join(dir, 'file.yaml'), '');
    const error = await loadManifestDir(path.join(dir, name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestDirError);
    expect(error).toMatchObject({ code, cause: expect.objectContaining({ code: expect.any(String) }) });
  });
});

describe('loadManifestDir with injected I/O', () => {
  const deps = (tree: Record<string, string | Error>): ManifestDirDeps => ({
    realPath: async (dir) => dir,
    now: () => 0,
    async readDir(dir) {
      if (dir === 'm/broken') throw new Error('EACCES: permission denied');
      const prefix = dir === 'm' ? '' : `${dir.slice(2)}/`;
      const names = new Set(
        Object.keys(tree)
          .filter((file) => file.startsWith(prefix))
          .map((file) => file.slice(prefix.length).split('/')[0]!),
      );
      if (dir === 'm') names.add('broken');
      const entries = [...names].map((name) => ({
        name,
        type: `${prefix}${name}` in tree ? ('file' as const) : ('directory' as const),
      }));
      return { entries, truncated: false };
    },
    async readFile(file) {
      const content = tree[file.slice(2)];
      if (content instanceof Error) throw content;
      return Buffer.from(content ?? '');
    },
  });

  it('reports unreadable files and directories as problems and stops pruning', async () => {
    const set = await loadManifestDir(
      'm',
      deps({ 'a.yaml': vip('a', 1), 'b.yaml': new Error('EACCES: permission denied') }),
    );
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['a']);
    expect(set.problems).toEqual([
      {
        code: 'read-error',
        file: 'm/b.yaml',
        line: 1,
        col: 1,
        path: '',
        message: 'cannot read: EACCES: permission denied',
      },
      {
        code: 'read-error',
        file: 'm/broken',
        line: 1,
        col: 1,
        path: '',
        message: 'cannot read: EACCES: permission denied',
      },
    ]);
    expect(set.frozen.unknownNames).toBe(true);
  });
});
