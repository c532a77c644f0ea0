import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeHelp, onceExitCode, statusExitCode } from '../../src/cli/exit-codes.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('exit codes', () => {
  it('keeps the codes the design contract fixes', () => {
    expect(EXIT.run).toEqual({ converged: 0, failed: 1, invalidManifests: 2, lockHeld: 3 });
    expect(EXIT.plan).toEqual({ noChanges: 0, error: 1, changesPending: 2 });
    expect(EXIT.validate).toEqual({ valid: 0, invalid: 1 });
  });

  it('gives every outcome of a command its own code', () => {
    for (const codes of Object.values(EXIT)) {
      const values = Object.values(codes);
      expect(new Set(values).size).toBe(values.length);
    }
  });

  it('the README shows the same table as --help', async () => {
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    expect(readme).toContain(exitCodeHelp());
  });

  it('reconciler --help prints the table', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), '--help'],
      { cwd: root },
    );
    expect(stdout).toContain(exitCodeHelp());
  }, 30_000);
});

describe('exit codes from results', () => {
  const ready = { vip: 'a', conditions: [{ status: 'True' }, { status: 'False' }] } as never;
  const notReady = { vip: 'b', conditions: [{ status: 'False' }, { status: 'True' }] } as never;
  const suspended = { vip: 'c', conditions: [{ status: 'Unknown' }, { status: 'False' }] } as never;

  it.each([
    [{ kind: 'none' }, [], EXIT.run.converged],
    [{ kind: 'none' }, [{}], EXIT.run.invalidManifests],
    [{ kind: 'backoff', reason: 'x' }, [{}], EXIT.run.failed],
  ] as const)('--once: requeue %j, %j problems → %i', (requeue, problems, code) => {
    expect(onceExitCode({ requeue, problems: problems as never })).toBe(code);
  });

  it.each([
    [[ready, suspended], [], EXIT.status.allReady],
    [[ready], [{}], EXIT.status.invalidManifests],
    [[ready, notReady], [{}], EXIT.status.notReady],
  ])('status: %j → %i', (conditions, problems, code) => {
    expect(statusExitCode(conditions, problems)).toBe(code);
  });
});
