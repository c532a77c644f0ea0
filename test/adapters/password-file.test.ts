/**
 * The rules of `passwordFile` on the real file system: what a manifest author can make the
 * reconciler read is bounded by the operator's --password-dir, and nothing refused is quoted.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_PASSWORD_FILE_BYTES, readPasswordFile } from '../../src/adapters/password-file.js';

const root = mkdtempSync(path.join(tmpdir(), 'swarm-vip-pwfile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = path.join(root, 'secrets');
const outside = path.join(root, 'elsewhere');
const OUTSIDE_SECRET = 'OutSide1';
mkdirSync(dir);
mkdirSync(outside);
writeFileSync(path.join(outside, 'secret'), `${OUTSIDE_SECRET}\n`);
writeFileSync(path.join(dir, 'vrrp'), 'Pw0rd-xy\n');
// Kubernetes / git-sync layout: vrrp-k8s -> ..data/vrrp, ..data -> ..2026_12_01 (all inside).
mkdirSync(path.join(dir, '..2026_12_01'));
writeFileSync(path.join(dir, '..2026_12_01', 'vrrp'), 'k8sPass1');
symlinkSync('..2026_12_01', path.join(dir, '..data'));
symlinkSync('..data/vrrp', path.join(dir, 'vrrp-k8s'));
symlinkSync(path.join(outside, 'secret'), path.join(dir, 'leaves'));
symlinkSync('../elsewhere', path.join(dir, 'dir-link'));
symlinkSync('loop-b', path.join(dir, 'loop-a'));
symlinkSync('loop-a', path.join(dir, 'loop-b'));
execFileSync('mkfifo', [path.join(dir, 'fifo')]);
mkdirSync(path.join(dir, 'a-directory'));
const LONG = `${'A'.repeat(MAX_PASSWORD_FILE_BYTES - 8)}TAILSECR\n`;
writeFileSync(path.join(dir, 'long'), LONG);
writeFileSync(path.join(dir, 'exactly-max'), 'x'.repeat(MAX_PASSWORD_FILE_BYTES));
symlinkSync(dir, path.join(root, 'dir-alias'));

const refused = (file: string, dirs = [dir]) => {
  const read = readPasswordFile(file, dirs);
  if ('password' in read) throw new Error(`${file} was read`);
  return read.problem;
};

describe('readPasswordFile', () => {
  it.each([
    ['a plain file', path.join(dir, 'vrrp'), [dir], 'Pw0rd-xy\n'],
    ['a ..data link layout inside the directory', path.join(dir, 'vrrp-k8s'), [dir], 'k8sPass1'],
    [
      'a file through a directory given as a link',
      path.join(root, 'dir-alias', 'vrrp'),
      [path.join(root, 'dir-alias')],
      'Pw0rd-xy\n',
    ],
    [
      'the real path of a directory given as a link',
      path.join(dir, 'vrrp'),
      [path.join(root, 'dir-alias')],
      'Pw0rd-xy\n',
    ],
    ['exactly the limit', path.join(dir, 'exactly-max'), [dir], 'x'.repeat(MAX_PASSWORD_FILE_BYTES)],
  ])('reads %s', (_, file, dirs, password) => {
    expect(readPasswordFile(file, dirs)).toEqual({ password });
  });

  it('refuses every file when no directory is configured, and says how to allow it', () => {
    expect(refused(path.join(dir, 'vrrp'), [])).toBe(
      `passwordFile ${path.join(dir, 'vrrp')} is refused: no password directory is configured; start the reconciler with ` +
        '--password-dir DIR (or SWARM_VIP_PASSWORD_DIRS=DIR1:DIR2) naming the directory that holds it',
    );
  });

  it.each([
    ['a file outside', path.join(outside, 'secret')],
    ['a path climbing out with ..', path.join(dir, '..', 'elsewhere', 'secret')],
    ['a host file', '/etc/shadow'],
    ['/proc/self/environ', '/proc/self/environ'],
    ['a file that does not exist outside', '/nonexistent/secret'],
    ['a symlink leaving the directory', path.join(dir, 'leaves')],
    ['a file under a linked directory that leaves it', path.join(dir, 'dir-link', 'secret')],
    ['the directory itself', dir],
    [
      'a path that reaches the directory only through a link outside it',
      path.join(root, 'dir-alias', 'vrrp'),
    ],
  ])('refuses %s, quoting nothing of it', (_, file) => {
    const problem = refused(file);
    expect(problem).toMatch(
      /is refused: it is not inside a password directory \(.*\) once links are resolved/,
    );
    expect(problem).not.toContain(OUTSIDE_SECRET);
    // Where a link leads is not told either.
    expect(problem.replace(file, 'F')).not.toContain(outside);
  });

  it('answers the same for an existing and a missing file outside: no probe of the host', () => {
    const message = (file: string) => refused(file).replace(file, 'F');
    expect(message('/etc/passwd')).toBe(message('/etc/no-such-file'));
  });

  it.each([
    ['a FIFO (would block a reader)', 'fifo', 'it is a FIFO, not a regular file'],
    ['a directory', 'a-directory', 'it is a directory, not a regular file'],
    ['a link loop', 'loop-a', 'too many levels of links'],
    ['a missing file', 'missing', 'no such file'],
  ])('refuses %s inside the directory', (_, name, message) => {
    expect(refused(path.join(dir, name))).toContain(message);
  });

  it('refuses /dev/zero even where /dev is allowed, without reading it', () => {
    const before = process.memoryUsage().rss;
    expect(refused('/dev/zero', ['/dev'])).toBe(
      'passwordFile /dev/zero is refused: it is a character device, not a regular file',
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses a file longer than the limit, naming the limit and quoting none of it', () => {
    const problem = refused(path.join(dir, 'long'));
    expect(problem).toBe(
      `passwordFile ${path.join(dir, 'long')} is refused: it holds more than ${MAX_PASSWORD_FILE_BYTES} bytes (a VRRP password has at most 8 characters)`,
    );
    expect(problem).not.toContain('TAILSECR');
    expect(problem).not.toContain(String(LONG.length));
  });

  it('bounds the read of a file that says it is empty (/proc) by the limit', () => {
    // /proc/self/environ: size 0 in fstat, far more than the limit when read.
    expect(refused('/proc/self/environ', ['/proc'])).toContain(`more than ${MAX_PASSWORD_FILE_BYTES} bytes`);
  });
});
