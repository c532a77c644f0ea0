import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { LoadedVirtualIP } from '../../src/core/types.js';
import { readWorld } from '../../src/loop/pass.js';
import type { ManifestSet } from '../../src/ports.js';
import { nodesOf, vipOf } from '../core/fixtures.js';

const positions = new Map([
  ['', { line: 1, col: 1 }],
  ['/spec#key', { line: 5, col: 1 }],
  ['/spec', { line: 6, col: 3 }],
  ['/spec/authentication#key', { line: 9, col: 3 }],
  ['/spec/authentication', { line: 10, col: 5 }],
]);

function loaded(name: string): LoadedVirtualIP {
  return {
    manifest: vipOf(name, { authentication: { passwordEnv: `PW_${name}` } }),
    origin: { file: `${name}.yaml`, documentIndex: 0, positions },
  };
}

async function problemsOf(env: Record<string, string>) {
  const set: ManifestSet = {
    revision: 'r1',
    documents: { virtualIPs: [loaded('a')], endpoints: [] },
    virtualIPs: [loaded('a')],
    endpoints: [],
    problems: [],
    frozen: { names: new Set(), unknownNames: false },
    files: ['a.yaml'],
  };
  const world = await readWorld({
    manifests: { snapshot: async () => ({ revision: 'r1', files: [], unreadable: [] }) },
    parse: () => set,
    adopt: false,
    directory: { nodes: async () => ({ nodes: nodesOf(2), runtimes: new Map() }) },
    passwords: { env, envPrefix: 'PW_', dirs: [] },
    log: pino({ level: 'silent' }),
  });
  return world.problems;
}

describe('readWorld', () => {
  it('reports a missing password once, at the field that names its source (or its nearest parent)', async () => {
    expect(await problemsOf({})).toEqual([
      {
        code: 'vrrp-password',
        vip: 'a',
        file: 'a.yaml',
        line: 9,
        col: 3,
        path: '/spec/authentication/passwordEnv',
        message:
          "VirtualIP a: environment variable PW_a (passwordEnv) is not set in the reconciler's environment",
      },
    ]);
  });

  it('locates a password keepalived cannot take at the authentication field', async () => {
    expect(await problemsOf({ PW_a: 'ninechars' })).toEqual([
      expect.objectContaining({
        file: 'a.yaml',
        line: 10,
        col: 5,
        path: '/spec/authentication',
        message: expect.stringContaining('longer than 8 characters'),
      }),
    ]);
  });
});
