import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readVrrpPasswords, type PasswordSources } from '../../src/adapters/vrrp-passwords.js';
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

const secrets = mkdtempSync(path.join(tmpdir(), 'swarm-vip-pw-'));
afterAll(() => rmSync(secrets, { recursive: true, force: true }));
writeFileSync(path.join(secrets, 'vrrp'), 's3cret\n');

const sources = (env: NodeJS.ProcessEnv, dirs: string[] = [secrets]): PasswordSources => ({
  env,
  envPrefix: 'VRRP_PASSWORD',
  dirs,
});

describe('readVrrpPasswords', () => {
  it('reads env and file passwords, drops one trailing newline, and reports what is missing per VIP', () => {
    const { passwords, problems } = readVrrpPasswords(
      [
        vip('plain'),
        vip('from-env', { passwordEnv: 'VRRP_PASSWORD' }),
        vip('from-file', { passwordFile: path.join(secrets, 'vrrp') }),
        vip('env-missing', { passwordEnv: 'VRRP_PASSWORD_NOT_SET' }),
        vip('file-missing', { passwordFile: path.join(secrets, 'nope') }),
      ],
      sources({ VRRP_PASSWORD: 'envpass' }),
    );
    expect([...passwords]).toEqual([
      ['from-env', 'envpass'],
      ['from-file', 's3cret'],
    ]);
    expect(problems.map((p) => [p.vip, p.path])).toEqual([
      ['env-missing', '/spec/authentication/passwordEnv'],
      ['file-missing', '/spec/authentication/passwordFile'],
    ]);
    expect(problems[0]?.message).toContain('VRRP_PASSWORD_NOT_SET (passwordEnv) is not set');
    expect(problems[1]?.message).toContain(
      `cannot read passwordFile ${path.join(secrets, 'nope')}: no such file`,
    );
  });

  it.each([
    ['PATH', { PATH: '/usr/bin:/bin' }],
    ['HOME', { HOME: '/root' }],
    ['AWS_SECRET', { AWS_SECRET: 'abcdefg' }],
    ['VRRP_PASSWOR', { VRRP_PASSWOR: 'abcdefg' }],
  ])(
    'passwordEnv %s (no configured prefix) is refused whether set or not, telling nothing of it',
    (name, env) => {
      const set = readVrrpPasswords([vip('a', { passwordEnv: name })], sources(env));
      const unset = readVrrpPasswords([vip('a', { passwordEnv: name })], sources({}));
      expect(set.passwords.size).toBe(0);
      expect([...set.frozen]).toEqual(['a']);
      expect(set.problems).toEqual(unset.problems);
      expect(set.problems[0]?.message).toBe(
        `VirtualIP a: passwordEnv ${name} is refused: the reconciler reads passwords only from variables ` +
          'whose name starts with VRRP_PASSWORD (--password-env-prefix, SWARM_VIP_PASSWORD_ENV_PREFIX), ' +
          'e.g. passwordEnv: VRRP_PASSWORD_A',
      );
    },
  );

  it('the prefix is the operator’s: another one admits its variables and refuses the default ones', () => {
    const env = { VRRP_PASSWORD: 'default1', OPS_VRRP_WEB: 'opsPass1' };
    const result = readVrrpPasswords(
      [vip('a', { passwordEnv: 'VRRP_PASSWORD' }), vip('b', { passwordEnv: 'OPS_VRRP_WEB' })],
      { ...sources(env), envPrefix: 'OPS_VRRP_' },
    );
    expect([...result.passwords]).toEqual([['b', 'opsPass1']]);
    expect([...result.frozen]).toEqual(['a']);
  });

  it('passwordFile with no --password-dir is refused, saying how to allow it', () => {
    const result = readVrrpPasswords(
      [vip('a', { passwordFile: path.join(secrets, 'vrrp') })],
      sources({}, []),
    );
    expect(result.passwords.size).toBe(0);
    expect(result.problems[0]?.message).toMatch(
      /no password directory is configured; start the reconciler with --password-dir DIR \(or SWARM_VIP_PASSWORD_DIRS=/,
    );
  });
});

describe('readVrrpPasswords checks what keepalived can take, once, at the field', () => {
  it.each([
    ['', /not set/],
    ['ninechars', /longer than 8 characters, which VRRP PASS cannot carry/],
    ['a b#', /printable ASCII/],
    ['pa"ss', /printable ASCII/],
  ])('%j is refused, the VIP frozen, the password never quoted', (password, message) => {
    const result = readVrrpPasswords(
      [vip('a', { passwordEnv: 'VRRP_PASSWORD_A' })],
      sources({ VRRP_PASSWORD_A: password }),
    );
    expect(result.passwords.size).toBe(0);
    expect([...result.frozen]).toEqual(['a']);
    expect(result.problems).toEqual([
      expect.objectContaining({ vip: 'a', message: expect.stringMatching(message) }),
    ]);
    if (password.length > 1) expect(JSON.stringify(result.problems)).not.toContain(password);
    expect(JSON.stringify(result.problems)).not.toContain(String(password.length));
  });

  it('takes a good one', () => {
    const result = readVrrpPasswords(
      [vip('a', { passwordEnv: 'VRRP_PASSWORD_A' })],
      sources({ VRRP_PASSWORD_A: 'Pw0rd-xy' }),
    );
    expect([...result.passwords]).toEqual([['a', 'Pw0rd-xy']]);
    expect(result.problems).toEqual([]);
  });
});
