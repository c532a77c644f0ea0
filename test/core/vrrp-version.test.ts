import { describe, expect, it } from 'vitest';
import { advertIntervalOf, vrrpVersionOf } from '../../src/core/vrrp-version.js';
import { vipOf } from './fixtures.js';

describe('vrrpVersionOf', () => {
  it.each([
    // The default interval (0.05 s) is fractional; with authentication it stays 1 s (VRRPv2).
    { spec: {}, version: 3 },
    { spec: { authentication: { passwordEnv: 'P' } }, version: 2 },
    { spec: { advertInterval: 0.5, authentication: { passwordEnv: 'P' } }, version: 3 },
    { spec: { advertInterval: 2 }, version: 2 },
    { spec: { advertInterval: 0.1 }, version: 3 },
    { spec: { advertInterval: 0.07 }, version: 3 },
    { spec: { addresses: ['fd00:5eed::100/64'] }, version: 3 },
    { spec: { addresses: ['fd00:5eed::100'] }, version: 3 },
    // Any IPv6 address counts, whichever family comes first (validation refuses the mix anyway).
    { spec: { addresses: ['198.18.0.100/24', 'fd00:5eed::100/64'] }, version: 3 },
    { spec: { addresses: ['fd00:5eed::100/64', '198.18.0.100/24'] }, version: 3 },
    // Judged as written, not as rounded to centiseconds for advert_int.
    { spec: { advertInterval: 2.0000000001 }, version: 3 },
  ])('$spec → VRRPv$version', ({ spec, version }) => {
    expect(vrrpVersionOf(vipOf('x', spec).spec)).toBe(version);
  });
});

describe('advertIntervalOf', () => {
  it.each([
    { spec: {}, seconds: 0.05 },
    { spec: { authentication: { passwordFile: '/run/secrets/vrrp' } }, seconds: 1 },
    { spec: { advertInterval: 2 }, seconds: 2 },
    { spec: { advertInterval: 2, authentication: { passwordEnv: 'P' } }, seconds: 2 },
    { spec: { advertInterval: 0.1 }, seconds: 0.1 },
  ])('$spec → $seconds s', ({ spec, seconds }) => {
    expect(advertIntervalOf(vipOf('x', spec).spec)).toBe(seconds);
  });
});
