import { describe, expect, it } from 'vitest';
import { liveness, readiness, type HealthFacts } from '../../src/core/health.js';

const base: HealthFacts = {
  nowMs: 100_000,
  startedAtMs: 0,
  heartbeatMs: 95_000,
  livenessBoundMs: 30_000,
  role: { role: 'active' },
  passDone: true,
  passError: undefined,
};

describe('liveness', () => {
  it.each<[string, Partial<HealthFacts>, boolean, RegExp]>([
    ['a recent heartbeat', {}, true, /alive/],
    ['a heartbeat exactly at the bound', { heartbeatMs: 70_000 }, true, /alive/],
    [
      'a heartbeat older than the bound',
      { heartbeatMs: 60_000 },
      false,
      /no sign of life .* for 40 s \(bound 30 s\)/,
    ],
    ['no heartbeat yet, just started', { heartbeatMs: undefined, startedAtMs: 90_000 }, true, /alive/],
    ['no heartbeat ever, started long ago', { heartbeatMs: undefined }, false, /for 100 s/],
  ])('%s', (_name, change, ok, reason) => {
    const verdict = liveness({ ...base, ...change });
    expect(verdict.ok).toBe(ok);
    expect(verdict.reason).toMatch(reason);
  });
});

describe('readiness', () => {
  it.each<[string, Partial<HealthFacts>, boolean, RegExp]>([
    ['active, first pass done', {}, true, /active, manifests loaded, first pass done/],
    ['starting: active or standby not yet known', { role: { role: 'starting' } }, false, /starting/],
    [
      'standby, naming the holder',
      { role: { role: 'standby', waitingFor: 'swarm lease', holder: 'node-2/pid 7' }, passDone: false },
      true,
      /standby: the swarm lease is held by node-2\/pid 7/,
    ],
    ['active, no pass yet', { passDone: false }, false, /first pass not done/],
    [
      'active, latest pass failed',
      { passError: 'ENOENT: no such directory' },
      false,
      /latest pass failed: ENOENT/,
    ],
  ])('%s', (_name, change, ok, reason) => {
    const verdict = readiness({ ...base, ...change });
    expect(verdict.ok).toBe(ok);
    expect(verdict.reason).toMatch(reason);
  });
});
