import { describe, expect, it } from 'vitest';
import type {
  ClusterNode,
  NodeEndpoint,
  LoadedNodeEndpoint,
  LoadedVirtualIP,
  VirtualIPSpec,
} from '../../src/core/types.js';
import { validateManifests } from '../../src/core/validate-manifests.js';
import { deriveVirtualRouterId } from '../../src/core/virtual-router-id.js';

const positions = new Map([
  ['/metadata/name', { line: 4, col: 9 }],
  ['/spec#key', { line: 5, col: 1 }],
]);

/** Each VIP name its own address by default (one address in two VIPs is a problem of its own). */
const defaultAddresses = new Map<string, string>();
function defaultAddress(name: string): string {
  const address = defaultAddresses.get(name) ?? `192.168.4.${10 + defaultAddresses.size}/24`;
  defaultAddresses.set(name, address);
  return address;
}

function vip(name: string, spec: Partial<VirtualIPSpec>, file = `${name}.yaml`): LoadedVirtualIP {
  return {
    manifest: {
      apiVersion: 'swarm-vip/v1',
      kind: 'VirtualIP',
      metadata: { name },
      spec: { addresses: [defaultAddress(name)], ...spec },
    },
    origin: { file, documentIndex: 0, positions },
  };
}

function endpoint(name: string, address?: string, ipv6Address?: string): LoadedNodeEndpoint {
  return {
    manifest: {
      apiVersion: 'swarm-vip/v1',
      kind: 'NodeEndpoint',
      metadata: { name },
      spec: { docker: 'unix:///var/run/docker.sock', address, ipv6Address },
    },
    origin: { file: 'nodes.yaml', documentIndex: 0, positions: new Map() },
  };
}

const node = (name: string, addresses: string[], extra: Partial<ClusterNode> = {}): ClusterNode => ({
  name,
  role: 'worker',
  labels: {},
  addresses,
  ...extra,
});

const twoNodes = [
  endpoint('node-1', '192.168.4.1', 'fd00:4::1'),
  endpoint('node-2', '192.168.4.2', 'fd00:4::2'),
];
const on = (...names: string[]) => ({ nodes: names.map((name) => ({ name, priority: 100 })) });
/** Two names whose derived router IDs collide. */
const [clashA, clashB] = (() => {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = `vip-${i}`;
    const other = seen.get(deriveVirtualRouterId(name));
    if (other) return [other, name];
    seen.set(deriveVirtualRouterId(name), name);
  }
})() as [string, string];

type Case = [
  title: string,
  virtualIPs: LoadedVirtualIP[],
  endpoints: LoadedNodeEndpoint[],
  nodes: ClusterNode[] | undefined,
  expected: [code: string, path: string, says: string][],
];

const withSpec = (
  e: LoadedNodeEndpoint,
  spec: Partial<NodeEndpoint['spec']>,
  labels?: Record<string, string>,
) => ({
  ...e,
  manifest: {
    ...e.manifest,
    metadata: { ...e.manifest.metadata, labels },
    spec: { ...e.manifest.spec, ...spec },
  },
});

