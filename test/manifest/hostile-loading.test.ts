/**
 * Hostile directories and files on the real file system: each is a problem at file:line naming
 * what is wrong (or the limit it breaks), nothing outside the directory is read or echoed, and
 * the valid VIP beside it still loads.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MANIFEST_LIMITS, type ManifestLimits } from '../../src/manifest/limits.js';
import { loadManifestDir, nodeFileSystem } from '../../src/manifest/load-manifest-dir.js';

const VALID = `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: valid }
spec:
  addresses: [198.18.0.100/24]
  nodes: [{ name: node-1, priority: 100 }]
`;
const SECRET = 'TOPSECRET-d0cker';

describe('loadManifestDir with hostile entries', () => {
  let root = '';
  let dir = '';
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'hostile-'));
    dir = path.join(root, 'manifests');
    await mkdir(dir);
    await writeFile(path.join(dir, 'valid.yaml'), VALID);
    await writeFile(path.join(root, 'secret.yaml'), `kind: ${SECRET}\n`);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function load(limits: Partial<ManifestLimits> = {}, deps = nodeFileSystem) {
    const set = await loadManifestDir(dir, deps, { limits: { ...DEFAULT_MANIFEST_LIMITS, ...limits } });
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['valid']);
    expect(set.frozen.unknownNames).toBe(true);
    return set.problems.map((p) => ({ ...p, file: path.relative(dir, p.file) }));
  }

  it('never follows a link out of the directory, nor echoes what it points at', async () => {
    await symlink(path.join(root, 'secret.yaml'), path.join(dir, 'link.yaml'));
    await symlink('/proc/self/environ', path.join(dir, 'environ.yaml'));
    await symlink(root, path.join(dir, 'up'));
    const problems = await load();
    expect(problems.map((p) => [p.file, p.code])).toEqual([
      ['environ.yaml', 'link-outside'],
      ['link.yaml', 'link-outside'],
      ['up', 'link-outside'],
    ]);
    expect(JSON.stringify(problems)).not.toContain(SECRET);
    expect(JSON.stringify(problems)).not.toContain('PATH=');
  });

  it('reads links that stay inside (git-sync / Kubernetes ..data layouts)', async () => {
    await mkdir(path.join(dir, '..2026_12_01'));
    await writeFile(
      path.join(dir, '..2026_12_01', 'other.yaml'),
      VALID.replace('name: valid', 'name: other').replace('.100', '.101'),
    );
    await symlink('..2026_12_01', path.join(dir, '..data'));
    await symlink('..data/other.yaml', path.join(dir, 'other.yaml'));
    const set = await loadManifestDir(dir);
    expect(set.problems).toEqual([]);
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['other', 'valid']);
  });

  it('two links to "." end in one problem each, not a walk forever', async () => {
    await symlink('.', path.join(dir, 'a'));
    await symlink('.', path.join(dir, 'b'));
    expect((await load()).map((p) => [p.file, p.code])).toEqual([
      ['a', 'link-loop'],
      ['b', 'link-loop'],
    ]);
  });

  it('a FIFO is refused without blocking', async () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    expect((await load()).map((p) => [p.file, p.message])).toEqual([
      ['fifo.yaml', 'cannot read: not a regular file (a FIFO, device or socket is never read)'],
    ]);
  });

  it('invalid UTF-8 is an error at its position, not silently replaced', async () => {
    await writeFile(
      path.join(dir, 'latin1.yaml'),
      Buffer.from('kind: VirtualIP\nmetadata:\n  name: caf\xe9\n', 'latin1'),
    );
    expect(await load()).toEqual([
      expect.objectContaining({
        file: 'latin1.yaml',
        line: 3,
        col: 12,
        code: 'invalid-utf8',
        message: expect.stringContaining('byte 0xe9'),
      }),
    ]);
  });

  it.each<[string, Partial<ManifestLimits>, (dir: string) => Promise<void>, RegExp]>([
    [
      'a file over maxFileBytes',
      { maxFileBytes: 1024 },
      (d) => writeFile(path.join(d, 'big.yaml'), `# ${'x'.repeat(2000)}\n`),
      /larger than 1 KiB \(limit maxFileBytes\)/,
    ],
    [
      'files over maxTotalBytes',
      { maxTotalBytes: 300 },
      (d) => writeFile(path.join(d, 'z.yaml'), `# ${'x'.repeat(200)}\n`),
      /together exceed 300 bytes \(limit maxTotalBytes\)/,
    ],
    [
      'more files than maxFiles',
      { maxFiles: 1 },
      (d) => writeFile(path.join(d, 'z.yaml'), '# z\n'),
      /more than 1 manifest files \(limit maxFiles\)/,
    ],
    [
      'a directory over maxDirectoryEntries',
      { maxDirectoryEntries: 5 },
      async (d) => {
        await mkdir(path.join(d, 'many'));
        for (let i = 0; i < 6; i++) await writeFile(path.join(d, 'many', `${i}.txt`), '');
      },
      /more than 5 entries \(limit maxDirectoryEntries\)/,
    ],
    [
      'directories deeper than maxDirectoryDepth',
      { maxDirectoryDepth: 2 },
      async (d) => {
        await mkdir(path.join(d, 'a/b/c'), { recursive: true });
      },
      /more than 2 levels deep \(limit maxDirectoryDepth\)/,
    ],
  ])('%s is one problem naming the limit', async (_, limits, setup, message) => {
    await setup(dir);
    const problems = await load(limits);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(message);
  });

  it('a load past loadTimeoutMs stops reading and says so', async () => {
    await writeFile(path.join(dir, 'z.yaml'), '# z\n');
    let clock = 0;
    const slow = { ...nodeFileSystem, now: () => (clock += 2000) };
    const set = await loadManifestDir(dir, slow, {
      limits: { ...DEFAULT_MANIFEST_LIMITS, loadTimeoutMs: 3000 },
    });
    expect(set.problems.map((p) => p.message).join()).toMatch(/longer than 3 s \(limit loadTimeoutMs\)/);
    expect(set.frozen.unknownNames).toBe(true);
  });
});

describe('YAML structure limits', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostile-yaml-'));
    await writeFile(path.join(dir, 'valid.yaml'), VALID);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, () => string, number, RegExp]>([
    [
      '10,000-deep flow nesting',
      () => `spec:\n  x: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
      2,
      /nested more than 32 deep here \(limit maxNestingDepth\)/,
    ],
    [
      '10,000-deep block nesting',
      () => `${'- '.repeat(10_000)}x\n`,
      1,
      /nested more than 32 deep here \(limit maxNestingDepth\)/,
    ],
    [
      '20,000 keys in one mapping',
      () => `spec:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`).join('\n')}\n`,
      2,
      /more than 1000 keys \(limit maxKeysPerMapping\)/,
    ],
    [
      'a 400,000-item list',
      () => `a: [${Array(400_000).fill('1').join(',')}]\n`,
      1,
      /more than 200000 YAML tokens \(limit maxTokensPerFile\)/,
    ],
    [
      'a 2,000-item list',
      () => `a:\n${Array(2000).fill('  - 1').join('\n')}\n`,
      2,
      /more than 1000 items \(limit maxItemsPerSequence\)/,
    ],
    [
      '2,000 documents',
      () => `# start\n${Array(2000).fill('a: 1\n').join('---\n')}`,
      2001,
      /more than 1000 YAML documents \(limit maxDocumentsPerFile\)/,
    ],
    [
      'a billion laughs',
      () =>
        `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
      1,
      /alias/i,
    ],
  ])(
    '%s: refused at file:line naming the limit, the valid file still loads',
    async (_, text, line, message) => {
      await writeFile(path.join(dir, 'hostile.yaml'), text());
      const set = await loadManifestDir(dir);
      expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(['valid']);
      expect(set.problems).toHaveLength(1);
      expect(set.problems[0]).toMatchObject({ file: path.join(dir, 'hostile.yaml'), line });
      expect(set.problems[0]?.message).toMatch(message);
    },
  );
});
