import { describe, expect, it } from 'vitest';
import {
  crashLoopForgiven,
  describeCrashLoop,
  healthySince,
  type CrashLoopView,
} from '../../src/core/crash-loops.js';
import type { VrrpState } from '../../src/core/status.js';

const WINDOW_MS = 60_000;

/**
 * Follows a container's reports (ms, state) and says whether its crash loop is forgiven at `atMs`
 * (`lastStopMs`: the latest stop counted for it).
 */
function forgivenAfter(reports: readonly [number, VrrpState][], atMs: number, lastStopMs?: number): boolean {
  let since: number | undefined;
  for (const [nowMs, state] of reports) since = healthySince(since, state, nowMs);
  return crashLoopForgiven({ healthySinceMs: since, lastStopMs }, atMs, WINDOW_MS);
}

describe('crash-loop record reset after a healthy run', () => {
  it.each<[string, [number, VrrpState][], number, boolean]>([
    ['BACKUP for the whole window', [[0, 'BACKUP']], 60_000, true],
    [
      'BACKUP, then MASTER: one unbroken run',
      [
        [0, 'BACKUP'],
        [30_000, 'MASTER'],
      ],
      60_000,
      true,
    ],
    ['MASTER for a moment less than the window', [[0, 'MASTER']], 59_999, false],
    ['nothing reported yet (keepalived never got going)', [[0, 'UNKNOWN']], 600_000, false],
    ['stuck in FAULT for ten minutes', [[0, 'FAULT']], 600_000, false],
    [
      'a FAULT in between starts the run again',
      [
        [0, 'BACKUP'],
        [50_000, 'FAULT'],
        [51_000, 'BACKUP'],
      ],
      110_000,
      false,
    ],
    [
      '… and a full window after the FAULT forgives',
      [
        [0, 'BACKUP'],
        [50_000, 'FAULT'],
        [51_000, 'BACKUP'],
      ],
      111_000,
      true,
    ],
    [
      'STOP (told to stop) ends the run',
      [
        [0, 'MASTER'],
        [70_000, 'STOP'],
      ],
      80_000,
      false,
    ],
  ])('%s → forgiven: %s', (_name, reports, atMs, forgiven) => {
    expect(forgivenAfter(reports, atMs)).toBe(forgiven);
  });

  it.each<[string, number | undefined, boolean]>([
    ['no stop counted', undefined, true],
    ['the stops that made the loop, before this run', 0, true],
    ['a stop during the run (its stream has not ended yet)', 70_000, false],
  ])('BACKUP since 1 s, 80 s later, %s → forgiven: %s', (_name, lastStopMs, forgiven) => {
    expect(forgivenAfter([[1000, 'BACKUP']], 81_000, lastStopMs)).toBe(forgiven);
  });

  it('a repeated healthy report keeps the start of the run', () => {
    expect(healthySince(1000, 'MASTER', 5000)).toBe(1000);
    expect(healthySince(undefined, 'BACKUP', 5000)).toBe(5000);
  });
});

describe('describeCrashLoop', () => {
  it.each<[string, CrashLoopView, string]>([
    [
      'backing off, with the last log lines',
      {
        vip: 'web',
        node: 'n2',
        container: 'keepalived-web',
        replacements: 2,
        reason: 'stopped 3 times within 60 s; last log lines: keepalived: broken build',
        backoffUntil: '2026-12-01T14:00:00.000Z',
      },
      'crash loop: VIP web on n2 (container keepalived-web): replaced 2 times, no start or replacement before 2026-12-01T14:00:00.000Z: "stopped 3 times within 60 s; last log lines: keepalived: broken build"',
    ],
    [
      'backoff over',
      {
        vip: 'web',
        node: 'n1',
        container: 'keepalived-web',
        replacements: 1,
        reason: 'keepalived stayed in FAULT for 10 s',
      },
      'crash loop: VIP web on n1 (container keepalived-web): replaced once: "keepalived stayed in FAULT for 10 s"',
    ],
  ])('%s', (_name, loop, line) => {
    expect(describeCrashLoop(loop)).toBe(line);
  });

  it('escapes what the node wrote and caps it', () => {
    const line = describeCrashLoop({
      vip: 'web',
      node: 'n1',
      container: 'keepalived-web',
      replacements: 1,
      reason: `last log lines: \u001b[2J${'x'.repeat(5000)}`,
    });
    expect(line).toContain('\\u001b[2J');
    expect(line).not.toContain('\u001b');
    expect(line.length).toBeLessThan(600);
    expect(line).toMatch(/…" \(5020 bytes\)$/);
  });
});
