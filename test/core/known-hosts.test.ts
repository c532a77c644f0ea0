import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/adapters/docker/ssh-transport.js';
import {
  knownHostName,
  parseKnownHosts,
  verifyHostKey,
  wireKeyType,
  type HostKeyVerdict,
} from '../../src/core/known-hosts.js';

// Keys and the hashed line were made by ssh-keygen (-t ed25519 / ecdsa; -H for the hashed one).
const A = 'AAAAC3NzaC1lZDI1NTE5AAAAIJEH+2iUqq9ahQLwLxm+xl1N/yBYUdJt8OtunfDgbyxV';
const B = 'AAAAC3NzaC1lZDI1NTE5AAAAIC/pJ9x4WI2uTPi2RdJNy90bMeUK/mZ/5Zhav8RNoNvU';
const C =
  'AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFZOU9fi0ZTtkAOC2YHm+Xy/oJRfQ77J7jVQtBFT+r3IN0ycJvM0DJiQ6Y2qEolHqdgXrLz8Hl7+Ke3uDgdKEXE=';
const HASHED_A_NODE3_2222 = `|1|aQiuTh/h7UDMhdZKPMv6wLIxbUY=|8a/hAUjycqCF+6Fa3Y1tZZcO+DM= ssh-ed25519 ${A}`;
const key = (base64: string) => Buffer.from(base64, 'base64');

type Row = [
  what: string,
  file: string[],
  host: string,
  port: number,
  presented: string,
  verdict: HostKeyVerdict,
];

const ROWS: Row[] = [
  ['a plain entry on port 22', [`node3 ssh-ed25519 ${A}`], 'node3', 22, A, { kind: 'match', line: 1 }],
  [
    'a non-22 port is written [host]:port',
    [`[node3]:2222 ssh-ed25519 ${A}`],
    'node3',
    2222,
    A,
    { kind: 'match', line: 1 },
  ],
  [
    'an entry for port 22 does not vouch for another port',
    [`node3 ssh-ed25519 ${A}`],
    'node3',
    2222,
    A,
    { kind: 'unknown' },
  ],
  [
    'another key for the host is a mismatch, never accepted',
    ['# comment', '', `node3,198.18.0.3 ssh-ed25519 ${B}`],
    '198.18.0.3',
    22,
    A,
    { kind: 'mismatch', lines: [3], knownTypes: ['ssh-ed25519'] },
  ],
  [
    'a host listed only with another key type is a mismatch naming the type',
    [`node3 ecdsa-sha2-nistp256 ${C}`],
    'node3',
    22,
    A,
    { kind: 'mismatch', lines: [1], knownTypes: ['ecdsa-sha2-nistp256'] },
  ],
  [
    'a hashed entry (ssh-keygen -H)',
    [HASHED_A_NODE3_2222],
    'node3.example',
    2222,
    A,
    { kind: 'match', line: 1 },
  ],
  [
    'a hashed entry names only its host',
    [HASHED_A_NODE3_2222],
    'node4.example',
    2222,
    A,
    { kind: 'unknown' },
  ],
  ['wildcards', [`*.example,!bad.example ssh-ed25519 ${A}`], 'n1.example', 22, A, { kind: 'match', line: 1 }],
  [
    'a negated pattern wins',
    [`*.example,!bad.example ssh-ed25519 ${A}`],
    'bad.example',
    22,
    A,
    { kind: 'unknown' },
  ],
  ['host names compare without case', [`Node3 ssh-ed25519 ${A}`], 'node3', 22, A, { kind: 'match', line: 1 }],
  [
    '@revoked beats a matching line',
    [`node3 ssh-ed25519 ${A}`, `@revoked * ssh-ed25519 ${A}`],
    'node3',
    22,
    A,
    { kind: 'revoked', line: 2 },
  ],
  [
    '@cert-authority lines never vouch for a plain key',
    [`@cert-authority * ssh-ed25519 ${A}`],
    'node3',
    22,
    A,
    { kind: 'unknown' },
  ],
  [
    'damaged lines are skipped: bad base64, a blob of another type, too few fields',
    [`node3 ssh-ed25519 ${A}!!`, `node3 ssh-rsa ${A}`, 'node3 ssh-ed25519', `node3 ssh-ed25519 ${A}`],
    'node3',
    22,
    A,
    { kind: 'match', line: 4 },
  ],
  [
    'a host named like an object property is a host',
    [`constructor ssh-ed25519 ${A}`],
    'constructor',
    22,
    A,
    { kind: 'match', line: 1 },
  ],
  [
    'an unknown @marker vouches for nothing',
    [`@future node3 ssh-ed25519 ${A}`],
    'node3',
    22,
    A,
    { kind: 'unknown' },
  ],
  ['an empty file knows nobody', [], 'node3', 22, A, { kind: 'unknown' }],
];

describe('known_hosts verification', () => {
  it.each(ROWS)('%s', (_what, lines, host, port, presented, verdict) => {
    expect(verifyHostKey(parseKnownHosts(lines.join('\n')), host, port, key(presented))).toEqual(verdict);
  });

  it('reads CRLF files and tabs between fields', () => {
    const entries = parseKnownHosts(`node3\tssh-ed25519\t${A} comment\r\n`);
    expect(verifyHostKey(entries, 'node3', 22, key(A))).toEqual({ kind: 'match', line: 1 });
  });

  it('names hosts as ssh writes them, and reads the type from a key blob', () => {
    expect([knownHostName('n', 22), knownHostName('n', 2222), knownHostName('fd00::1', 2222)]).toEqual([
      'n',
      '[n]:2222',
      '[fd00::1]:2222',
    ]);
    expect([wireKeyType(key(A)), wireKeyType(key(C)), wireKeyType(Buffer.alloc(3))]).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      undefined,
    ]);
  });

  it('prints fingerprints as ssh-keygen -l does', () => {
    expect(keyFingerprint(key(A))).toBe('SHA256:Ae8GtA2aBdBJYWriXa+vr3U5dV0A5RhEvWDbIUKtxMA');
  });
});
