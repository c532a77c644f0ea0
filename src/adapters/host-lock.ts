import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import type { ActorGate, GateAttempt } from '../ports.js';

/** Who holds a host lock, as written into the lock file by the holder. */
export interface LockHolder {
  pid: number;
  host: string;
  since: string;
}

export interface HostLockOptions {
  file: string;
  /** Bound on one `flock` run (it never blocks: `-n`). */
  timeoutMs: number;
  /** Path or name of the util-linux / busybox `flock` binary. */
  flockCommand?: string;
}

/**
 * A single-actor lock on one host, released by the kernel when its holder dies.
 *
 * The lock is a `flock(2)` on the lock file's open file description. Node has no flock, so the
 * `flock -n 3` command takes it on the descriptor it inherits from us and exits: the lock stays
 * with the open file description, which only this process keeps open. When this process ends —
 * SIGKILL included — the kernel closes the descriptor and the lock is free at once: a restarted
 * reconciler never waits for a lock to "go stale" by age, and a live holder is never mistaken
 * for a dead one. (Node opens files close-on-exec, so no other child process inherits it.)
 *
 * The holder writes its pid, host and start time into the file, only so that others can say who
 * is acting. The file is never removed: removing it would let a second process lock a new file
 * of the same name while the first still holds the old one.
 */
export class HostLock implements ActorGate {
  readonly name = 'host lock';
  private fd: number | undefined;

  constructor(private readonly options: HostLockOptions) {}

  async tryAcquire(): Promise<GateAttempt> {
    if (this.fd !== undefined) return { acquired: true };
    const fd = this.open();
    let locked = false;
    try {
      locked = await this.flockNonBlocking(fd);
    } finally {
      if (!locked) closeSync(fd);
    }
    if (!locked) return { acquired: false, holder: describeHolder(this.liveHolder()) };
    this.fd = fd;
    const record: LockHolder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    ftruncateSync(fd, 0);
    writeSync(fd, `${JSON.stringify(record)}\n`, 0);
    return { acquired: true };
  }

  /** A kernel lock cannot lapse while we live. */
  async renew(): Promise<boolean> {
    return this.fd !== undefined;
  }

  mayAct(): boolean {
    return this.fd !== undefined;
  }

  async release(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    // Closing the only descriptor of the open file description drops the flock.
    closeSync(fd);
  }

  /** What the lock file says about its holder (best effort: the holder may be mid-write). */
  holder(): LockHolder | undefined {
    try {
      const text = readFileSync(this.options.file, 'utf8').slice(0, 1000);
      const parsed = JSON.parse(text) as Partial<LockHolder>;
      if (typeof parsed.pid !== 'number' || typeof parsed.host !== 'string') return undefined;
      return { pid: parsed.pid, host: parsed.host, since: String(parsed.since ?? '') };
    } catch {
      return undefined;
    }
  }

  /** The recorded holder, unless the record is an old one whose process is gone (another tool holds the lock). */
  private liveHolder(): LockHolder | undefined {
    const holder = this.holder();
    if (holder && holder.host === hostname() && !existsSync(`/proc/${holder.pid}`)) return undefined;
    return holder;
  }

  private open(): number {
    try {
      return openSync(this.options.file, constants.O_RDWR | constants.O_CREAT, 0o644);
    } catch (cause) {
      const hint =
        (cause as NodeJS.ErrnoException).code === 'EISDIR'
          ? ' (a directory: a lock left by swarm-vip before 0.2; remove it once)'
          : '';
      throw new ConfigError('bad-flag', `cannot open lock file ${this.options.file}${hint}`, { cause });
    }
  }

  private flockNonBlocking(fd: number): Promise<boolean> {
    const command = this.options.flockCommand ?? 'flock';
    return new Promise((resolve, reject) => {
      const child = spawn(command, ['--nonblock', '--exclusive', '3'], {
        stdio: ['ignore', 'ignore', 'pipe', fd],
        timeout: this.options.timeoutMs,
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr = `${stderr}${chunk.toString()}`.slice(-500)));
      child.on('error', (cause) =>
        reject(
          new ConfigError(
            'bad-flag',
            `cannot run ${command} to take the lock ${this.options.file}: install util-linux (or busybox) flock`,
            { cause },
          ),
        ),
      );
      child.on('close', (code) => {
        if (code === 0) resolve(true);
        else if (code === 1 && stderr === '') resolve(false);
        else
          reject(new ConfigError('bad-flag', `${command} on ${this.options.file} failed: ${stderr.trim()}`));
      });
    });
  }
}

export function describeHolder(holder: LockHolder | undefined): string | undefined {
  return holder && `pid ${holder.pid} on ${holder.host} since ${holder.since}`;
}
