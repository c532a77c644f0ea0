import { canonicalAddress, parseIpCidr } from '../ip-address.js';
import { listCapped, RELATED_MAX } from '../printable.js';
import { describeLocation, problemAt } from '../problem-location.js';
import type { LoadedVirtualIP } from '../types.js';
import type { Finding } from './finding.js';

/**
 * An address declared by two VirtualIPs: two VRRP groups would each hold it, on different
 * nodes. Every VIP involved is refused (which one the operator meant is theirs to say); each
 * problem names at most three of the others. Linear in the number of addresses.
 */
export function addressConflicts(vips: readonly LoadedVirtualIP[]): Finding[] {
  const byAddress = new Map<string, { vip: LoadedVirtualIP; index: number }[]>();
  for (const vip of vips) {
    const seen = new Set<string>();
    vip.manifest.spec.addresses.forEach((text, index) => {
      const cidr = parseIpCidr(text);
      const key = cidr && canonicalAddress(cidr.address);
      if (!key || seen.has(key)) return;
      seen.add(key);
      const uses = byAddress.get(key);
      if (uses) uses.push({ vip, index });
      else byAddress.set(key, [{ vip, index }]);
    });
  }
  const findings: Finding[] = [];
  for (const [address, uses] of byAddress) {
    const names = new Set(uses.map((use) => use.vip.manifest.metadata.name));
    // The same name twice is a duplicate-name problem already.
    if (names.size < 2) continue;
    const perName = new Map<string, number>();
    for (const use of uses) {
      const name = use.vip.manifest.metadata.name;
      perName.set(name, (perName.get(name) ?? 0) + 1);
    }
    for (const use of uses) {
      const name = use.vip.manifest.metadata.name;
      const shown = firstOthers(uses, name).map(
        (o) => `"${o.vip.manifest.metadata.name}" (${describeLocation(o.vip.origin, '/metadata/name')})`,
      );
      const listed = listCapped(shown, RELATED_MAX, uses.length - (perName.get(name) ?? 0));
      findings.push({
        problem: problemAt(
          use.vip.origin,
          `/spec/addresses/${use.index}`,
          'address-conflict',
          `${address} is also declared by VirtualIP ${listed}; an address belongs to one VirtualIP — remove it from all but one`,
        ),
        vip: name,
      });
    }
  }
  return findings;
}

/** The first {@link RELATED_MAX} uses by another VIP, without scanning the whole list. */
function firstOthers<T extends { vip: LoadedVirtualIP }>(uses: readonly T[], name: string): T[] {
  const found: T[] = [];
  for (const use of uses) {
    if (found.length === RELATED_MAX) break;
    if (use.vip.manifest.metadata.name !== name) found.push(use);
  }
  return found;
}
