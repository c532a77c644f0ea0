import { describe, expect, it } from 'vitest';
import { vrrpVersionOf } from '../../src/core/vrrp-version.js';
import { vipOf } from './fixtures.js';

describe('vrrpVersionOf', () => {
  it.each([
    { spec: {}, version: 2 },
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
