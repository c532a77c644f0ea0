/**
 * The host lock against the real kernel: real flock(1), real processes, real SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostLock } from '../../src/adapters/host-lock.js';

const repo = path.resolve(import.meta.dirname, '../..');

/** Another process that takes the lock with HostLock and says so on stdout. */
function holderProcess(file: string): { child: ChildProcess; locked: Promise<void> } {
  const script = [
    `import { HostLock } from ${JSON.stringify(path.join(repo, 'src/adapters/host-lock.ts'))};`,
    `const lock = new HostLock({ file: ${JSON.stringify(file)}, timeoutMs: 5000 });`,
    `const got = await lock.tryAcquire();`,
    `console.log(got.acquired ? 'locked' : 'held');`,
    `setTimeout(() => undefined, 30_000);`,
  ].join('\n');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const locked = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the holder process did not lock within 20 s')), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('locked')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return { child, locked };
}

const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));

// Real processes start slowly on a loaded machine: generous bounds.
describe(
  'HostLock (flock held by a live process, freed by the kernel when it dies)',
  { timeout: 60_000 },
  () => {
    let dir = '';
    let file = '';
    const children: ChildProcess[] = [];

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-lock-'));
      file = path.join(dir, 'reconciler.lock');
    });
    afterEach(async () => {
      for (const child of children.splice(0)) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    });

    it('a second holder is refused and told who holds it; released, it is free at once', async () => {
      const first = new HostLock({ file, timeoutMs: 5000 });
      const second = new HostLock({ file, timeoutMs: 5000 });
      expect(await first.tryAcquire()).toEqual({ acquired: true });
      expect(first.mayAct()).toBe(true);
      const refused = await second.tryAcquire();
      expect(refused.acquired).toBe(false);
      expect(!refused.acquired && refused.holder).toMatch(new RegExp(`^pid ${process.pid} on `));
      expect(second.mayAct()).toBe(false);
      await first.release();
      expect(first.mayAct()).toBe(false);
      expect(await second.tryAcquire()).toEqual({ acquired: true });
      await second.release();
    });

    it('a holder killed with SIGKILL leaves a lock that is free at once (no waiting for it to age)', async () => {
      const holder = holderProcess(file);
      children.push(holder.child);
      await holder.locked;
      const lock = new HostLock({ file, timeoutMs: 5000 });
      const refused = await lock.tryAcquire();
      expect(!refused.acquired && refused.holder).toMatch(new RegExp(`^pid ${holder.child.pid} on `));
      holder.child.kill('SIGKILL');
      await exited(holder.child);
      expect(await lock.tryAcquire()).toEqual({ acquired: true });
      expect(lock.holder()?.pid).toBe(process.pid);
      await lock.release();
    });

    it('respects a lock taken by the flock(1) command itself', async () => {
      const child = spawn('flock', ['--exclusive', file, '-c', 'echo locked; sleep 30'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true,
      });
      await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
      const lock = new HostLock({ file, timeoutMs: 5000 });
      expect((await lock.tryAcquire()).acquired).toBe(false);
      // flock(1) and the shell it ran both keep the descriptor: kill the whole group.
      process.kill(-(child.pid ?? 0), 'SIGKILL');
      await exited(child);
      // The shell's exit may trail flock's by a moment: bounded retries.
      let attempt = await lock.tryAcquire();
      for (let i = 0; i < 20 && !attempt.acquired; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        attempt = await lock.tryAcquire();
      }
      expect(attempt).toEqual({ acquired: true });
      await lock.release();
    });

    it('a lock file that is a directory (left by the old lock) is a clear error', async () => {
      const lock = new HostLock({ file: dir, timeoutMs: 5000 });
      await expect(lock.tryAcquire()).rejects.toThrow(/cannot open lock file .*a directory/);
    });
  },
);
