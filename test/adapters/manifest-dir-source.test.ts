/**
 * The watched directory against real files, real renames and the real chokidar watcher: a
 * directory kept by someone else (a git-sync style symlink flip, an editor's atomic save, vim's
 * backup-rename save, a writer that pauses half-way) yields every change, and no snapshot holds
 * half of a file or two generations at once.
 */
import { open, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManifestDirSource } from '../../src/adapters/manifest-dir-source.js';
import type { ManifestSnapshot } from '../../src/ports.js';

const dirs: string[] = [];
const subscriptions: Subscription[] = [];
afterEach(async () => {
  for (const s of subscriptions.splice(0)) s.unsubscribe();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-dirsource-'));
  dirs.push(dir);
  return dir;
}

/** A VirtualIP manifest whose every line names its generation (a half file shows it). */
const manifest = (name: string, generation: string) =>
  [
    'apiVersion: swarm-vip/v1',
    'kind: VirtualIP',
    `metadata: { name: ${name}, labels: { generation: "${generation}" } }`,
    'spec:',
    '  addresses: [198.18.13.150/24]',
    '  nodes:',
    ...Array.from(
      { length: 40 },
      (_, i) => `    - { name: node-${i}, priority: ${100 + i} }  # ${generation}`,
    ),
    `# end of ${generation}`,
    '',
  ].join('\n');

/** The generations a snapshot's files hold; a complete file ends with its own generation. */
function generations(snapshot: ManifestSnapshot): string[] {
  return snapshot.files.map((f) => {
    const end = /# end of (\w+)\n$/.exec(f.text)?.[1];
    return end ?? `incomplete(${f.path})`;
  });
}

/** Takes a snapshot after every change the watcher reports, until stopped. */
function follow(source: ManifestDirSource): { snapshots: ManifestSnapshot[]; reading: () => Promise<void> } {
  const snapshots: ManifestSnapshot[] = [];
  let chain = Promise.resolve();
  subscriptions.push(
    source.changes().subscribe(() => {
      chain = chain.then(async () => void snapshots.push(await source.snapshot()));
    }),
  );
  return { snapshots, reading: () => chain };
}

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean, description: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await sleep(20);
  }
}

/** chokidar needs a moment after subscribing before it reports changes. */
const watcherReady = () => sleep(300);

/** `web.yaml` at generation `old` in a directory of its own, followed by a source with `options`. */
async function watchedWebFile(options: ConstructorParameters<typeof ManifestDirSource>[1]) {
  const dir = await tempDir();
  const file = path.join(dir, 'web.yaml');
  await writeFile(file, manifest('web', 'old'));
  const followed = follow(new ManifestDirSource(dir, options));
  await watcherReady();
  return { dir, file, followed };
}

/**
 * Writes the first half of generation `new` of `file`, stopping mid-line as a byte stream cuts;
 * `finish` writes the rest and closes the file.
 */
async function writeHalf(file: string): Promise<{ finish: () => Promise<void> }> {
  const text = manifest('web', 'new');
  const cut = text.indexOf('priority', text.length / 2);
  const handle = await open(file, 'w');
  await handle.write(text.slice(0, cut));
  await handle.sync();
  return {
    finish: async () => {
      await handle.write(text.slice(cut));
      await handle.close();
    },
  };
}

