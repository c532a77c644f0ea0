import { canonicalAddress, familyName, parseIpCidr, subnetSpecialAddress } from '../ip-address.js';
import { problemAt } from '../problem-location.js';
import type { LoadedVirtualIP } from '../types.js';
import { VRRP3_MAX_ADVERT_INTERVAL, vrrpVersionOf } from '../vrrp-version.js';
import type { Finding } from './finding.js';

/** Checks one VirtualIP needs no other manifest or node for. */
export function specChecks(vip: LoadedVirtualIP): Finding[] {
  const name = vip.manifest.metadata.name;
  return [
    ...mixedFamilies(vip),
    ...authenticationProblems(vip),
    ...advertIntervalProblems(vip),
    ...repeatedNodes(vip),
    ...specialAddresses(vip),
    ...repeatedAddresses(vip),
  ].map(([pointer, code, message, atKey]) => ({
    problem: problemAt(vip.origin, pointer, code, message, atKey),
    vip: name,
  }));
}

/** Where (at the key when `atKey`), which problem, and what to say. */
type Issue = [pointer: string, code: string, message: string, atKey?: boolean];

function mixedFamilies({ manifest }: LoadedVirtualIP): Issue[] {
  const families = manifest.spec.addresses.map((address) => parseIpCidr(address)?.family);
  const first = families[0];
  const index = families.findIndex((family) => family !== first);
  if (first === undefined || index < 0) return [];
  const other = families[index];
  if (other === undefined) return [];
  return [
    [
      `/spec/addresses/${index}`,
      'mixed-address-family',
      `"${manifest.spec.addresses[index]}" is ${familyName(other)} but /spec/addresses/0 is ${familyName(first)}; ` +
        'one VirtualIP carries one address family — put the other family in a VirtualIP of its own',
    ],
  ];
}

function authenticationProblems({ manifest }: LoadedVirtualIP): Issue[] {
  const auth = manifest.spec.authentication;
  if (!auth) return [];
  const issues: Issue[] = [];
  if (auth.passwordEnv !== undefined && auth.passwordFile !== undefined) {
    issues.push([
      '/spec/authentication/passwordFile',
      'authentication-conflict',
      'passwordEnv and passwordFile are both set; set exactly one of them',
      true,
    ]);
  }
  if (vrrpVersionOf(manifest.spec) === 3) {
    issues.push([
      '/spec/authentication',
      'authentication-vrrp3',
      `this VirtualIP runs VRRPv3 (${vrrp3Reason(manifest.spec.advertInterval)}), which has no authentication; ` +
        'remove spec.authentication, or use IPv4 addresses with a whole-second advertInterval',
      true,
    ]);
  }
  return issues;
}

function vrrp3Reason(advertInterval: number | undefined): string {
  return advertInterval !== undefined && !Number.isInteger(advertInterval)
    ? `fractional advertInterval ${advertInterval}`
    : 'IPv6 addresses';
}

function advertIntervalProblems({ manifest }: LoadedVirtualIP): Issue[] {
  const interval = manifest.spec.advertInterval;
  if (interval === undefined) return [];
  const centiseconds = interval * 100;
  // Floating point: 0.07 * 100 is 7.000000000000001, still a whole number of centiseconds.
  if (Math.abs(centiseconds - Math.round(centiseconds)) > 1e-6) {
    return [
      [
        '/spec/advertInterval',
        'advert-interval-precision',
        `${interval} is not a whole number of centiseconds; VRRPv3 advertises in steps of 0.01 s (e.g. ${(Math.round(centiseconds) / 100).toString()})`,
      ],
    ];
  }
  if (vrrpVersionOf(manifest.spec) === 3 && interval > VRRP3_MAX_ADVERT_INTERVAL) {
    return [
      [
        '/spec/advertInterval',
        'advert-interval-vrrp3-range',
        `${interval} s is too long for VRRPv3 (used for IPv6 and fractional intervals), which allows at most ${VRRP3_MAX_ADVERT_INTERVAL} s`,
      ],
    ];
  }
  return [];
}

function repeatedNodes({ manifest }: LoadedVirtualIP): Issue[] {
  const firstIndex = new Map<string, number>();
  const issues: Issue[] = [];
  (manifest.spec.nodes ?? []).forEach((ref, index) => {
    const first = firstIndex.get(ref.name);
    if (first === undefined) {
      firstIndex.set(ref.name, index);
      return;
    }
    issues.push([
      `/spec/nodes/${index}/name`,
      'duplicate-node',
      `node "${ref.name}" is already listed at /spec/nodes/${first}; list each node once`,
    ]);
  });
  return issues;
}

/** The network address (or IPv4 broadcast) of the VIP's own subnet is no address a host can hold. */
function specialAddresses({ manifest }: LoadedVirtualIP): Issue[] {
  return manifest.spec.addresses.flatMap((text, index): Issue[] => {
    const cidr = parseIpCidr(text);
    const special = cidr && subnetSpecialAddress(cidr);
    if (!special) return [];
    return [
      [
        `/spec/addresses/${index}`,
        `${special}-address`,
        `${text} is the ${special} address of its subnet; a VIP must be a host address inside it ` +
          `(or a host route: ${canonicalAddress(cidr.address)} without a prefix)`,
      ],
    ];
  });
}

/** One address twice (with another prefix, or written differently) would be added twice. */
function repeatedAddresses({ manifest }: LoadedVirtualIP): Issue[] {
  const firstIndex = new Map<string, number>();
  return manifest.spec.addresses.flatMap((text, index): Issue[] => {
    const cidr = parseIpCidr(text);
    if (!cidr) return [];
    const key = canonicalAddress(cidr.address);
    const first = firstIndex.get(key);
    if (first === undefined) {
      firstIndex.set(key, index);
      return [];
    }
    return [
      [
        `/spec/addresses/${index}`,
        'duplicate-address',
        `${key} is already listed at /spec/addresses/${first}; list each address once, with one prefix`,
      ],
    ];
  });
}
