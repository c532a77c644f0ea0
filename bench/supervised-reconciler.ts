/**
 * The reconciler in watch mode under a supervisor, as an operator runs it (systemd
 * `Restart=always`, a swarm service): whenever the process exits, for any reason, it is started
 * again after `restartDelayMs`. The chaos benchmark is that supervisor, so it can SIGTERM and
 * SIGKILL the reconciler and see what the restart costs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = path.join(repo, 'src/cli/main.ts');

/** One exit of the supervised process. */
export interface ReconcilerExit {
  atMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr, for a report of why it stopped. */
  tail: string;
}

export class SupervisedReconciler {
  readonly exits: ReconcilerExit[] = [];
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private tail = '';
  starts = 0;

  constructor(
    private readonly args: readonly string[],
    private readonly restartDelayMs: number,
    private readonly clock: () => number,
    /** Appends everything the reconciler writes to stderr (its log) here, across restarts. */
    private readonly logFile?: string,
  ) {}

  start(): void {
    this.starts++;
    this.tail = '';
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', cliEntry, '--log-format', 'json', ...this.args],
      {
        cwd: repo,
        // As in the e2e harness: a DOCKER_HOST that points nowhere, proving it is ignored.
        env: { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:9', FORCE_COLOR: '0' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      this.tail = `${this.tail}${chunk.toString()}`.slice(-2000);
      if (this.logFile) appendFileSync(this.logFile, chunk);
    });
    child.on('exit', (code, signal) => {
      this.exits.push({ atMs: this.clock(), code, signal, tail: this.tail });
      this.child = undefined;
      if (!this.stopping) this.restartTimer = setTimeout(() => this.start(), this.restartDelayMs);
    });
    this.child = child;
  }

  /** Sends `signal` to the running reconciler (the supervisor restarts it when it exits). */
  signal(signal: NodeJS.Signals): boolean {
    return this.child?.kill(signal) ?? false;
  }

  /** Stops supervising: SIGTERM, SIGKILL after `timeoutMs`, no restart. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
