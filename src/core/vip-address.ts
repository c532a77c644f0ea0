import ipaddr from 'ipaddr.js';

export type AddressFamily = 'ipv4' | 'ipv6';

/** One plain address in the canonical text form that `ip addr` prints. */
export interface HostAddress {
  address: string;
  family: AddressFamily;
}

/** One virtual address with its prefix length. */
export interface VipAddress extends HostAddress {
  prefix: number;
}

/**
 * Parses `192.168.4.3/24`, `fd00::10/64` or a bare address (a host route, /32 or /128).
 * Returns undefined for anything else; validation reports those long before.
 */
export function parseVipAddress(text: string): VipAddress | undefined {
  const slash = text.indexOf('/');
  const host = parseHostAddress(slash < 0 ? text : text.slice(0, slash));
  if (!host) return undefined;
  const max = host.family === 'ipv4' ? 32 : 128;
  if (slash < 0) return { ...host, prefix: max };
  const prefixText = text.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return undefined;
  return { ...host, prefix };
}

/**
 * A plain address in canonical form with its family, or undefined when it is not one. IPv4 must
 * be four decimal parts: ipaddr.js alone would also take `0x7f.1`, which keepalived would not.
 */
export function parseHostAddress(text: string): HostAddress | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(text))
    return { address: ipaddr.IPv4.parse(text).toString(), family: 'ipv4' };
  // RFC 5952 (lower case, longest zero run compressed) is what iproute2 and busybox print, so the
  // container command can find the node's address in `ip -o addr` output by string comparison.
  if (ipaddr.IPv6.isValid(text))
    return { address: ipaddr.IPv6.parse(text).toRFC5952String(), family: 'ipv6' };
  return undefined;
}
