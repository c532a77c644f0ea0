import { parseIpCidr } from './ip-address.js';
import type { VirtualIPSpec } from './types.js';

/** VRRPv3 carries the advertisement interval in centiseconds in 12 bits: at most 40.95 s. */
export const VRRP3_MAX_ADVERT_INTERVAL = 40.95;

/**
 * The VRRP version a VIP needs: 3 when any address is IPv6 (VRRPv2 is IPv4 only) or the
 * advertisement interval is fractional (VRRPv2 counts whole seconds), else 2, which keeps PASS
 * authentication available and talks to the widest range of keepalived builds.
 *
 * The one answer for validation, the desired state and the renderer, so the version validation
 * reports (and refuses authentication for) is the version that gets rendered. Any IPv6 address
 * counts, not only the first: a mixed-family VIP is refused anyway, and looking at every address
 * gives it the same findings whichever family comes first. The interval is judged as written, not
 * rounded to the centiseconds keepalived is given: that is the stricter reading, and the one
 * validation's messages ("fractional advertInterval …") describe.
 */
export function vrrpVersionOf(spec: Pick<VirtualIPSpec, 'addresses' | 'advertInterval'>): 2 | 3 {
  const ipv6 = spec.addresses.some((address) => parseIpCidr(address)?.family === 'ipv6');
  const fractional = spec.advertInterval !== undefined && !Number.isInteger(spec.advertInterval);
  return ipv6 || fractional ? 3 : 2;
}
