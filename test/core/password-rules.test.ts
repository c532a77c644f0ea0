import { describe, expect, it } from 'vitest';
import {
  isInsideDir,
  passwordEnvFor,
  passwordEnvRefusal,
  passwordFileRefusal,
  passwordRuleProblems,
} from '../../src/core/password-rules.js';
import type { LoadedVirtualIP } from '../../src/core/types.js';
import { vipOf } from './fixtures.js';

describe('passwordEnvFor', () => {
  it.each([
    ['web', 'VRRP_PASSWORD', 'VRRP_PASSWORD_WEB'],
    ['vip-198-51-100-7', 'VRRP_PASSWORD', 'VRRP_PASSWORD_VIP_198_51_100_7'],
    ['web', 'OPS_VRRP', 'OPS_VRRP_WEB'],
    ['web', 'OPS_VRRP_', 'OPS_VRRP_WEB'],
  ])('%s with prefix %s → %s', (name, prefix, variable) => {
    expect(passwordEnvFor(name, prefix)).toBe(variable);
    // What it suggests passes the rule it suggests it for.
    expect(passwordEnvRefusal(variable, prefix, name)).toBeUndefined();
  });

  it('stays within the schema (128 characters) at the longest prefix and name', () => {
    expect(passwordEnvFor('a'.repeat(63), 'P'.repeat(64))).toHaveLength(128);
  });
});

describe('passwordEnvRefusal', () => {
  it.each([
    ['VRRP_PASSWORD', 'VRRP_PASSWORD', undefined],
    ['VRRP_PASSWORD_WEB', 'VRRP_PASSWORD', undefined],
    ['PATH', 'VRRP_PASSWORD', 'e.g. passwordEnv: VRRP_PASSWORD_WEB'],
    ['VRRP_PASSWOR', 'VRRP_PASSWORD', 'starts with VRRP_PASSWORD (--password-env-prefix'],
    ['VRRP_PASSWORD_WEB', 'OPS_VRRP_', 'e.g. passwordEnv: OPS_VRRP_WEB'],
  ])('%s under prefix %s', (variable, prefix, says) => {
    const refusal = passwordEnvRefusal(variable, prefix, 'web');
    if (says === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toContain(says);
  });
});

describe('passwordFileRefusal (the path as written; nothing is looked up)', () => {
  const dirs = ['/run/secrets', '/etc/swarm-vip/pw'];
  it.each([
    ['/run/secrets/vrrp', dirs, undefined],
    ['/etc/swarm-vip/pw/a/b', dirs, undefined],
    ['/run/secrets/..data/vrrp', dirs, undefined],
    ['/run/secrets', dirs, 'not inside a password directory (/run/secrets, /etc/swarm-vip/pw)'],
    ['/run/secrets/../../etc/shadow', dirs, 'not inside a password directory'],
    ['/run/secretsX/vrrp', dirs, 'not inside a password directory'],
    ['run/secrets/vrrp', dirs, 'not inside a password directory'],
    [
      '/run/secrets/vrrp',
      [],
      'no password directory is configured; start the reconciler with --password-dir',
    ],
  ])('%s in %j', (file, given, says) => {
    const refusal = passwordFileRefusal(file, given);
    if (says === undefined) expect(refusal).toBeUndefined();
    else expect(refusal).toContain(says);
  });

  it('a directory as it really is (links resolved) admits its files too, and is not named', () => {
    expect(
      passwordFileRefusal('/var/lib/secrets/vrrp', ['/run/secrets'], ['/var/lib/secrets']),
    ).toBeUndefined();
    expect(passwordFileRefusal('/srv/vrrp', ['/run/secrets'], ['/var/lib/secrets'])).toBe(
      'passwordFile /srv/vrrp is refused: it is not inside a password directory (/run/secrets) once links ' +
        'are resolved; put the file there or add its directory with --password-dir',
    );
  });

  it.each([
    ['/a/b', '/a', true],
    ['/a', '/a', false],
    ['/a/../b', '/a', false],
    ['/ab', '/a', false],
    ['/a/..b', '/a', true],
  ])('isInsideDir(%s, %s) = %s', (candidate, dir, inside) => {
    expect(isInsideDir(candidate, dir)).toBe(inside);
  });
});

describe('passwordRuleProblems', () => {
  const positions = new Map([
    ['/spec/authentication/passwordEnv', { line: 9, col: 18 }],
    ['/spec/authentication/passwordFile', { line: 10, col: 19 }],
  ]);
  const vip = (
    name: string,
    authentication?: { passwordEnv?: string; passwordFile?: string },
  ): LoadedVirtualIP => ({
    manifest: vipOf(name, authentication ? { authentication } : {}),
    origin: { file: `m/${name}.yaml`, documentIndex: 0, positions },
  });
  const rules = { envPrefix: 'VRRP_PASSWORD', dirs: ['/run/secrets'] };

  it('reports each refused source at the field naming it, and only those', () => {
    const problems = passwordRuleProblems(
      [
        vip('plain'),
        vip('env-ok', { passwordEnv: 'VRRP_PASSWORD_ENV_OK' }),
        vip('file-ok', { passwordFile: '/run/secrets/absent' }),
        vip('thief', { passwordEnv: 'AWS_SECRET_ACCESS_KEY' }),
        vip('shadow', { passwordFile: '/etc/shadow' }),
      ],
      rules,
    );
    expect(problems).toEqual([
      {
        code: 'vrrp-password',
        file: 'm/thief.yaml',
        line: 9,
        col: 18,
        path: '/spec/authentication/passwordEnv',
        vip: 'thief',
        message: expect.stringMatching(
          /^VirtualIP thief: passwordEnv AWS_SECRET_ACCESS_KEY is refused: .*, e\.g\. passwordEnv: VRRP_PASSWORD_THIEF$/,
        ),
      },
      {
        code: 'vrrp-password',
        file: 'm/shadow.yaml',
        line: 10,
        col: 19,
        path: '/spec/authentication/passwordFile',
        vip: 'shadow',
        message: expect.stringMatching(
          /^VirtualIP shadow: passwordFile \/etc\/shadow is refused: it is not inside/,
        ),
      },
    ]);
  });

  it('with both set, judges passwordEnv, as the daemon reads it', () => {
    const both = vip('both', { passwordEnv: 'VRRP_PASSWORD_BOTH', passwordFile: '/etc/shadow' });
    expect(passwordRuleProblems([both], rules)).toEqual([]);
  });
});
