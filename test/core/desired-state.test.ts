import { describe, expect, it } from 'vitest';
import {
  CONFIG_TEMPLATE_PATH,
  HEALTH_CHECK_SCRIPT_PATH,
  INTERFACE_PLACEHOLDER,
  NOTIFY_SCRIPT_PATH,
} from '../../src/core/container-layout.js';
import { desiredState, type DesiredStateInput } from '../../src/core/desired-state.js';
import {
  DEFAULT_IMAGE,
  LABEL_MANAGED,
  LABEL_SPEC_HASH,
  LABEL_VIP,
  type DesiredContainer,
  type VirtualIP,
} from '../../src/core/types.js';
import { deriveVirtualRouterId } from '../../src/core/virtual-router-id.js';
import type { ManifestFile } from '../../src/manifest/parse-documents.js';
import { parseManifests } from '../../src/manifest/parse-manifests.js';
import { validateAgainstNodes } from '../../src/manifest/validate-against-nodes.js';
import { DEFAULT_ADVERT_INTERVAL } from '../../src/core/vrrp-version.js';
import { nodeRefs, nodesOf, vipOf } from './fixtures.js';

const noFrozen = { names: new Set<string>(), unknownNames: false };

function compute(virtualIPs: VirtualIP[], extra: Partial<DesiredStateInput> = {}) {
  return desiredState({ virtualIPs, nodes: nodesOf(3), passwords: new Map(), frozen: noFrozen, ...extra });
}

function placement(containers: readonly DesiredContainer[]): string[] {
  return containers.map((c) => `${c.vip}@${c.node}:${c.priority}`);
}

function config(container: DesiredContainer | undefined): string {
  return container?.files.find((f) => f.path === CONFIG_TEMPLATE_PATH)?.content ?? '';
}

