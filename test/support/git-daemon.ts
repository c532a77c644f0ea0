/** A real `git daemon` on loopback for tests: serves a directory of bare repositories over git://. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface GitDaemon {
  /** `git://127.0.0.1:<port>/` — append a repository's path under the base path. */
  baseUrl: string;
  /** Stops the daemon (SIGTERM, then SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Starts `git daemon --listen=127.0.0.1 --export-all --base-path=<basePath>` on a free port and
 * waits (at most 10 s) until it accepts connections. It is killed after `maxLifetimeMs` whatever
 * happens, so a crashed test cannot leave it behind for long.
 */
export async function startGitDaemon(basePath: string, maxLifetimeMs = 120_000): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--listen=127.0.0.1',
      `--port=${port}`,
      `--base-path=${basePath}`,
      '--export-all',
      '--reuseaddr',
      '--informative-errors',
      '--timeout=30',
      basePath,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 10_000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killer = setTimeout(() => child.kill('SIGKILL'), maxLifetimeMs);
  killer.unref();
  const stop = async () => {
    clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const late = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(late);
    }
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await connects(port)) return { baseUrl: `git://127.0.0.1:${port}/`, stop };
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  await stop();
  throw new Error(`git daemon did not start on 127.0.0.1:${port}: ${stderr.trim()}`);
}
