import { parseIpCidr } from './ip-address.js';
import type { VirtualIPSpec } from './types.js';

/** VRRPv3 carries the advertisement interval in centiseconds in 12 bits: at most 40.95 s. */
export const VRRP3_MAX_ADVERT_INTERVAL = 40.95;

/**
 * The VRRP version a VIP needs: 3 for IPv6 addresses (VRRPv2 is IPv4 only) or a fractional
 * advertisement interval (VRRPv2 counts whole seconds), else 2, which keeps PASS authentication
 * available and talks to the widest range of keepalived builds.
 */
export function vrrpVersionOf(spec: VirtualIPSpec): 2 | 3 {
  const first = spec.addresses[0];
  const ipv6 = first !== undefined && parseIpCidr(first)?.family === 'ipv6';
  const fractional = spec.advertInterval !== undefined && !Number.isInteger(spec.advertInterval);
  return ipv6 || fractional ? 3 : 2;
}
