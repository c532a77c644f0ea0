import {
  canonicalAddress,
  cidrContains,
  isHostRoute,
  familyName,
  parseIpAddress,
  parseIpCidr,
  type IpCidr,
} from '../ip-address.js';
import { problemAt } from '../problem-location.js';
import { badPriorityMessage, resolveTargets } from '../targets.js';
import type { ClusterNode, LoadedVirtualIP } from '../types.js';
import type { Finding } from './finding.js';

type Issue = [pointer: string, code: string, message: string];

/** Canonical node address → the node that has it. */
export type NodeAddressIndex = ReadonlyMap<string, string>;

export function indexNodeAddresses(nodes: readonly ClusterNode[]): NodeAddressIndex {
  const index = new Map<string, string>();
  for (const node of nodes) {
    for (const text of node.addresses) {
      const address = parseIpAddress(text);
      if (address) index.set(canonicalAddress(address), node.name);
    }
  }
  return index;
}

export interface NodeCheckContext {
  addressIndex: NodeAddressIndex;
  /** The cluster's nodes, when known. */
  knownNodes: readonly ClusterNode[] | undefined;
  /** The nodes' addresses are all there is (the reconciler's view), not a partial declaration. */
  addressesFinal: boolean;
}

/**
 * Checks of a VIP against the nodes: its addresses are no node's own, and, when the nodes are
 * known, the nodes it names exist and can carry its addresses.
 */
export function nodeChecks(vip: LoadedVirtualIP, context: NodeCheckContext): Finding[] {
  const { addressIndex, knownNodes, addressesFinal } = context;
  const issues = [
    ...ownAddresses(vip, addressIndex),
    ...(knownNodes
      ? [
          ...unknownNodes(vip, knownNodes),
          ...unreachableSubnets(vip, knownNodes, addressesFinal),
          ...badPriorityLabels(vip, knownNodes),
        ]
      : []),
  ];
  const name = vip.manifest.metadata.name;
  return issues.map(([pointer, code, message]) => ({
    problem: problemAt(vip.origin, pointer, code, message),
    vip: name,
  }));
}

function ownAddresses({ manifest }: LoadedVirtualIP, addressIndex: NodeAddressIndex): Issue[] {
  return manifest.spec.addresses.flatMap((text, index): Issue[] => {
    const cidr = parseIpCidr(text);
    const owner = cidr && addressIndex.get(canonicalAddress(cidr.address));
    if (!cidr || owner === undefined) return [];
    return [
      [
        `/spec/addresses/${index}`,
        'address-is-node-address',
        `${cidr.address.toString()} is the own address of node "${owner}"; a virtual IP must be an address no node has`,
      ],
    ];
  });
}

function badPriorityLabels({ manifest }: LoadedVirtualIP, knownNodes: readonly ClusterNode[]): Issue[] {
  return resolveTargets(manifest.spec, knownNodes).badPriorities.map((bad): Issue => [
    '/spec/nodeSelector',
    'bad-priority-label',
    badPriorityMessage(bad.node),
  ]);
}

function unknownNodes({ manifest }: LoadedVirtualIP, knownNodes: readonly ClusterNode[]): Issue[] {
  const { missing } = resolveTargets(manifest.spec, knownNodes);
  if (missing.length === 0) return [];
  const known = knownNodes.map((node) => node.name).join(', ') || 'none';
  return (manifest.spec.nodes ?? []).flatMap((ref, index): Issue[] =>
    missing.includes(ref.name)
      ? [
          [
            `/spec/nodes/${index}/name`,
            'unknown-node',
            `no node named "${ref.name}" is known (known nodes: ${known}); fix the name or add a NodeEndpoint for it`,
          ],
        ]
      : [],
  );
}

/**
 * Without `interface`, keepalived puts the VIP on the interface that holds the node's unicast
 * address, so the VIP's network must contain that address. Host routes (/32, /128) fit anywhere.
 */
function unreachableSubnets(
  { manifest }: LoadedVirtualIP,
  knownNodes: readonly ClusterNode[],
  addressesFinal: boolean,
): Issue[] {
  const cidrs = manifest.spec.addresses.map((text) => parseIpCidr(text));
  const family = cidrs[0]?.family;
  if (family === undefined) return [];
  const targets = [
    ...new Set(resolveTargets(manifest.spec, knownNodes).targets.map((target) => target.node)),
  ];
  const issues = missingFamily(targets, family, addressesFinal);
  if (manifest.spec.interface !== undefined) return issues;
  cidrs.forEach((cidr, index) => {
    const outside = cidr && !isHostRoute(cidr) ? nodesOutside(cidr, targets) : [];
    if (outside.length === 0) return;
    issues.push([
      `/spec/addresses/${index}`,
      'address-outside-subnet',
      `${manifest.spec.addresses[index]} does not contain the unicast address of ${outside.join(', ')}; ` +
        'without spec.interface the VIP goes on the interface holding that address, so it must be in that subnet — ' +
        'use an address there, or set spec.interface',
    ]);
  });
  return issues;
}

function familyAddresses(node: ClusterNode, family: IpCidr['family']): ReturnType<typeof parseIpAddress>[] {
  return node.addresses.map((text) => parseIpAddress(text)).filter((address) => address?.kind() === family);
}

function nodesOutside(cidr: IpCidr, targets: readonly ClusterNode[]): string[] {
  return targets.flatMap((node) => {
    const addresses = familyAddresses(node, cidr.family);
    const inside = addresses.some((address) => address !== undefined && cidrContains(cidr, address));
    return addresses.length > 0 && !inside ? [`${node.name} (${addresses.map(String).join(', ')})`] : [];
  });
}

/**
 * Nodes without an address of the VIP's family cannot send its adverts. A node with no address at
 * all counts only when the addresses are final: a NodeEndpoint may leave it to the swarm.
 */
function missingFamily(
  targets: readonly ClusterNode[],
  family: IpCidr['family'],
  addressesFinal: boolean,
): Issue[] {
  const lacking = targets.filter(
    (node) => (addressesFinal || node.addresses.length > 0) && familyAddresses(node, family).length === 0,
  );
  if (lacking.length === 0) return [];
  const hint = family === 'ipv6' ? ' (NodeEndpoint spec.ipv6Address)' : ' (NodeEndpoint spec.address)';
  return [
    [
      '/spec/addresses/0',
      'node-address-family',
      `node ${lacking.map((node) => `"${node.name}"`).join(', ')} has no ${familyName(family)} unicast address ` +
        `for VRRP; give it one${hint} or target other nodes`,
    ],
  ];
}