const cases: Case[] = [
  ['a valid VIP', [vip('a', on('node-1', 'node-2'))], twoNodes, undefined, []],
  [
    'one address in two VirtualIPs',
    [
      vip('a', { ...on('node-1'), addresses: ['192.168.4.50/24'] }),
      vip('b', { ...on('node-2'), addresses: ['192.168.4.50/25'] }),
    ],
    twoNodes,
    undefined,
    [
      [
        'address-conflict',
        '/spec/addresses/0',
        '192.168.4.50 is also declared by VirtualIP "b" (b.yaml:4:9)',
      ],
      [
        'address-conflict',
        '/spec/addresses/0',
        '192.168.4.50 is also declared by VirtualIP "a" (a.yaml:4:9)',
      ],
    ],
  ],
  [
    'one address twice in a VirtualIP, with two prefixes',
    [vip('a', { ...on('node-1'), addresses: ['192.168.4.50/24', '192.168.4.50/32'] })],
    twoNodes,
    undefined,
    [['duplicate-address', '/spec/addresses/1', '192.168.4.50 is already listed at /spec/addresses/0']],
  ],
  [
    'an IPv6 address written two ways',
    [vip('a', { ...on('node-1'), addresses: ['fd00:4::50/64', 'FD00:4:0::50'] })],
    twoNodes,
    undefined,
    [['duplicate-address', '/spec/addresses/1', 'fd00:4::50 is already listed']],
  ],
  [
    'a network address',
    [vip('a', { ...on('node-1'), addresses: ['192.168.4.0/24'] })],
    twoNodes,
    undefined,
    [['network-address', '/spec/addresses/0', '192.168.4.0/24 is the network address of its subnet']],
  ],
  [
    'a broadcast address',
    [vip('a', { ...on('node-1'), addresses: ['192.168.4.255/24'] })],
    twoNodes,
    undefined,
    [['broadcast-address', '/spec/addresses/0', 'is the broadcast address of its subnet']],
  ],
  [
    'a selected node whose priority label is not 1..254 in plain digits',
    [vip('a', { nodeSelector: { role: 'any' } })],
    [],
    [
      node('n1', ['192.168.4.1'], { labels: { 'swarm-vip.priority': '0x10' } }),
      node('n2', ['192.168.4.2'], { labels: { 'swarm-vip.priority': '150' } }),
      node('n3', ['192.168.4.3'], { labels: { 'swarm-vip.priority': '255' } }),
    ],
    [
      [
        'bad-priority-label',
        '/spec/nodeSelector',
        "node n1's label swarm-vip.priority is not a whole number in 1..254",
      ],
      ['bad-priority-label', '/spec/nodeSelector', "node n3's label swarm-vip.priority"],
    ],
  ],
  [
    'a NodeEndpoint priority label that is not plain digits',
    [],
    [withSpec(endpoint('node-1', '192.168.4.1'), {}, { 'swarm-vip.priority': 'high' })],
    undefined,
    [['bad-priority-label', '/metadata/labels/swarm-vip.priority', 'whole number in 1..254']],
  ],
  [
    'TLS files on a unix:// endpoint',
    [],
    [withSpec(endpoint('node-1', '192.168.4.1'), { tls: { caFile: '/ca', certFile: '/c', keyFile: '/k' } })],
    undefined,
    [['tls-without-tcp', '/spec/tls', 'TLS files apply to tcp:// endpoints only']],
  ],
  [
    'ssh settings on a tcp:// endpoint',
    [],
    [
      withSpec(endpoint('node-1', '192.168.4.1'), {
        docker: 'tcp://n1:2376',
        ssh: { knownHostsFile: '/kh' },
      }),
    ],
    undefined,
    [['ssh-without-ssh-url', '/spec/ssh', 'ssh settings apply to ssh:// endpoints only']],
  ],
  [
    'a Docker URL the adapter could not use',
    [],
    [withSpec(endpoint('node-1', '192.168.4.1'), { docker: 'tcp://host:2376/path?x' })],
    undefined,
    [['docker-url', '/spec/docker', 'needs a host name or address (and nothing after the port)']],
  ],
  [
    'duplicate VIP names, pointing at each other',
    [vip('a', on('node-1'), 'one.yaml'), vip('a', on('node-2'), 'two.yaml')],
    [],
    undefined,
    [
      ['duplicate-name', '/metadata/name', 'also defined at two.yaml:4:9'],
      ['duplicate-name', '/metadata/name', 'also defined at one.yaml:4:9'],
    ],
  ],
  [
    'an explicit router ID shared on a node',
    [
      vip('a', { ...on('node-1', 'node-2'), virtualRouterId: 7 }),
      vip('b', { ...on('node-2'), virtualRouterId: 7 }),
    ],
    [],
    undefined,
    [
      [
        'virtual-router-id-conflict',
        '/spec/virtualRouterId',
        'also used by VirtualIP "b" (b.yaml:4:9) on node node-2',
      ],
      ['virtual-router-id-conflict', '/spec/virtualRouterId', 'also used by VirtualIP "a"'],
    ],
  ],
  [
    'a router ID shared on disjoint nodes',
    [vip('a', { ...on('node-1'), virtualRouterId: 7 }), vip('b', { ...on('node-2'), virtualRouterId: 7 })],
    twoNodes,
    undefined,
    [],
  ],
  [
    'a router ID shared by an IPv4 and an IPv6 VIP',
    [
      vip('a', { ...on('node-1'), virtualRouterId: 7 }),
      vip('b', { ...on('node-1'), virtualRouterId: 7, addresses: ['fd00:4::3/64'] }),
    ],
    twoNodes,
    undefined,
    [],
  ],
  [
    'a derived router ID shared on a node',
    [vip(clashA, on('node-1')), vip(clashB, on('node-1'))],
    [],
    undefined,
    [
      ['virtual-router-id-conflict', '/metadata/name', 'set spec.virtualRouterId explicitly'],
      ['virtual-router-id-conflict', '/metadata/name', 'set spec.virtualRouterId explicitly'],
    ],
  ],
  [
    'a derived router ID shared by selectors when no nodes are known',
    [
      vip(clashA, { nodeSelector: { labels: { a: '1' } } }),
      vip(clashB, { nodeSelector: { labels: { b: '1' } } }),
    ],
    [],
    undefined,
    [
      ['virtual-router-id-conflict', '/metadata/name', 'may share nodes'],
      ['virtual-router-id-conflict', '/metadata/name', 'may share nodes'],
    ],
  ],
  [
    'a router ID shared by selectors that select different known nodes',
    [
      vip(clashA, { nodeSelector: { labels: { a: '1' } } }),
      vip(clashB, { nodeSelector: { labels: { b: '1' } } }),
    ],
    [],
    [node('n1', [], { labels: { a: '1' } }), node('n2', [], { labels: { b: '1' } })],
    [],
  ],
  [
    'a router ID shared with a node named by its swarm ID',
    [vip('a', { ...on('n1'), virtualRouterId: 9 }), vip('b', { ...on('abc123'), virtualRouterId: 9 })],
    [],
    [node('n1', [], { id: 'abc123' })],
    [
      ['virtual-router-id-conflict', '/spec/virtualRouterId', 'on node n1'],
      ['virtual-router-id-conflict', '/spec/virtualRouterId', 'on node n1'],
    ],
  ],
  [
    'mixed address families',
    [vip('a', { ...on('node-1'), addresses: ['192.168.4.3/24', 'fd00:4::3/64'] })],
    [],
    undefined,
    [['mixed-address-family', '/spec/addresses/1', 'is IPv6 but /spec/addresses/0 is IPv4']],
  ],
  [
    'passwordEnv and passwordFile both set',
    [vip('a', { ...on('node-1'), authentication: { passwordEnv: 'P', passwordFile: '/p' } })],
    [],
    undefined,
    [['authentication-conflict', '/spec/authentication/passwordFile', 'set exactly one']],
  ],
  [
    'authentication on IPv6 (VRRPv3)',
    [vip('a', { ...on('node-1'), addresses: ['fd00:4::3/64'], authentication: { passwordEnv: 'P' } })],
    [],
    undefined,
    [['authentication-vrrp3', '/spec/authentication', 'VRRPv3 (IPv6 addresses)']],
  ],
  [
    // Any IPv6 address means VRRPv3, not only the first, as the renderer has always read it.
    'authentication on mixed families with IPv4 first',
    [
      vip('a', {
        ...on('node-1'),
        addresses: ['192.168.4.3/24', 'fd00:4::3/64'],
        authentication: { passwordEnv: 'P' },
      }),
    ],
    [],
    undefined,
    [
      ['mixed-address-family', '/spec/addresses/1', 'is IPv6 but /spec/addresses/0 is IPv4'],
      ['authentication-vrrp3', '/spec/authentication', 'VRRPv3 (IPv6 addresses)'],
    ],
  ],
  [
    'authentication with a fractional interval (VRRPv3)',
    [vip('a', { ...on('node-1'), advertInterval: 0.5, authentication: { passwordEnv: 'P' } })],
    [],
    undefined,
    [['authentication-vrrp3', '/spec/authentication', 'fractional advertInterval 0.5']],
  ],
  ['a centisecond interval', [vip('a', { ...on('node-1'), advertInterval: 0.07 })], [], undefined, []],
  [
    'an interval finer than centiseconds',
    [vip('a', { ...on('node-1'), advertInterval: 0.015 })],
    [],
    undefined,
    [['advert-interval-precision', '/spec/advertInterval', 'steps of 0.01 s']],
  ],
  [
    'an interval VRRPv3 cannot carry',
    [vip('a', { ...on('node-1'), addresses: ['fd00:4::3/64'], advertInterval: 60 })],
    [],
    undefined,
    [['advert-interval-vrrp3-range', '/spec/advertInterval', 'at most 40.95 s']],
  ],
  [
    "a VIP that is a NodeEndpoint's address",
    [vip('a', { ...on('node-1'), addresses: ['192.168.4.2/24'] })],
    twoNodes,
    undefined,
    [['address-is-node-address', '/spec/addresses/0', 'own address of node "node-2"']],
  ],
  [
    "a VIP that is a NodeEndpoint's IPv6 address, written differently",
    [vip('a', { ...on('node-1'), addresses: ['fd00:4:0::2/64'] })],
    twoNodes,
    undefined,
    [['address-is-node-address', '/spec/addresses/0', 'own address of node "node-2"']],
  ],
  [
    "a VIP that is a discovered node's address",
    [vip('a', { ...on('n1'), addresses: ['10.0.0.9/24'] })],
    [],
    [node('n1', ['10.0.0.1']), node('n2', ['10.0.0.9'])],
    [['address-is-node-address', '/spec/addresses/0', 'own address of node "n2"']],
  ],
  [
    'an unknown node when NodeEndpoints declare the nodes',
    [vip('a', on('node-1', 'node-9'))],
    twoNodes,
    undefined,
    [['unknown-node', '/spec/nodes/1/name', 'no node named "node-9" is known (known nodes: node-1, node-2)']],
  ],
  ['any node name when no nodes are known', [vip('a', on('node-9'))], [], undefined, []],
  [
    'an unknown node among discovered nodes',
    [vip('a', on('node-1'))],
    twoNodes,
    [node('n1', ['192.168.4.1'])],
    [['unknown-node', '/spec/nodes/0/name', 'no node named "node-1"']],
  ],
  [
    'a node listed twice',
    [vip('a', on('node-1', 'node-2', 'node-1'))],
    [],
    undefined,
    [['duplicate-node', '/spec/nodes/2/name', 'already listed at /spec/nodes/0']],
  ],
  [
    'an address outside the subnet of a target node',
    [vip('a', { ...on('node-1', 'node-2'), addresses: ['192.168.4.3/24', '10.9.0.3/16'] })],
    twoNodes,
    undefined,
    [['address-outside-subnet', '/spec/addresses/1', 'node-1 (192.168.4.1), node-2 (192.168.4.2)']],
  ],
  [
    'an address outside the subnet, with an interface named',
    [vip('a', { ...on('node-1'), addresses: ['10.9.0.3/16'], interface: 'eth1' })],
    twoNodes,
    undefined,
    [],
  ],
  [
    'a host route (/32)',
    [vip('a', { ...on('node-1'), addresses: ['10.9.0.3/32'] })],
    twoNodes,
    undefined,
    [],
  ],
  ['a bare address', [vip('a', { ...on('node-1'), addresses: ['10.9.0.3'] })], twoNodes, undefined, []],
  [
    'a node without an address of the VIP family',
    [vip('a', { ...on('n1'), addresses: ['fd00:4::3/64'] })],
    [],
    [node('n1', ['192.168.4.1'])],
    [['node-address-family', '/spec/addresses/0', 'node "n1" has no IPv6 unicast address']],
  ],
  [
    'a node whose addresses are unknown',
    [vip('a', { ...on('n1'), addresses: ['10.9.0.3/24'] })],
    [],
    [node('n1', [])],
    [],
  ],
];

