/**
 * The rendered configs, checked by the real thing: Debian's keepalived 2.2.7 `--config-test`.
 * keepalived reports problems as text on stderr/stdout (often without a trailing newline) and
 * exits non-zero (5) when anything was wrong, warnings included; a clean config prints nothing
 * and exits 0. Both are required here.
 */
import { rm, writeFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_TEMPLATE_PATH, INTERFACE_PLACEHOLDER } from '../../src/core/container-layout.js';
import { desiredState } from '../../src/core/desired-state.js';
import type { VirtualIPSpec } from '../../src/core/types.js';
import { nodeRefs, nodesOf, vipOf } from './fixtures.js';
import { KEEPALIVED, requireTools, relocate, run, tempDir, writeContainerFiles } from './real-tools.js';

requireTools({ keepalived: true, root: true });

/** A non-loopback interface of this machine: keepalived refuses `lo` and unknown interfaces. */
function realInterface(): string | undefined {
  return Object.entries(networkInterfaces()).find(([, addrs]) => addrs?.some((a) => !a.internal))?.[0];
}

const matrix: { name: string; spec: Partial<VirtualIPSpec>; password?: string; fixedInterface?: boolean }[] =
  [
    { name: 'ipv4', spec: {} },
    { name: 'ipv4-fixed-interface', spec: {}, fixedInterface: true },
    {
      name: 'ipv4-many-addresses',
      spec: { addresses: ['198.18.0.100/24', '198.18.0.101', '198.18.0.102/32'] },
    },
    { name: 'ipv6', spec: { addresses: ['fd00:5eed::100/64'] } },
    {
      name: 'ipv6-fractional',
      spec: { addresses: ['fd00:5eed::100/64', 'fd00:5eed::101'], advertInterval: 0.1 },
    },
    { name: 'auth', spec: { authentication: { passwordEnv: 'VRRP' } }, password: 'd0cker' },
    // keepalived's own specials ({, }, #, !) stay inside the quoted auth_pass.
    { name: 'auth-8-chars', spec: { authentication: { passwordFile: '/x' } }, password: 'A}{#!%&(' },
    { name: 'nopreempt', spec: { preempt: false } },
    { name: 'fractional-advert', spec: { advertInterval: 0.25 } },
    { name: 'slow-advert', spec: { advertInterval: 255 } },
    { name: 'tcp-check', spec: { healthCheck: { tcp: { port: 80 } } } },
    {
      name: 'http-check',
      spec: {
        healthCheck: { http: { url: "http://127.0.0.1:8080/health?a=1&b='x'", expectStatus: 204 }, fall: 3 },
      },
    },
    {
      name: 'exec-check',
      spec: { healthCheck: { exec: ['sh', '-c', 'test -e /tmp'], intervalSeconds: 10 } },
    },
    { name: 'two-nodes', spec: { nodes: nodeRefs(2) } },
    { name: 'five-nodes', spec: { nodes: nodeRefs(5) } },
    { name: 'one-node', spec: { nodes: nodeRefs(1) } },
    { name: 'selector', spec: { nodes: undefined, nodeSelector: { role: 'any' } } },
    {
      name: 'everything',
      spec: {
        nodes: nodeRefs(5),
        preempt: false,
        advertInterval: 2,
        virtualRouterId: 254,
        healthCheck: {
          http: { url: 'http://127.0.0.1/' },
          intervalSeconds: 1,
          timeoutSeconds: 1,
          fall: 1,
          rise: 1,
        },
        authentication: { passwordEnv: 'VRRP' },
      },
      password: 'secret',
    },
  ];

describe(`keepalived --config-test (${KEEPALIVED})`, () => {
  const iface = realInterface();
  const roots: string[] = [];
  const newRoot = async (): Promise<string> => {
    const root = await tempDir('conf');
    roots.push(root);
    return root;
  };
  afterAll(async () => {
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });

  it('has a non-loopback interface to render', () => {
    expect(iface).toBeDefined();
  });

  it.each(matrix)(
    '$name: every node config passes without a warning',
    async ({ name, spec, password, fixedInterface }) => {
      const vip = vipOf(name, fixedInterface ? { ...spec, interface: iface ?? 'eth0' } : spec);
      const state = desiredState({
        virtualIPs: [vip],
        nodes: nodesOf(5),
        passwords: new Map(password === undefined ? [] : [[name, password]]),
        frozen: { names: new Set(), unknownNames: false },
      });
      expect(state.containers.length).toBeGreaterThan(0);
      for (const container of state.containers) {
        const root = await newRoot();
        await writeContainerFiles(root, container.files);
        const template = container.files.find((f) => f.path === CONFIG_TEMPLATE_PATH);
        expect(template).toBeDefined();
        const config = relocate(template?.content ?? '', root).replaceAll(
          INTERFACE_PLACEHOLDER,
          iface ?? 'eth0',
        );
        const configPath = join(root, 'keepalived.conf');
        await writeFile(configPath, config, { mode: 0o600 });
        const result = await run(KEEPALIVED, ['--config-test', '-f', configPath]);
        expect({ node: container.node, ...result }).toEqual({
          node: container.node,
          code: 0,
          stdout: '',
          stderr: '',
        });
      }
    },
  );

  it('reports a broken config (the check itself works)', async () => {
    const root = await newRoot();
    const configPath = join(root, 'keepalived.conf');
    await writeFile(configPath, `vrrp_instance x {\n  interface ${iface ?? 'eth0'}\n  advert_int 0.5\n}\n`);
    const result = await run(KEEPALIVED, ['--config-test', '-f', configPath]);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).not.toBe('');
  });
});
