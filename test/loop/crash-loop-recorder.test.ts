/** The recorder with a real record file: what `reconciler status` reads is the daemon's latest view. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CrashLoopRecordFile } from '../../src/adapters/crash-loop-record-file.js';
import type { CrashLoopView } from '../../src/core/crash-loops.js';
import { CrashLoopRecorder } from '../../src/loop/crash-loop-recorder.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function recordFile(): Promise<{ file: string; record: CrashLoopRecordFile }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-crash-loops-'));
  dirs.push(dir);
  const file = path.join(dir, 'lock.crash-loops.json');
  return { file, record: new CrashLoopRecordFile(file) };
}

const loop: CrashLoopView = {
  vip: 'web',
  node: 'n2',
  container: 'keepalived-web',
  replacements: 1,
  reason: 'stopped 3 times within 60 s; last log lines: keepalived: broken build',
  backoffUntil: '2026-12-01T14:00:00.000Z',
};

describe('CrashLoopRecorder', () => {
  it('records the first view and each change, in order; an unchanged view writes nothing', async () => {
    const { record } = await recordFile();
    let writes = 0;
    const counting = {
      read: () => record.read(),
      write: (s: Parameters<typeof record.write>[0]) => (writes++, record.write(s)),
    };
    let now = 1000;
    const recorder = new CrashLoopRecorder({
      record: counting,
      log: pino({ level: 'silent' }),
      nowMs: () => (now += 1000),
    });
    recorder.note([]);
    recorder.note([]);
    recorder.note([loop]);
    recorder.note([loop]);
    recorder.note([{ ...loop, replacements: 2 }]);
    await recorder.flush();
    expect(writes).toBe(3);
    expect(await record.read()).toEqual({ recordedAtMs: 4000, crashLoops: [{ ...loop, replacements: 2 }] });
    recorder.note([]);
    await recorder.flush();
    expect(await record.read()).toEqual({ recordedAtMs: 5000, crashLoops: [] });
  });

  it('a record that is not one (garbage, wrong shape, too big, missing) is no record', async () => {
    const { file, record } = await recordFile();
    expect(await record.read()).toBeUndefined();
    for (const text of [
      'not json',
      '{"recordedAtMs":1}',
      '{"recordedAtMs":1,"crashLoops":[{"vip":"web"}]}',
      `{"recordedAtMs":1,"crashLoops":[],"x":"${'y'.repeat(300_000)}"}`,
    ]) {
      await writeFile(file, text);
      expect(await record.read()).toBeUndefined();
    }
  });
});