describe('desiredState', () => {
  it('builds one container per target node', () => {
    const state = compute([vipOf('web')]);
    expect(placement(state.containers)).toEqual(['web@node-1:200', 'web@node-2:100']);
    const [first] = state.containers;
    expect(first).toMatchObject({
      name: 'keepalived-web',
      image: DEFAULT_IMAGE,
      addresses: ['198.18.0.100'],
      // Nothing secret: the files ride in the create request, and the command writes them.
      fileDelivery: 'environment',
      labels: { [LABEL_MANAGED]: 'true', [LABEL_VIP]: 'web', [LABEL_SPEC_HASH]: first?.specHash },
    });
    expect(first?.command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(first?.files.map((f) => [f.path, f.mode])).toEqual([
      [CONFIG_TEMPLATE_PATH, 0o600],
      [NOTIFY_SCRIPT_PATH, 0o755],
    ]);
    expect(config(first)).toContain('unicast_src_ip 198.18.0.1\n  unicast_peer {\n    198.18.0.2\n  }');
    expect(config(state.containers[1])).toContain(
      'unicast_src_ip 198.18.0.2\n  unicast_peer {\n    198.18.0.1\n  }',
    );
  });

  it.each([
    { name: 'nodes by hostname', spec: { nodes: [{ name: 'node-3', priority: 7 }] }, want: ['v@node-3:7'] },
    { name: 'nodes by swarm ID', spec: { nodes: [{ name: 'id2', priority: 9 }] }, want: ['v@node-2:9'] },
    {
      name: 'nodeSelector role',
      spec: { nodes: undefined, nodeSelector: { role: 'worker' as const } },
      want: ['v@node-2:100', 'v@node-3:150'],
    },
    {
      name: 'nodeSelector labels',
      spec: { nodes: undefined, nodeSelector: { labels: { vip: 'true' } } },
      want: ['v@node-3:150'],
    },
    {
      name: 'nodeSelector matching nothing',
      spec: { nodes: undefined, nodeSelector: { role: 'manager' as const, labels: { vip: 'true' } } },
      want: [],
    },
  ])('targets $name', ({ spec, want }) => {
    const nodes = nodesOf(3);
    nodes[2] = { ...nodes[2]!, labels: { vip: 'true', 'swarm-vip.priority': '150' } };
    expect(placement(compute([vipOf('v', spec)], { nodes }).containers)).toEqual(want);
  });

  it('never targets a drained node, named or selected, and does not call it missing', () => {
    const nodes = nodesOf(3).map((n) => (n.name === 'node-2' ? { ...n, drained: true } : n));
    const named = compute([vipOf('n', { nodes: nodeRefs(3) })], { nodes });
    expect(placement(named.containers)).toEqual(['n@node-1:250', 'n@node-3:230']);
    expect(config(named.containers[0])).not.toContain('198.18.0.2');
    const selected = compute([vipOf('s', { nodes: undefined, nodeSelector: { role: 'any' } })], { nodes });
    expect(placement(selected.containers)).toEqual(['s@node-1:100', 's@node-3:100']);
  });

  it('renders 5 nodes, each with the 4 others as peers', () => {
    const state = compute([vipOf('v', { nodes: nodeRefs(5) })], { nodes: nodesOf(5) });
    expect(state.containers).toHaveLength(5);
    for (const [i, c] of state.containers.entries()) {
      const peers = [1, 2, 3, 4, 5].filter((n) => n !== i + 1).map((n) => `    198.18.0.${n}`);
      expect(config(c)).toContain(`unicast_peer {\n${peers.join('\n')}\n  }`);
    }
  });

  it('uses the IPv6 address for an IPv6 VIP', () => {
    const state = compute([vipOf('v6', { addresses: ['fd00:5eed::100/64'] })]);
    expect(config(state.containers[0])).toContain(
      'unicast_src_ip fd00:5eed::1\n  unicast_peer {\n    fd00:5eed::2',
    );
    expect(state.containers[0]?.command[2]).toContain("want='fd00:5eed::1'");
  });

  it('resolves the interface at start only when the manifest names none', () => {
    const [auto] = compute([vipOf('a')]).containers;
    const [fixed] = compute([vipOf('b', { interface: 'ens3' })]).containers;
    expect(config(auto)).toContain(INTERFACE_PLACEHOLDER);
    expect(auto?.command[2]).toContain('iface=$(ip -o addr show');
    expect(config(fixed)).not.toContain(INTERFACE_PLACEHOLDER);
    expect(fixed?.command[2]).not.toContain('iface=$(ip -o addr show');
  });

  it("has every container remove its VIP's addresses from the node at start", () => {
    const [v4] = compute([vipOf('a', { addresses: ['198.18.0.100/24', '198.18.0.101/24'] })]).containers;
    const [v6] = compute([vipOf('b', { addresses: ['fd00:5eed:0::0100/64'] })]).containers;
    expect(v4?.command[2]).toContain("for want in '198.18.0.100' '198.18.0.101'; do");
    expect(v6?.command[2]).toContain("for want in 'fd00:5eed::100'; do");
  });

  it('delivers the health-check script with the health check', () => {
    const [c] = compute([vipOf('h', { healthCheck: { tcp: { port: 80 } } })]).containers;
    expect(c?.files.find((f) => f.path === HEALTH_CHECK_SCRIPT_PATH)).toMatchObject({ mode: 0o755 });
  });

  it('takes the image from the manifest', () => {
    expect(compute([vipOf('i', { image: 'example/kad:1' })]).containers[0]?.image).toBe('example/kad:1');
  });

  it('freezes suspended VIPs and keeps incoming frozen names', () => {
    const frozen = { names: new Set(['broken']), unknownNames: true };
    const result = compute([vipOf('s', { suspend: true }), vipOf('ok')], { frozen });
    expect(placement(result.containers)).toEqual(['ok@node-1:200', 'ok@node-2:100']);
    expect([...result.frozen.names].sort()).toEqual(['broken', 's']);
    expect(result.frozen.unknownNames).toBe(true);
    // No containers, but the status still knows which addresses to look for.
    expect([...(result.suspendedAddresses ?? [])]).toEqual([['s', ['198.18.0.100']]]);
  });

  it('throws on an input validation would have refused, rather than render it', () => {
    expect(() => compute([vipOf('p', { authentication: { passwordEnv: 'P' } })])).toThrow(
      /without its password/,
    );
    const noAddress = nodesOf(3).map((n) => ({ ...n, addresses: [] }));
    expect(() => compute([vipOf('a')], { nodes: noAddress })).toThrow(/has no address/);
  });

  it('leaves a VIP alone that the loader already froze', () => {
    const result = compute([vipOf('x')], { frozen: { names: new Set(['x']), unknownNames: false } });
    expect(result.containers).toEqual([]);
  });

  it('puts the password into the config file only', () => {
    const password = 'Pw0rd-xy';
    const state = compute([vipOf('a', { authentication: { passwordEnv: 'P' } })], {
      passwords: new Map([['a', password]]),
    });
    for (const c of state.containers) {
      // The config holds the password: put into the container, never in the create request.
      expect(c.fileDelivery).toBe('archive');
      expect(c.command.join(' ')).not.toContain('SWARM_VIP_FILE_');
      const { files, ...rest } = c;
      expect(JSON.stringify(rest)).not.toContain(password);
      expect(files.filter((f) => f.content.includes(password)).map((f) => [f.path, f.mode])).toEqual([
        [CONFIG_TEMPLATE_PATH, 0o600],
      ]);
    }
  });

  it('orders containers by VIP and node', () => {
    const state = compute([vipOf('b'), vipOf('a', { nodes: [...nodeRefs(3)!].reverse() })]);
    expect(state.containers.map((c) => `${c.vip}@${c.node}`)).toEqual([
      'a@node-1',
      'a@node-2',
      'a@node-3',
      'b@node-1',
      'b@node-2',
    ]);
  });
});

/**
 * Problems of the manifest itself never reach desiredState in production: the pass hands it only
 * the VIPs the loader accepted (src/loop/pass.ts: parseManifests, validateAgainstNodes, then
 * desiredState). So these go through that same path, from YAML text, and check what an operator
 * sees: one problem at the right place, the VIP frozen, nothing rendered for it, the others kept.
 */
describe('manifest problems, on the path a pass takes', () => {
  const yaml = (name: string, addresses: string, ...extra: string[]) =>
    [
      'apiVersion: swarm-vip/v1',
      'kind: VirtualIP',
      `metadata: { name: ${name} }`,
      'spec:',
      `  addresses: ${addresses}`,
      '  nodes: [{ name: node-1, priority: 200 }, { name: node-2, priority: 100 }]',
      ...extra.map((line) => `  ${line}`),
      '',
    ].join('\n');
  const other = { path: 'other.yaml', text: yaml('other', '[198.18.0.101/24]') };

  function asAPassDoes(files: ManifestFile[]) {
    const nodes = nodesOf(3);
    const loaded = validateAgainstNodes(parseManifests(files), nodes);
    const rendered = desiredState({
      virtualIPs: loaded.virtualIPs.map((v) => v.manifest),
      nodes,
      passwords: new Map([['f', 'ok']]),
      frozen: loaded.frozen,
    });
    return { loaded, rendered };
  }

  it.each([
    {
      name: 'authentication with IPv6',
      text: yaml('f', '[fd00:5eed::100/64]', 'authentication: { passwordFile: /p }'),
      at: [7, '/spec/authentication', 'authentication-vrrp3'],
    },
    {
      name: 'authentication with a fractional interval',
      text: yaml('f', '[198.18.0.100/24]', 'advertInterval: 0.5', 'authentication: { passwordFile: /p }'),
      at: [8, '/spec/authentication', 'authentication-vrrp3'],
    },
    {
      name: 'mixed address families',
      text: yaml('f', '[198.18.0.100/24, fd00:5eed::100/64]'),
      at: [5, '/spec/addresses/1', 'mixed-address-family'],
    },
    {
      name: 'an unparseable address',
      text: yaml('f', '[198.18.0.100/24, 300.1.1.1/24]'),
      at: [5, '/spec/addresses/1', 'schema'],
    },
    {
      // A /0 would make the VIP a default route on the interface.
      name: 'a /0 prefix',
      text: yaml('f', '[198.18.0.100/0]'),
      at: [5, '/spec/addresses/0', 'schema'],
    },
    {
      name: 'a health check without probe',
      text: yaml('f', '[198.18.0.100/24]', 'healthCheck: { fall: 3 }'),
      at: [7, '/spec/healthCheck', 'exactly-one-of'],
    },
  ])('$name: reported once where it is, the VIP frozen, the others rendered', ({ text, at }) => {
    const { loaded, rendered } = asAPassDoes([{ path: 'f.yaml', text }, other]);
    expect(loaded.problems.map((p) => [p.file, p.line, p.path, p.code])).toEqual([['f.yaml', ...at]]);
    expect(rendered.frozen.names.has('f')).toBe(true);
    expect(placement(rendered.containers)).toEqual(['other@node-1:200', 'other@node-2:100']);
  });

  it('a name declared twice: both places reported, the VIP frozen, nothing rendered for it', () => {
    const { loaded, rendered } = asAPassDoes([
      { path: 'a.yaml', text: yaml('d', '[198.18.0.100/24]') },
      { path: 'b.yaml', text: yaml('d', '[198.18.0.100/24]') },
      other,
    ]);
    expect(loaded.problems.map((p) => [p.file, p.line, p.code])).toEqual([
      ['a.yaml', 3, 'duplicate-name'],
      ['b.yaml', 3, 'duplicate-name'],
    ]);
    expect(rendered.frozen.names.has('d')).toBe(true);
    expect(rendered.containers.every((c) => c.vip === 'other')).toBe(true);
  });
});

describe('desiredState spec hashes', () => {
  const hashes = (vip: VirtualIP, extra: Partial<DesiredStateInput> = {}): Record<string, string> =>
    Object.fromEntries(compute([vip], extra).containers.map((c) => [c.node, c.specHash]));
  const baseline = hashes(vipOf('h'));

  it('differ per node (own address, peers, priority)', () => {
    expect(baseline['node-1']).not.toBe(baseline['node-2']);
  });

  it.each([
    { name: 'metadata labels', vip: { ...vipOf('h'), metadata: { name: 'h', labels: { team: 'x' } } } },
    { name: 'node input order', vip: vipOf('h'), extra: { nodes: nodesOf(3).reverse() } },
    { name: 'an untargeted node coming and going', vip: vipOf('h'), extra: { nodes: nodesOf(2) } },
    { name: 'an explicit default image', vip: vipOf('h', { image: DEFAULT_IMAGE }) },
    {
      name: 'explicit defaults',
      vip: vipOf('h', { advertInterval: DEFAULT_ADVERT_INTERVAL, preempt: true, suspend: false }),
    },
    {
      name: 'the derived router ID made explicit',
      vip: vipOf('h', { virtualRouterId: deriveVirtualRouterId('h') }),
    },
  ])('stay the same across $name', ({ vip, extra }) => {
    expect(hashes(vip, extra)).toEqual(baseline);
  });

  it.each([
    {
      name: 'a priority',
      vip: vipOf('h', {
        nodes: [
          { name: 'node-1', priority: 201 },
          { name: 'node-2', priority: 100 },
        ],
      }),
      nodes: ['node-1'],
    },
    { name: 'a new peer', vip: vipOf('h', { nodes: nodeRefs(3) }), nodes: ['node-1', 'node-2'] },
    { name: 'an address', vip: vipOf('h', { addresses: ['198.18.0.101/24'] }), nodes: ['node-1', 'node-2'] },
    { name: 'the image', vip: vipOf('h', { image: 'other:1' }), nodes: ['node-1', 'node-2'] },
    { name: 'the interface', vip: vipOf('h', { interface: 'eth0' }), nodes: ['node-1', 'node-2'] },
    { name: 'preempt', vip: vipOf('h', { preempt: false }), nodes: ['node-1', 'node-2'] },
    {
      name: 'the health check',
      vip: vipOf('h', { healthCheck: { tcp: { port: 1 } } }),
      nodes: ['node-1', 'node-2'],
    },
    { name: 'the router ID', vip: vipOf('h', { virtualRouterId: 7 }), nodes: ['node-1', 'node-2'] },
  ])('change with $name on the nodes it concerns', ({ vip, nodes }) => {
    const changed = hashes(vip);
    for (const node of nodes) expect(changed[node], node).not.toBe(baseline[node]);
  });

  it('change with the password', () => {
    const vip = vipOf('h', { authentication: { passwordEnv: 'P' } });
    const one = hashes(vip, { passwords: new Map([['h', 'one']]) });
    const two = hashes(vip, { passwords: new Map([['h', 'two']]) });
    expect(one['node-1']).not.toBe(two['node-1']);
    expect(hashes(vip, { passwords: new Map([['h', 'one']]) })).toEqual(one);
  });
});
