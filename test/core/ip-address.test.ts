import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalAddress,
  cidrContains,
  ipCidrError,
  parseIpAddress,
  parseIpCidr,
  subnetSpecialAddress,
} from '../../src/core/ip-address.js';

describe('ipCidrError', () => {
  it.each([
    ['192.168.4.3', undefined],
    ['192.168.4.3/24', undefined],
    ['192.168.4.3/32', undefined],
    ['fd00::10/64', undefined],
    ['fd00::10', undefined],
    ['::ffff:192.168.4.3/128', 'is an IPv4-mapped IPv6 address; write the IPv4 address itself'],
    ['::FFFF:c0a8:403', 'is an IPv4-mapped IPv6 address'],
    ['192.168.4.3\u001b[32m', 'is not an IPv4 or IPv6 address'],
    ['192.168.4.300/24', 'is not an IPv4 or IPv6 address'],
    ['127.1', 'is not an IPv4 or IPv6 address'],
    ['0x7f.0.0.1', 'is not an IPv4 or IPv6 address'],
    ['fe80::1%eth0/64', 'is not an IPv4 or IPv6 address'],
    ['192.168.4.3/24/1', 'is not an IPv4 or IPv6 address'],
    ['192.168.4.3/33', 'must be a whole number in 1..32 for IPv4'],
    ['192.168.4.3/0', 'must be a whole number in 1..32 for IPv4'],
    ['192.168.4.3/024', 'must be a whole number in 1..32'],
    ['192.168.4.3/', 'must be a whole number in 1..32'],
    ['fd00::10/129', 'must be a whole number in 1..128 for IPv6'],
  ])('%s', (text, error) => {
    expect(ipCidrError(text)).toEqual(error === undefined ? undefined : expect.stringContaining(error));
  });

  it('accepts every dotted quad with every IPv4 prefix length', () => {
    const quad = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
    fc.assert(
      fc.property(quad, fc.integer({ min: 1, max: 32 }), (address, prefix) => {
        expect(ipCidrError(`${address}/${prefix}`)).toBeUndefined();
        expect(parseIpCidr(`${address}/${prefix}`)).toMatchObject({ family: 'ipv4', prefix, bare: false });
      }),
    );
  });
});

describe('parseIpCidr and cidrContains', () => {
  it.each([
    ['192.168.4.3/24', '192.168.4.1', true],
    ['192.168.4.3/24', '192.168.5.1', false],
    ['192.168.4.3/24', 'fd00::1', false],
    ['fd00:4::3/64', 'fd00:4::1', true],
    ['fd00:4::3/64', 'fd00:5::1', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    const parsed = parseIpCidr(cidr);
    const ip = parseIpAddress(address);
    expect(parsed && ip && cidrContains(parsed, ip)).toBe(expected);
  });

  it('gives a bare address the host prefix', () => {
    expect(parseIpCidr('fd00::1')).toMatchObject({ family: 'ipv6', prefix: 128, bare: true });
  });
});

describe('parseIpAddress', () => {
  it.each(['::ffff:192.168.4.3', '::ffff:c0a8:403', '0:0:0:0:0:ffff:c0a8:403'])(
    'refuses the IPv4-mapped %s (ip prints it differently from how it was written)',
    (text) => {
      expect(parseIpAddress(text)).toBeUndefined();
    },
  );
});

describe('subnetSpecialAddress', () => {
  it.each([
    ['198.18.0.0/24', 'network'],
    ['198.18.0.255/24', 'broadcast'],
    ['198.18.0.128/25', 'network'],
    ['198.18.0.127/25', 'broadcast'],
    ['198.18.0.1/24', undefined],
    ['198.18.0.0/31', undefined],
    ['198.18.0.0', undefined],
    ['fd00:5eed::/64', 'network'],
    ['fd00:5eed::ffff:ffff:ffff:ffff/64', undefined],
    ['fd00:5eed::/127', undefined],
  ])('%s is %s', (text, kind) => {
    const cidr = parseIpCidr(text);
    expect(cidr && subnetSpecialAddress(cidr)).toBe(kind);
  });
});

describe('canonicalAddress', () => {
  it.each([
    ['192.168.4.3', '192.168.4.3'],
    ['FD00:0:0::10', 'fd00::10'],
    ['fd00:0:0:1:0:0:0:1', 'fd00:0:0:1::1'],
  ])('%s → %s (as `ip addr` prints it)', (text, canonical) => {
    const address = parseIpAddress(text);
    expect(address && canonicalAddress(address)).toBe(canonical);
  });
});