describe('validateManifests', () => {
  it.each(cases)('%s', (_, virtualIPs, endpoints, nodes, expected) => {
    const result = validateManifests({ virtualIPs, endpoints }, nodes ? { nodes } : {});
    expect(result.problems.map((p) => [p.code, p.path, p.message])).toEqual(
      expected.map(([code, path, says]) => [code, path, expect.stringContaining(says)]),
    );
    const offenders = expected.length === 0 ? [] : virtualIPs.map((v) => v.manifest.metadata.name);
    expect([...result.invalidVirtualIPs].sort()).toEqual([...new Set(offenders)].sort());
  });

  it('locates problems at the nearest existing parent', () => {
    const [problem] = validateManifests({
      virtualIPs: [vip('a', on('node-1', 'node-1'))],
      endpoints: [],
    }).problems;
    expect(problem).toMatchObject({ file: 'a.yaml', line: 5, col: 1, path: '/spec/nodes/1/name' });
  });

  it('copies of one VirtualIP are duplicate-name problems; only the first takes part in router ID clashes', () => {
    // So 10,000 copies of one manifest are not 10,000² partner checks (bench:hostile).
    const copies = [1, 2, 3].map((k) => vip('a', { ...on('node-1'), virtualRouterId: 7 }, `copy${k}.yaml`));
    const result = validateManifests({
      virtualIPs: [...copies, vip('b', { ...on('node-1'), virtualRouterId: 7 })],
      endpoints: twoNodes,
    });
    const codes = result.problems.map((p) => `${p.code} ${p.file}`).sort();
    expect(codes).toEqual([
      'duplicate-name copy1.yaml',
      'duplicate-name copy2.yaml',
      'duplicate-name copy3.yaml',
      'virtual-router-id-conflict b.yaml',
      'virtual-router-id-conflict copy1.yaml',
    ]);
  });

  it('rejects every NodeEndpoint of a duplicated name, but still knows the node', () => {
    const result = validateManifests({
      virtualIPs: [vip('a', on('node-1'))],
      endpoints: [endpoint('node-1', '192.168.4.1'), endpoint('node-1', '192.168.4.5')],
    });
    expect(result.problems.map((p) => p.code)).toEqual(['duplicate-name', 'duplicate-name']);
    expect([...result.invalidEndpoints]).toEqual(['node-1']);
    expect([...result.invalidVirtualIPs]).toEqual([]);
  });
});
