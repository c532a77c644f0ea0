import { problemAt } from '../problem-location.js';
import type { LoadedVirtualIP, ManifestProblem } from '../types.js';
import { DEFAULT_ADVERT_INTERVAL, advertIntervalOf, vrrpVersionOf } from '../vrrp-version.js';

/**
 * Notices: what a valid manifest costs its user, worth saying but never a reason to refuse it.
 * They have the shape of a problem (file, line, path, message) so they print the same way, but
 * they invalidate nothing and change no exit code.
 */
export function manifestNotices(virtualIPs: readonly LoadedVirtualIP[]): ManifestProblem[] {
  return virtualIPs.flatMap((vip) => authenticationCost(vip));
}

/**
 * VRRP PASS authentication exists only in VRRPv2, which counts the advertisement interval in
 * whole seconds; a backup declares the master dead after 3 intervals plus a skew of up to one.
 */
function authenticationCost({ manifest, origin }: LoadedVirtualIP): ManifestProblem[] {
  if (!manifest.spec.authentication || vrrpVersionOf(manifest.spec) !== 2) return [];
  const interval = advertIntervalOf(manifest.spec);
  const seconds = (n: number): string => String(Math.round(n * 100) / 100);
  return [
    problemAt(
      origin,
      '/spec/authentication',
      'authentication-slow-failover',
      `authentication needs VRRPv2, which advertises in whole seconds: at advertInterval ${seconds(interval)} s ` +
        `a dead holder's address moves after ${seconds(3 * interval)}–${seconds(4 * interval)} s ` +
        `(3 intervals + skew), against ~0.2 s at the default ${DEFAULT_ADVERT_INTERVAL} s without authentication ` +
        '(VRRPv3). VRRP PASS travels in clear text: it keeps out misconfigured routers, not attackers; ' +
        'remove spec.authentication for sub-second failover',
      true,
    ),
  ];
}
