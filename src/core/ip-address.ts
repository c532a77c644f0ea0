/**
 * IP address and CIDR parsing, strict where keepalived and `ip addr` are: dotted quads only (no
 * `127.1` or hex), no IPv6 zone IDs, and a prefix length the family allows. Validation, the
 * desired state and the keepalived renderer all parse with these, so what validation accepts is
 * exactly what gets rendered.
 */
import ipaddr from 'ipaddr.js';
import { quoteValue } from './printable.js';

export type IpFamily = 'ipv4' | 'ipv6';

/** An address with its prefix length; `bare` when the text had no `/prefix`. */
export interface IpCidr {
  address: ipaddr.IPv4 | ipaddr.IPv6;
  family: IpFamily;
  prefix: number;
  bare: boolean;
}

const MAX_PREFIX: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

/**
 * The address, or undefined when `text` is not a plain IPv4 or IPv6 address. IPv4-mapped IPv6
 * addresses (`::ffff:192.0.2.1`) are refused: keepalived and `ip` print them differently from
 * how they were written, and an IPv4 address belongs in an IPv4 VirtualIP.
 */
export function parseIpAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  // A zone ID (fe80::1%eth0) names an interface of one host; it means nothing in a manifest.
  if (text.includes('%') || text.length > 45 || !ipaddr.IPv6.isValid(text)) return undefined;
  const address = ipaddr.IPv6.parse(text);
  return address.isIPv4MappedAddress() ? undefined : address;
}

/** Whether `text` is an IPv4-mapped IPv6 address, for a message that says so. */
export function isIpv4Mapped(text: string): boolean {
  const address = text.length <= 45 && ipaddr.IPv6.isValid(text) ? ipaddr.IPv6.parse(text) : undefined;
  return address?.isIPv4MappedAddress() ?? false;
}

/** Parses `address[/prefix]`; undefined when invalid (see {@link ipCidrError} for why). */
export function parseIpCidr(text: string): IpCidr | undefined {
  return ipCidrError(text) === undefined ? parseValidIpCidr(text) : undefined;
}

/**
 * Why `text` is not an address with an optional prefix length, or undefined when it is one.
 * A prefix of 0 is refused: it would turn the VIP into a default route on the interface.
 */
export function ipCidrError(text: string): string | undefined {
  const [addressText = '', prefixText, ...rest] = text.split('/');
  const address = parseIpAddress(addressText);
  if (rest.length === 0 && isIpv4Mapped(addressText)) {
    return `${quoteValue(addressText)} is an IPv4-mapped IPv6 address; write the IPv4 address itself, in a VirtualIP of IPv4 addresses`;
  }
  if (address === undefined || rest.length > 0) {
    return `${quoteValue(text)} is not an IPv4 or IPv6 address with an optional prefix length (like 192.168.4.3/24 or fd00::10/64)`;
  }
  if (prefixText === undefined) return undefined;
  const max = MAX_PREFIX[address.kind()];
  const prefix = /^(0|[1-9][0-9]{0,2})$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 1 && prefix <= max)) {
    return `prefix length ${quoteValue(`/${prefixText}`)} of ${quoteValue(text)} must be a whole number in 1..${max} for ${familyName(address.kind())}`;
  }
  return undefined;
}

function parseValidIpCidr(text: string): IpCidr {
  const [addressText = '', prefixText] = text.split('/');
  const address = parseIpAddress(addressText) as ipaddr.IPv4 | ipaddr.IPv6;
  const family = address.kind();
  const bare = prefixText === undefined;
  return { address, family, prefix: bare ? MAX_PREFIX[family] : Number(prefixText), bare };
}

/** A /32 or /128 (written or implied): an address of its own, which fits on any interface. */
export function isHostRoute(cidr: IpCidr): boolean {
  return cidr.prefix === MAX_PREFIX[cidr.family];
}

/** True when `address` lies in the network `cidr.address/cidr.prefix`. */
export function cidrContains(cidr: IpCidr, address: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (address.kind() !== cidr.family) return false;
  return (address as ipaddr.IPv4).match(cidr.address as ipaddr.IPv4, cidr.prefix);
}

/**
 * Canonical text of an address, so `fd00:0::1` and `fd00::1` compare equal. IPv6 is written as
 * RFC 5952 has it (lower case, longest zero run compressed), which is what iproute2 and busybox
 * print: the container command finds the node's address in `ip -o addr` output by string
 * comparison, and status matches the held VIPs the same way.
 */
export function canonicalAddress(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

/** `IPv4` or `IPv6`, for messages. */
export function familyName(family: IpFamily): string {
  return family === 'ipv4' ? 'IPv4' : 'IPv6';
}

/**
 * Which special address of its own subnet `cidr` is, if any: the network address (all host bits
 * zero; for IPv6 the subnet-router anycast address) or the IPv4 broadcast address (all ones).
 * /31, /32, /127 and /128 have no such addresses.
 */
export function subnetSpecialAddress(cidr: IpCidr): 'network' | 'broadcast' | undefined {
  const hostBits = MAX_PREFIX[cidr.family] - cidr.prefix;
  if (hostBits < 2) return undefined;
  const bytes = cidr.address.toByteArray();
  const hostBytes = (fill: number): boolean =>
    bytes.every((byte, index) => {
      const firstHostBit = Math.max(0, cidr.prefix - index * 8);
      if (firstHostBit >= 8) return true;
      const mask = 0xff >> firstHostBit;
      return (byte & mask) === (fill & mask);
    });
  if (hostBytes(0)) return 'network';
  if (cidr.family === 'ipv4' && hostBytes(0xff)) return 'broadcast';
  return undefined;
}
