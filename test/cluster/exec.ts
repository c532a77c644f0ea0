/** Child processes with a bounded run time and an environment that cannot point at another Docker. */
import { spawn } from 'node:child_process';
import { ClusterError } from './errors.js';

export interface RunOptions {
  /** Killed (SIGKILL) after this long. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Added to the (DOCKER_*-free) environment, e.g. the variables a stack file reads. */
  env?: NodeJS.ProcessEnv;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The caller's environment without DOCKER_* variables: a stray DOCKER_HOST or DOCKER_CONTEXT must
 * never send a command to an engine outside the test cluster.
 */
export function cleanEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('DOCKER_')));
}

/** Runs `command args` (no shell), bounded by `timeoutMs`. Throws {@link ClusterError} on failure. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const shown = [command, ...args].join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...cleanEnv(), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new ClusterError('command-failed', `cannot run ${shown}: ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? -1,
      };
      if (timedOut) {
        reject(new ClusterError('timeout', `${shown} did not finish within ${timeoutMs} ms`));
      } else if (code !== 0 && !options.allowFailure) {
        const why = signal ? `signal ${signal}` : `exit ${code}`;
        reject(new ClusterError('command-failed', `${shown} failed (${why}): ${result.stderr.trim()}`));
      } else {
        resolve(result);
      }
    });
    // A child that exits before reading its input must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);
  });
}

/** `command args` run inside the network namespace `netns` (nsenter --net, never `ip netns exec`). */
export function runInNetns(
  netns: string,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return run('nsenter', [`--net=/run/netns/${netns}`, command, ...args], options);
}
