import { parseIpCidr } from './ip-address.js';
import type { VirtualIPSpec } from './types.js';

/** VRRPv3 carries the advertisement interval in centiseconds in 12 bits: at most 40.95 s. */
export const VRRP3_MAX_ADVERT_INTERVAL = 40.95;

/**
 * The advertisement interval (seconds) of a VirtualIP that does not set one: 0.05 s, rendered as
 * VRRPv3. A backup declares the master dead after 3 × 0.05 s + skew, so a dead holder's address
 * moves in ~0.15–0.25 s instead of keepalived's stock ~3 s. Chosen from `npm run bench:failover`
 * on a shared 2-core machine with its CPUs saturated for 10 minutes (BENCHMARKS.md): 0.05 s gave
 * no false failover in one run and two ~37 ms blips in another, 0.02 s gave 26; 0.1 s is clean
 * but fails over in ~0.3 s.
 */
export const DEFAULT_ADVERT_INTERVAL = 0.05;

/**
 * The default when `authentication` is set: VRRP PASS authentication exists only in VRRPv2, which
 * counts the interval in whole seconds, so the default stays keepalived's stock 1 s.
 */
export const DEFAULT_ADVERT_INTERVAL_WITH_AUTHENTICATION = 1;

/** The interval a VIP runs with: its own, else the default that its authentication allows. */
export function advertIntervalOf(spec: Pick<VirtualIPSpec, 'advertInterval' | 'authentication'>): number {
  if (spec.advertInterval !== undefined) return spec.advertInterval;
  return spec.authentication ? DEFAULT_ADVERT_INTERVAL_WITH_AUTHENTICATION : DEFAULT_ADVERT_INTERVAL;
}

/**
 * The VRRP version a VIP needs: 3 when any address is IPv6 (VRRPv2 is IPv4 only) or the
 * advertisement interval — its own or the default — is fractional (VRRPv2 counts whole seconds),
 * else 2, which keeps PASS authentication available.
 *
 * The one answer for validation, the desired state and the renderer, so the version validation
 * reports (and refuses authentication for) is the version that gets rendered. Any IPv6 address
 * counts, not only the first: a mixed-family VIP is refused anyway, and looking at every address
 * gives it the same findings whichever family comes first. The interval is judged as written, not
 * rounded to the centiseconds keepalived is given: that is the stricter reading, and the one
 * validation's messages ("fractional advertInterval …") describe.
 */
export function vrrpVersionOf(
  spec: Pick<VirtualIPSpec, 'addresses' | 'advertInterval' | 'authentication'>,
): 2 | 3 {
  const ipv6 = spec.addresses.some((address) => parseIpCidr(address)?.family === 'ipv6');
  const fractional = !Number.isInteger(advertIntervalOf(spec));
  return ipv6 || fractional ? 3 : 2;
}
