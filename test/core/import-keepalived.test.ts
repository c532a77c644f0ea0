import { describe, expect, it } from 'vitest';
import {
  importHandRunKeepalived,
  parseRecipeList,
  type HandRunKeepalived,
} from '../../src/core/import-keepalived.js';

const handRun = (
  node: string,
  env: Record<string, string>,
  password: HandRunKeepalived['password'] = { set: true, length: 6, fingerprint: 'aa' },
): HandRunKeepalived => ({
  node,
  container: 'keepalived',
  image: 'osixia/keepalived:2.0.20',
  running: true,
  env,
  password,
});

describe('parseRecipeList', () => {
  it.each([
    ['198.51.100.7', ['198.51.100.7']],
    ['198.51.100.7  198.51.100.8', ['198.51.100.7', '198.51.100.8']],
    ["#PYTHON2BASH:['198.51.100.1', '198.51.100.2']", ['198.51.100.1', '198.51.100.2']],
    ['#PYTHON2BASH:["2001:db8::1"]', ['2001:db8::1']],
    ['#PYTHON2BASH:[]', []],
  ])('%s', (value, items) => expect(parseRecipeList(value)).toEqual({ items }));

  it.each([
    ["#PYTHON2BASH:['a' 'b']", /quoted strings/],
    ["#PYTHON2BASH:['a'] ; rm -rf /", /only #PYTHON2BASH:\[\.\.\.\] lists/],
    ["#PYTHON2BASH:['a'], ['b']", /quoted strings/],
    ['#PYTHON3:[1]', /only #PYTHON2BASH/],
    ['x'.repeat(5000), /longer than/],
  ])('rejects case %#', (value, error) =>
    expect(parseRecipeList(value)).toEqual({ error: expect.stringMatching(error) }),
  );
});

describe('importHandRunKeepalived', () => {
  const recipe = (priority: string) => ({
    KEEPALIVED_VIRTUAL_IPS: '198.51.100.7',
    KEEPALIVED_UNICAST_PEERS: "#PYTHON2BASH:['198.51.100.1', '198.51.100.2']",
    KEEPALIVED_PRIORITY: priority,
    KEEPALIVED_ROUTER_ID: '61',
  });

  it('groups the containers of one VRRP group into one VirtualIP, recipe defaults filled in', () => {
    const { vips, problems } = importHandRunKeepalived([
      handRun('node-2', recipe('100')),
      handRun('node-1', recipe('200')),
    ]);
    expect(problems).toEqual([]);
    expect(vips.map((v) => v.manifest)).toEqual([
      {
        apiVersion: 'swarm-vip/v1',
        kind: 'VirtualIP',
        metadata: { name: 'vip-198-51-100-7' },
        spec: {
          addresses: ['198.51.100.7/32'],
          virtualRouterId: 61,
          interface: 'eth0',
          advertInterval: 1,
          authentication: { passwordEnv: 'VRRP_PASSWORD_VIP_198_51_100_7' },
          nodes: [
            { name: 'node-1', priority: 200 },
            { name: 'node-2', priority: 100 },
          ],
        },
      },
    ]);
    expect(vips[0]?.notes.join('\n')).toContain('set VRRP_PASSWORD_VIP_198_51_100_7');
  });

  it.each([
    ['VRRP_PASSWORD', 'VRRP_PASSWORD_VIP_198_51_100_7'],
    ['OPS_VRRP', 'OPS_VRRP_VIP_198_51_100_7'],
    ['OPS_VRRP_', 'OPS_VRRP_VIP_198_51_100_7'],
  ])(
    'under --password-env-prefix %s the password variable is %s, in the manifest and the notes',
    (prefix, variable) => {
      const { vips } = importHandRunKeepalived([handRun('node-1', recipe('200'))], {
        passwordEnvPrefix: prefix,
      });
      expect(vips[0]?.manifest.spec.authentication).toEqual({ passwordEnv: variable });
      expect(vips[0]?.notes.join('\n')).toContain(`set ${variable} in the reconciler's environment`);
    },
  );

  it('the image defaults (priority 150, router id 51) apply when a variable is unset', () => {
    const { vips } = importHandRunKeepalived([handRun('n', { KEEPALIVED_VIRTUAL_IPS: '2001:db8::7/64' })]);
    expect(vips[0]?.manifest.spec).toMatchObject({
      addresses: ['2001:db8::7/64'],
      virtualRouterId: 51,
      nodes: [{ name: 'n', priority: 150 }],
    });
  });

  it('says so when passwords differ, when none is set, and when one is longer than VRRPv2 uses', () => {
    const notes = (passwords: HandRunKeepalived['password'][]) =>
      importHandRunKeepalived(
        passwords.map((p, i) => handRun(`n${i}`, recipe('100'), p)),
      ).vips[0]?.notes.join('\n') ?? '';
    expect(
      notes([
        { set: true, length: 6, fingerprint: 'a' },
        { set: true, length: 6, fingerprint: 'b' },
      ]),
    ).toContain('different VRRP passwords');
    expect(notes([{ set: false }])).toContain("osixia/keepalived's default password");
    expect(notes([{ set: true, length: 12, fingerprint: 'a' }])).toContain('first 8 characters');
  });

  it.each([
    [{}, /KEEPALIVED_VIRTUAL_IPS is not set/],
    [{ KEEPALIVED_VIRTUAL_IPS: '198.51.100.7 dev eth0' }, /"dev" is not an IP address/],
    [{ KEEPALIVED_VIRTUAL_IPS: '198.51.100.7 2001:db8::1' }, /mixes IPv4 and IPv6/],
    [
      { KEEPALIVED_VIRTUAL_IPS: '198.51.100.7', KEEPALIVED_PRIORITY: '255' },
      /KEEPALIVED_PRIORITY "255": expected 1..254/,
    ],
    [{ KEEPALIVED_VIRTUAL_IPS: '198.51.100.7', KEEPALIVED_ROUTER_ID: '0x10' }, /KEEPALIVED_ROUTER_ID/],
    [
      { KEEPALIVED_VIRTUAL_IPS: '198.51.100.7', KEEPALIVED_INTERFACE: 'eth0\nx' },
      /KEEPALIVED_INTERFACE "eth0\\nx"/,
    ],
    [{ KEEPALIVED_VIRTUAL_IPS: '198.51.100.7/33' }, /not an IP address/],
  ])('hostile or unusable %j is a problem, not a manifest', (env, message) => {
    const { vips, problems } = importHandRunKeepalived([handRun('n', env)]);
    expect(vips).toEqual([]);
    expect(problems).toEqual([
      { node: 'n', container: 'keepalived', message: expect.stringMatching(message) },
    ]);
  });

  it('a control character never reaches a message unescaped', () => {
    const { problems } = importHandRunKeepalived([handRun('n', { KEEPALIVED_VIRTUAL_IPS: '\u001b[2J' })]);
    expect([...(problems[0]?.message ?? '')].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
  });

  it('keeps a non-default image that is an image reference, and refuses one that is not', () => {
    const withImage = (image: string) =>
      importHandRunKeepalived([{ ...handRun('n', recipe('100')), image }]).vips[0];
    expect(withImage('registry.example.com:5000/ops/keepalived:2.2')?.manifest.spec.image).toBe(
      'registry.example.com:5000/ops/keepalived:2.2',
    );
    const bad = withImage('evil image; rm');
    expect(bad?.manifest.spec.image).toBeUndefined();
    expect(bad?.notes.join('\n')).toContain('not an image reference');
  });
});
