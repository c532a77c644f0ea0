import { describe, expect, it } from 'vitest';
import { actUntilMs, decideLease, nextSighting, type LeaseInput } from '../../src/core/lease.js';

const record = (holder: string | undefined, version = 7) => ({ version, holder, durationMs: 6000 });

describe('decideLease', () => {
  it.each<[string, LeaseInput, ReturnType<typeof decideLease>]>([
    [
      'no lease object: create it',
      { me: 'a', record: undefined, sighting: undefined, nowMs: 0 },
      { kind: 'create' },
    ],
    [
      'ours: renew at the version read',
      { me: 'a', record: record('a'), sighting: undefined, nowMs: 0 },
      { kind: 'renew', version: 7 },
    ],
    [
      'released (no holder): take at once',
      { me: 'a', record: record(undefined), sighting: undefined, nowMs: 0 },
      { kind: 'take', version: 7, previousHolder: undefined },
    ],
    [
      'held by another, first seen now: wait the whole duration',
      { me: 'a', record: record('b'), sighting: undefined, nowMs: 1000 },
      { kind: 'wait', holder: 'b', expiresInMs: 6000 },
    ],
    [
      'held by another, same version seen 4 s ago: 2 s left',
      { me: 'a', record: record('b'), sighting: { version: 7, firstSeenMs: 1000 }, nowMs: 5000 },
      { kind: 'wait', holder: 'b', expiresInMs: 2000 },
    ],
    [
      'held by another, same version unchanged for the duration: expired, take it',
      { me: 'a', record: record('b'), sighting: { version: 7, firstSeenMs: 1000 }, nowMs: 7000 },
      { kind: 'take', version: 7, previousHolder: 'b' },
    ],
    [
      'renewed since (new version): the wait starts again, whatever our clock says',
      { me: 'a', record: record('b', 8), sighting: { version: 7, firstSeenMs: 1000 }, nowMs: 50_000 },
      { kind: 'wait', holder: 'b', expiresInMs: 6000 },
    ],
  ])('%s', (_name, input, decision) => {
    expect(decideLease(input)).toEqual(decision);
  });
});

describe('nextSighting and actUntilMs', () => {
  it('keeps the first sighting of a version and restarts on a new one', () => {
    expect(nextSighting(record('b'), { version: 7, firstSeenMs: 5 }, 99)).toEqual({
      version: 7,
      firstSeenMs: 5,
    });
    expect(nextSighting(record('b', 8), { version: 7, firstSeenMs: 5 }, 99)).toEqual({
      version: 8,
      firstSeenMs: 99,
    });
  });

  it('the holder stops before any standby can take over', () => {
    // The holder sent its write at 1000; a standby saw that version no earlier than 1000.
    const holderStops = actUntilMs(1000, 6000, 1500);
    const standby = decideLease({
      me: 'b',
      record: record('a'),
      sighting: { version: 7, firstSeenMs: 1000 },
      nowMs: holderStops,
    });
    expect(holderStops).toBe(5500);
    expect(standby.kind).toBe('wait');
  });
});
