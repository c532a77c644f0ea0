import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/core/anomalies.js';
import { anomalyGraceMs } from '../../src/loop/anomaly-facts.js';

const stale = (keepalived: 'absent' | 'stopped' | 'not-master', heldElsewhere: boolean): Anomaly => ({
  kind: 'stale-address',
  vip: 'web',
  node: 'n1',
  container: keepalived === 'absent' ? null : 'keepalived-web',
  keepalived,
  heldElsewhere,
  addresses: ['198.18.0.100'],
  reason: 'x',
});

describe('anomalyGraceMs', () => {
  it.each<[string, Anomaly, number, number]>([
    ['a BACKUP carrying the address: a moment for its MASTER report', stale('not-master', true), 0.05, 300],
    ['no container of the VIP there (one may be starting unseen)', stale('absent', true), 0.05, 300],
    ['its container stopped and another node holds it as MASTER: at once', stale('stopped', true), 0.05, 0],
    [
      'its container stopped and nobody else holds it yet: VRRP’s master-down time first (default)',
      stale('stopped', false),
      0.05,
      700,
    ],
    ['the same at 1 s adverts', stale('stopped', false), 1, 4500],
    [
      'no holder: master-down time and a margin',
      { kind: 'no-holder', vip: 'web', reachableTargets: ['n1'], containers: ['keepalived-web'] },
      0.05,
      700,
    ],
    [
      'split brain: a second and one advert',
      {
        kind: 'split-brain',
        vip: 'web',
        nodes: ['n1', 'n2'],
        containers: ['keepalived-web', 'keepalived-web'],
        cause: 'c',
      },
      1,
      2000,
    ],
  ])('%s', (_name, anomaly, advertIntervalSeconds, want) => {
    expect(anomalyGraceMs(anomaly, advertIntervalSeconds)).toBe(want);
  });
});
