import { describe, expect, it } from 'vitest';
import { INTERFACE_PLACEHOLDER, NOTIFY_SCRIPT_PATH } from '../../src/core/container-layout.js';
import { renderKeepalivedConf, type KeepalivedConfInput } from '../../src/core/render-keepalived-conf.js';
import type { VirtualIPSpec } from '../../src/core/types.js';
import { deriveVirtualRouterId } from '../../src/core/virtual-router-id.js';
import { vipOf } from './fixtures.js';

function input(spec: Partial<VirtualIPSpec>, extra: Partial<KeepalivedConfInput> = {}): KeepalivedConfInput {
  return {
    vip: vipOf('web', spec),
    node: 'node-1',
    priority: 200,
    unicastSrcIp: '198.18.0.1',
    unicastPeers: ['198.18.0.2'],
    ...extra,
  };
}

/** The lines of `text` with indentation removed, for order-insensitive keyword checks. */
function lines(text: string): string[] {
  return text.split('\n').map((l) => l.trim());
}

describe('renderKeepalivedConf', () => {
  it('renders a complete IPv4 config', () => {
    expect(renderKeepalivedConf(input({ interface: 'eth0', virtualRouterId: 51 }))).toBe(
      [
        '# Rendered by swarm-vip. Do not edit: the reconciler replaces the container on any change.',
        'global_defs {',
        '  router_id node-1',
        '  script_user root',
        '  enable_script_security',
        '}',
        '',
        'vrrp_instance web {',
        '  state BACKUP',
        '  interface eth0',
        '  virtual_router_id 51',
        '  priority 200',
        '  advert_int 0.05',
        '  version 3',
        '  unicast_src_ip 198.18.0.1',
        '  unicast_peer {',
        '    198.18.0.2',
        '  }',
        '  virtual_ipaddress {',
        '    198.18.0.100/24 dev eth0',
        '  }',
        `  notify_master "${NOTIFY_SCRIPT_PATH} MASTER"`,
        `  notify_backup "${NOTIFY_SCRIPT_PATH} BACKUP"`,
        `  notify_fault "${NOTIFY_SCRIPT_PATH} FAULT"`,
        `  notify_stop "${NOTIFY_SCRIPT_PATH} STOP"`,
        '}',
        '',
      ].join('\n'),
    );
  });

  const cases: {
    name: string;
    spec: Partial<VirtualIPSpec>;
    extra?: Partial<KeepalivedConfInput>;
    has: string[];
    lacks?: string[];
  }[] = [
    {
      name: 'IPv6 uses VRRPv3 and canonical addresses',
      spec: { addresses: ['FD00:5EED:0:0::100/64'] },
      extra: { unicastSrcIp: 'fd00:5eed::1', unicastPeers: ['fd00:5eed::2'] },
      has: [
        'version 3',
        'unicast_src_ip fd00:5eed::1',
        'fd00:5eed::2',
        `fd00:5eed::100/64 dev ${INTERFACE_PLACEHOLDER}`,
      ],
      lacks: ['version 2'],
    },
    {
      name: 'authentication renders PASS, at the VRRPv2 default of 1 s',
      spec: { authentication: { passwordEnv: 'P' } },
      extra: { password: 's3cret' },
      has: ['authentication {', 'auth_type PASS', 'auth_pass "s3cret"', 'advert_int 1', 'version 2'],
    },
    {
      name: 'no advertInterval: the sub-second default, VRRPv3',
      spec: {},
      has: ['advert_int 0.05', 'version 3'],
      lacks: ['version 2', 'authentication {'],
    },
    {
      name: 'a password is ignored under VRRPv3 (desiredState refuses that case)',
      spec: { advertInterval: 0.5, authentication: { passwordEnv: 'P' } },
      extra: { password: 's3cret' },
      has: ['version 3'],
      lacks: ['auth_pass s3cret'],
    },
    { name: 'preempt false renders nopreempt', spec: { preempt: false }, has: ['nopreempt'] },
    {
      name: 'preempt true omits nopreempt',
      spec: { preempt: true },
      has: ['state BACKUP'],
      lacks: ['nopreempt'],
    },
    {
      name: 'fractional advertInterval uses VRRPv3',
      spec: { advertInterval: 0.25 },
      has: ['advert_int 0.25', 'version 3'],
    },
    { name: 'centiseconds are kept', spec: { advertInterval: 0.01 }, has: ['advert_int 0.01', 'version 3'] },
    { name: 'whole intervals keep VRRPv2', spec: { advertInterval: 3 }, has: ['advert_int 3', 'version 2'] },
    {
      name: 'a bare address is a host route',
      spec: { addresses: ['198.18.0.100', '198.18.0.101/32'] },
      has: [`198.18.0.100/32 dev ${INTERFACE_PLACEHOLDER}`, `198.18.0.101/32 dev ${INTERFACE_PLACEHOLDER}`],
    },
    {
      name: 'no interface renders the placeholder',
      spec: {},
      has: [`interface ${INTERFACE_PLACEHOLDER}`],
    },
    {
      name: 'a derived virtual router ID',
      spec: {},
      has: [`virtual_router_id ${deriveVirtualRouterId('web')}`],
    },
    {
      name: 'five nodes list four peers',
      spec: {},
      extra: { unicastPeers: ['198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5'] },
      has: ['unicast_peer {', '198.18.0.2', '198.18.0.3', '198.18.0.4', '198.18.0.5'],
    },
    {
      name: 'a single node renders no unicast keywords (keepalived warns on an empty peer list)',
      spec: {},
      extra: { unicastPeers: [] },
      has: ['vrrp_instance web {'],
      lacks: ['unicast_peer {', 'unicast_src_ip 198.18.0.1'],
    },
    {
      name: 'tcp health check with defaults',
      spec: { healthCheck: { tcp: { port: 80 } } },
      has: [
        'vrrp_script swarm_vip_health {',
        'script "/etc/swarm-vip/health-check.sh"',
        'interval 2',
        'timeout 1',
        'fall 2',
        'rise 2',
        'track_script {',
        'swarm_vip_health',
      ],
    },
    {
      name: 'http health check with explicit timing',
      spec: {
        healthCheck: {
          http: { url: 'http://127.0.0.1/healthz' },
          intervalSeconds: 5,
          timeoutSeconds: 3,
          fall: 4,
          rise: 6,
        },
      },
      has: ['interval 5', 'timeout 3', 'fall 4', 'rise 6', 'track_script {'],
    },
    {
      name: 'exec health check',
      spec: { healthCheck: { exec: ['true'] } },
      has: ['vrrp_script swarm_vip_health {', 'track_script {'],
    },
    {
      name: 'a health check without a probe renders no script',
      spec: { healthCheck: { intervalSeconds: 3 } },
      has: ['vrrp_instance web {'],
      lacks: ['track_script {', 'vrrp_script swarm_vip_health {'],
    },
  ];

  it.each(cases)('$name', ({ spec, extra, has, lacks }) => {
    const rendered = lines(renderKeepalivedConf(input(spec, extra)));
    for (const line of has) expect(rendered).toContain(line);
    for (const line of lacks ?? []) expect(rendered).not.toContain(line);
  });

  it('never lists the node itself as a peer when the caller does not', () => {
    const text = renderKeepalivedConf(input({}, { unicastPeers: ['198.18.0.2', '198.18.0.3'] }));
    const peerBlock = text.slice(
      text.indexOf('unicast_peer {'),
      text.indexOf('}', text.indexOf('unicast_peer {')),
    );
    expect(peerBlock).not.toContain('198.18.0.1');
  });

  it('is deterministic', () => {
    const spec: Partial<VirtualIPSpec> = { healthCheck: { tcp: { port: 80 } }, preempt: false };
    expect(renderKeepalivedConf(input(spec))).toBe(renderKeepalivedConf(input(spec)));
  });

  it('rejects an unparseable address', () => {
    expect(() => renderKeepalivedConf(input({ addresses: ['nope/24'] }))).toThrow(/not an IP address/);
  });
});
