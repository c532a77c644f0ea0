/**
 * The watch's memory of anomalies on a hand-moved clock: an anomaly is confirmed once seen without
 * a break for its grace period (the VIP's advert interval sets it), alarmed in the log once per
 * episode, and asks for another look when its grace ends and each second while it lasts. The rule
 * itself is table-tested in test/core; the watch's use of it in vrrp-watch.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/core/anomalies.js';
import { AnomalyEpisodes } from '../../src/loop/anomaly-episodes.js';
import type { VipTraits } from '../../src/loop/anomaly-facts.js';

const web: VipTraits = {
  vip: 'web',
  addresses: ['198.18.0.100'],
  frozen: false,
  targets: ['n1', 'n2'],
  advertIntervalSeconds: 0.05,
  hasHealthCheck: false,
};

/** An address added by hand on n2, whose keepalived of web is BACKUP: 300 ms of grace. */
const stale: Anomaly = {
  kind: 'stale-address',
  vip: 'web',
  node: 'n2',
  container: 'keepalived-web',
  keepalived: 'not-master',
  heldElsewhere: true,
  addresses: ['198.18.0.100'],
  reason: 'its keepalived is BACKUP',
};

const noHolder = (vip: string): Anomaly => ({
  kind: 'no-holder',
  vip,
  reachableTargets: ['n1'],
  containers: ['keepalived-web'],
});

function setUp() {
  let nowMs = 0;
  const lines: Record<string, unknown>[] = [];
  const episodes = new AnomalyEpisodes({
    log: pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
    now: () => nowMs,
  });
  /** A look at `atMs` that finds `found`: what it confirms. */
  const lookAt = (atMs: number, found: readonly Anomaly[]) => {
    nowMs = atMs;
    return episodes.confirm(found, [web]);
  };
  return { episodes, lines, lookAt };
}

describe('AnomalyEpisodes', () => {
  it('confirms an anomaly seen without a break for its grace, and alarms once per episode', () => {
    const { episodes, lines, lookAt } = setUp();
    expect(lookAt(0, [stale])).toEqual([]);
    expect(lookAt(299, [stale])).toEqual([]);
    expect(episodes.dueMs(299)).toEqual([300]);
    expect(lookAt(300, [stale])).toEqual([stale]);
    expect(lookAt(1300, [stale])).toEqual([stale]);
    expect(episodes.dueMs(1300)).toEqual([2300]); // looked at each second while it lasts
    expect(episodes.firstSeenMs(stale)).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        vip: 'web',
        anomaly: 'stale-address',
        node: 'n2',
        msg: expect.stringContaining(
          'VIP web: node n2 carries 198.18.0.100 but its keepalived is BACKUP',
        ) as string,
      }),
    ]);
  });

  it('an anomaly no longer found ends its episode: found again, it waits its grace and alarms again', () => {
    const { episodes, lines, lookAt } = setUp();
    lookAt(0, [stale]);
    lookAt(300, [stale]);
    expect(lookAt(400, [])).toEqual([]);
    expect(episodes.firstSeenMs(stale)).toBeUndefined();
    expect(episodes.dueMs(400)).toEqual([]);
    expect(lookAt(500, [stale])).toEqual([]);
    expect(lookAt(800, [stale])).toEqual([stale]);
    expect(lines).toHaveLength(2);
  });

  it.each([
    { name: "the VIP's advert interval (0.05 s): 4 adverts + 0.5 s", vip: 'web', graceMs: 700 },
    { name: 'a VIP no longer declared: 1 s adverts', vip: 'gone', graceMs: 4500 },
  ])('the grace of a missing holder follows $name', ({ vip, graceMs }) => {
    const { episodes, lookAt } = setUp();
    lookAt(0, [noHolder(vip)]);
    expect(episodes.dueMs(0)).toEqual([graceMs]);
    expect(lookAt(graceMs - 1, [noHolder(vip)])).toEqual([]);
    expect(lookAt(graceMs, [noHolder(vip)])).toEqual([noHolder(vip)]);
  });
});
