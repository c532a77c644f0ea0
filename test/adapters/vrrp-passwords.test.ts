import { describe, expect, it } from 'vitest';
import { readVrrpPasswords } from '../../src/adapters/vrrp-passwords.js';
import type { LoadedVirtualIP } from '../../src/core/types.js';

function vip(
  name: string,
  authentication?: { passwordFile?: string; passwordEnv?: string },
): LoadedVirtualIP {
  return {
    manifest: {
      apiVersion: 'swarm-vip/v1',
      kind: 'VirtualIP',
      metadata: { name },
      spec: { addresses: ['198.18.0.100/24'], nodes: [{ name: 'n1', priority: 100 }], authentication },
    },
    origin: { file: `${name}.yaml`, documentIndex: 0, positions: new Map() },
  };
}

describe('readVrrpPasswords', () => {
  it('reads env and file passwords, drops one trailing newline, and reports what is missing per VIP', () => {
    const files: Record<string, string> = { '/run/secrets/vrrp': 's3cret\n' };
    const { passwords, problems } = readVrrpPasswords(
      [
        vip('plain'),
        vip('from-env', { passwordEnv: 'VRRP_PASSWORD' }),
        vip('from-file', { passwordFile: '/run/secrets/vrrp' }),
        vip('env-missing', { passwordEnv: 'NOT_SET' }),
        vip('file-missing', { passwordFile: '/nope' }),
      ],
      {
        env: { VRRP_PASSWORD: 'envpass' },
        readFile: (p) => {
          const content = files[p];
          if (content === undefined) throw new Error(`ENOENT: no such file ${p}`);
          return content;
        },
      },
    );
    expect([...passwords]).toEqual([
      ['from-env', 'envpass'],
      ['from-file', 's3cret'],
    ]);
    expect(problems.map((p) => p.vip)).toEqual(['env-missing', 'file-missing']);
    expect(problems[0]?.message).toContain('NOT_SET');
    expect(problems[1]?.message).toContain('/nope');
  });
});

describe('readVrrpPasswords checks what keepalived can take, once, at the field', () => {
  it.each([
    ['', /not set/],
    ['ninechars', /longer than 8 characters, which VRRP PASS cannot carry/],
    ['a b#', /printable ASCII/],
    ['pa"ss', /printable ASCII/],
  ])('%j is refused, the VIP frozen, the password never quoted', (password, message) => {
    const result = readVrrpPasswords([vip('a', { passwordEnv: 'P' })], {
      env: { P: password },
      readFile: () => '',
    });
    expect(result.passwords.size).toBe(0);
    expect([...result.frozen]).toEqual(['a']);
    expect(result.problems).toEqual([
      expect.objectContaining({ vip: 'a', message: expect.stringMatching(message) }),
    ]);
    if (password.length > 1) expect(JSON.stringify(result.problems)).not.toContain(password);
  });

  it('takes a good one', () => {
    const result = readVrrpPasswords([vip('a', { passwordEnv: 'P' })], {
      env: { P: 'Pw0rd-xy' },
      readFile: () => '',
    });
    expect([...result.passwords]).toEqual([['a', 'Pw0rd-xy']]);
    expect(result.problems).toEqual([]);
  });
});
