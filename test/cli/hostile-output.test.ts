/**
 * What the real CLI prints when manifests are hostile: no raw control character reaches the
 * terminal (a broken file cannot forge a green "valid" line), output piped to a slow reader
 * arrives whole with its summary, and thousands of problems print a bounded list.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PRINTED_PROBLEMS } from '../../src/cli/validate-command.js';
import { escapeForLog } from '../../src/log.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// eslint-disable-next-line no-control-regex -- finding raw control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * Runs `reconciler validate DIR`, its stdout piped (by a real shell) into a reader that sleeps
 * `readDelay` seconds before reading: a full pipe the CLI must wait on before it exits.
 */
function validate(
  dir: string,
  readDelay = 0,
  reader = 'cat',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = [process.execPath, '--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'validate', dir]
    .map((word) => `'${word.replaceAll("'", `'\\''`)}'`)
    .join(' ');
  const script = `${cli} | { sleep ${readDelay}; ${reader}; }; exit \${PIPESTATUS[0]}`;
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/bash', ['-c', script], { cwd: root });
    const chunks: Buffer[] = [];
    const errors: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(chunks).toString('utf8'),
        stderr: Buffer.concat(errors).toString('utf8'),
      }),
    );
  });
}

describe('reconciler validate on hostile manifests', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hostile-out-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('escapes control characters from file names and contents, so no line can be forged', async () => {
    const forged = '\r\u001b[32m3 manifests valid (3 VirtualIP, 0 NodeEndpoint)\u001b[0m\u0007';
    await writeFile(path.join(dir, `evil${forged.replace(/\//g, '')}.yaml`), `kind: "${forged}\\u202e"\n`);
    const { code, stdout } = await validate(dir);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(RAW_CONTROL);
    expect(stdout).toContain('\\u001b[32m3 manifests valid');
    expect(stdout.trim().split('\n').at(-1)).toBe('2 problems in 1 file');
  });

  it('prints a bounded list with a count of the rest, and the summary arrives through a slow pipe', async () => {
    // 2,000 documents, each two problems, in a file with a long name: far more than a pipe holds.
    const name = `${'n'.repeat(200)}.yaml`;
    await writeFile(path.join(dir, name), Array(999).fill('kind: Nope\n').join('---\n'));
    const { code, stdout } = await validate(dir, 1.5);
    const lines = stdout.trim().split('\n');
    expect(code).toBe(1);
    expect(lines).toHaveLength(MAX_PRINTED_PROBLEMS + 2);
    expect(lines.at(-2)).toBe(
      `… and ${2 * 999 - MAX_PRINTED_PROBLEMS} more problems in 1 file not shown (fix the ones above first)`,
    );
    expect(lines.at(-1)).toBe(`${2 * 999} problems in 1 file`);
  });

  it('a reader gone before the first line (| true) ends nothing but the output: no crash, exit code 1', async () => {
    await writeFile(path.join(dir, 'many.yaml'), Array(999).fill('kind: Nope\n').join('---\n'));
    const { code, stdout, stderr } = await validate(dir, 0, 'true');
    expect(stdout).toBe('');
    expect(stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
    expect(code).toBe(1);
  });
});

describe('the logger', () => {
  it('escapes and caps every string it is given, fields and errors included', () => {
    const logged = escapeForLog(
      {
        msg: 'a\u001b[2Jb',
        nested: { list: ['\r\u0007', 'x'.repeat(5000)] },
        err: new Error('bad \u202efile'),
      },
      0,
    ) as Record<string, unknown>;
    const text = JSON.stringify(logged);
    expect(text).not.toMatch(RAW_CONTROL);
    expect(text).toContain('a\\\\u001b[2Jb');
    expect(text).toContain('… (5000 chars)');
    expect(logged['err']).toMatchObject({ type: 'Error', message: 'bad \\u202efile' });
  });
});
