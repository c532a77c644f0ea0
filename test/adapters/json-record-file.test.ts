import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonRecordFile, removeRecordTemps } from '../../src/adapters/json-record-file.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A directory with a lock's record file and what a write killed before its rename leaves. */
async function dirWithLeftovers(): Promise<{ dir: string; file: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-record-'));
  dirs.push(dir);
  const file = path.join(dir, 'sv.lock.revisions.json');
  await writeFile(path.join(dir, 'sv.lock.revisions.json.tmp-0a1b2c3d'), '{"half":');
  await writeFile(path.join(dir, 'sv.lock.revisions.json.tmp-deadbeef'), '');
  // Not of the exact form: kept.
  await writeFile(path.join(dir, 'sv.lock.revisions.json.tmp-notours'), 'x');
  await writeFile(path.join(dir, 'sv.lock.crash-loops.json.tmp-0a1b2c3d'), 'x');
  await writeFile(path.join(dir, 'other.json'), 'x');
  return { dir, file };
}

const keptBeside = [
  'other.json',
  'sv.lock.crash-loops.json.tmp-0a1b2c3d',
  'sv.lock.revisions.json.tmp-notours',
];

describe('JsonRecordFile', () => {
  it('its first write removes the temporary files a killed writer left, and nothing else', async () => {
    const { dir, file } = await dirWithLeftovers();
    const record = new JsonRecordFile(file, (v) => v as { n: number });
    await record.write({ n: 1 });
    expect((await readdir(dir)).sort()).toEqual([...keptBeside, 'sv.lock.revisions.json'].sort());
    expect(await record.read()).toEqual({ n: 1 });
  });

  it('removeRecordTemps removes only that record’s temporary files, and a missing directory is no error', async () => {
    const { dir, file } = await dirWithLeftovers();
    await removeRecordTemps(file);
    expect((await readdir(dir)).sort()).toEqual(keptBeside.sort());
    await expect(removeRecordTemps(path.join(dir, 'gone', 'x.json'))).resolves.toBeUndefined();
  });
});