describe('ManifestDirSource, a directory kept in sync by someone else', () => {
  it('git-sync: a ..data symlink flip is seen, and no snapshot mixes two generations', async () => {
    const root = await tempDir();
    const publish = async (generation: string) => {
      const data = path.join(root, `..2026_12_01_${generation}`);
      await mkdir(data);
      for (const name of ['web', 'api', 'db'])
        await writeFile(path.join(data, `${name}.yaml`), manifest(name, generation));
      const link = path.join(root, `..data_tmp_${generation}`);
      await symlink(`..2026_12_01_${generation}`, link);
      await rename(link, path.join(root, '..data')); // the atomic flip
    };
    await publish('g0');
    for (const name of ['web', 'api', 'db'])
      await symlink(`..data/${name}.yaml`, path.join(root, `${name}.yaml`));
    const source = new ManifestDirSource(root, { debounceMs: 25, writeSettleMs: 300 });
    expect(generations(await source.snapshot())).toEqual(['g0', 'g0', 'g0']);

    const followed = follow(source);
    await watcherReady();
    await publish('g1');
    await until(
      () => followed.snapshots.some((s) => generations(s).includes('g1')),
      'the flip to g1 to be seen',
    );

    // Flips while snapshots are read: each snapshot is one generation, whole.
    const reads: Promise<ManifestSnapshot>[] = [];
    for (let generation = 2; generation < 12; generation++) {
      reads.push(source.snapshot());
      await publish(`g${generation}`);
    }
    for (const snapshot of await Promise.all(reads)) {
      const seen = generations(snapshot);
      expect(new Set(seen).size, seen.join(',')).toBe(1);
      expect(seen).toHaveLength(3);
    }
    await until(
      () => followed.snapshots.some((s) => generations(s).includes('g11')),
      'the last flip to be seen',
    );
    await followed.reading();
    expect(generations(followed.snapshots.at(-1) as ManifestSnapshot)).toEqual(['g11', 'g11', 'g11']);
  });

  it("an editor's atomic save (write x.tmp, rename over x.yaml) is read at once and whole", async () => {
    const { dir, file, followed } = await watchedWebFile({ debounceMs: 25, writeSettleMs: 20_000 });
    const temp = path.join(dir, 'web.yaml.tmp');
    await writeFile(temp, manifest('web', 'new'));
    await sleep(20); // the rename comes after the write, as in an editor: ctime > mtime
    await rename(temp, file);
    // Read without waiting for the 20 s settle: a renamed file is complete.
    await until(() => followed.snapshots.length > 0, 'the save to be seen', 8000);
    expect(followed.snapshots.map(generations)).toEqual([['new']]);
  });

  it("vim's save (rename the file to a backup, write a new one, delete the backup) is seen whole, the file never missing", async () => {
    const { file, followed } = await watchedWebFile({ debounceMs: 25, writeSettleMs: 300 });
    await rename(file, `${file}~`);
    await writeFile(file, manifest('web', 'new'));
    await rm(`${file}~`);
    await until(() => followed.snapshots.some((s) => generations(s).includes('new')), 'the save to be seen');
    await followed.reading();
    for (const snapshot of followed.snapshots) expect(generations(snapshot)).toEqual(['new']);
  });

  it('a writer that pauses half-way through a file is not read until the file is whole', async () => {
    const { file, followed } = await watchedWebFile({ debounceMs: 25, writeSettleMs: 300 });
    const writing = await writeHalf(file);
    await sleep(150); // longer than the debounce: the watcher fires in the pause
    await writing.finish();
    await until(
      () => followed.snapshots.some((s) => generations(s).includes('new')),
      'the whole file to be read',
    );
    await followed.reading();
    // Every snapshot the watcher led to holds the whole file; never the first half.
    for (const snapshot of followed.snapshots) expect(generations(snapshot)).toEqual(['new']);
  });

  it('with writeSettleMs 0 the same pause is read half-way (what the settle prevents)', async () => {
    const { file, followed } = await watchedWebFile({ debounceMs: 25, writeSettleMs: 0 });
    const writing = await writeHalf(file);
    await until(() => followed.snapshots.length > 0, 'the half-written file to be read', 5000);
    await writing.finish();
    await followed.reading();
    expect(generations(followed.snapshots[0] as ManifestSnapshot)[0]).toMatch(/^incomplete/);
  });

  it('a whole file written in place (ending with a newline) is read at once, without the settle', async () => {
    const { file, followed } = await watchedWebFile({ debounceMs: 25, writeSettleMs: 20_000 });
    await writeFile(file, manifest('web', 'new'));
    // Well before the 20 s settle: a complete-looking file costs no wait.
    await until(() => followed.snapshots.length > 0, 'the write to be read', 8000);
    expect(followed.snapshots.map(generations)).toEqual([['new']]);
  });

  it('a directory that never settles is read within the bound, not forever', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'web.yaml');
    await writeFile(file, manifest('web', 'g0'));
    const source = new ManifestDirSource(dir, { debounceMs: 25, writeSettleMs: 300, maxSettleMs: 800 });
    let writing = true;
    const writer = (async () => {
      for (let i = 1; writing && i < 600; i++) {
        await writeFile(file, manifest('web', `g${i}`).trimEnd()); // no final newline: looks cut off
        await sleep(50);
      }
    })();
    // The writer goes on for 30 s; the test's own 15 s limit fails it if the read is not bounded.
    const snapshot = await source.snapshot();
    writing = false;
    await writer;
    expect(snapshot.files).toHaveLength(1);
  }, 15_000);
});
