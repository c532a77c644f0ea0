/** The tracker with a real record file: logs each change of verdict once, writes only on change. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { RevisionRecordFile } from '../../src/adapters/revision-record-file.js';
import { RevisionTracker } from '../../src/loop/revision-tracker.js';
import type { PassResult } from '../../src/loop/pass.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

type Pass = Pick<PassResult, 'revision' | 'problems' | 'outcomes'>;
const pass = (revision: string, problems: Pass['problems'] = []): Pass => ({
  revision: { manifests: revision, nodes: 'n' },
  problems,
  outcomes: [],
});

async function tracker() {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-audit-'));
  dirs.push(dir);
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const file = path.join(dir, 'lock.revisions.json');
  let now = 1000;
  const open = () =>
    RevisionTracker.open({ log, nowMs: () => (now += 1000), record: new RevisionRecordFile(file) });
  return { file, lines, open };
}

describe('RevisionTracker', () => {
  it('logs a verdict once, records it, and a later run starts from the record', async () => {
    const { file, lines, open } = await tracker();
    const first = await open();
    first.afterPass(pass('good'));
    first.afterPass(pass('good'));
    await first.flush();
    expect(lines.filter((l) => l.msg === 'revision applied')).toHaveLength(1);
    const written = (await stat(file)).mtimeMs;
    first.afterPass(pass('good'));
    await first.flush();
    expect((await stat(file)).mtimeMs).toBe(written); // a no-op pass writes nothing

    const second = await open();
    const audit = second.afterPass(
      pass('bad', [
        { code: 'schema', file: 'c/web.yaml@bad', line: 10, col: 3, path: '/spec', message: 'wrong' },
      ]),
    );
    await second.flush();
    expect(audit.applied?.revision).toBe('good');
    const warned = lines.find((l) => String(l.msg).startsWith('revision not applied'));
    expect(warned).toMatchObject({ revision: 'bad', applied: 'good', reasons: ['c/web.yaml@bad:10: wrong'] });
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({
      applied: { revision: 'good' },
      attempted: { revision: 'bad', outcome: 'invalid-manifests' },
    });
  });

  it('ignores a record that is not one (garbage, wrong shape, too big)', async () => {
    const { file, open } = await tracker();
    for (const text of ['not json', '{"attempted":{"revision":1}}', `{"x":"${'y'.repeat(300_000)}"}`]) {
      await writeFile(file, text);
      expect(await new RevisionRecordFile(file).read()).toBeUndefined();
      expect((await open()).current()).toBeUndefined();
    }
  });
});
