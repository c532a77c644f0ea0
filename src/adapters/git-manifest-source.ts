import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Observable, defer, exhaustMap, filter, map, timer, type SchedulerLike } from 'rxjs';
import { ConfigError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { readManifestDir } from '../manifest/load-manifest-dir.js';
import type { ManifestSnapshot, ManifestSource } from '../ports.js';

const run = promisify(execFile);

export interface GitSourceOptions {
  /** Any URL git can fetch: https://, ssh://, git@host:repo, file:///path. */
  url: string;
  /** Branch, tag or commit-ish on the remote; HEAD is the remote's default branch. */
  ref: string;
  /** Directory of the manifests inside the repository. */
  path: string;
  /** Local checkout, owned by the reconciler. */
  checkoutDir: string;
  pollIntervalMs: number;
  /** Bound on one git command. */
  timeoutMs: number;
  log: Logger;
  scheduler?: SchedulerLike;
}

/**
 * Manifests from a GitOps repository: what is committed at `ref` is what is desired. The remote
 * is fetched every `pollIntervalMs` (shallow, one commit) and the checkout reset to it; a new
 * commit is a change. A remote that cannot be fetched keeps the last checkout in force (logged),
 * so an outage of the git server changes nothing on the nodes; a commit with broken manifests is
 * validated like a directory, so it never tears down a working VIP.
 */
export class GitManifestSource implements ManifestSource {
  /** The commit checked out now; undefined until the first sync. */
  private commit: string | undefined;

  constructor(private readonly options: GitSourceOptions) {}

  /** The commit checked out: its revision is the commit id. */
  async snapshot(): Promise<ManifestSnapshot> {
    const commit = this.commit ?? (await this.firstCheckout());
    const dir = path.join(this.options.checkoutDir, this.options.path);
    return readManifestDir(dir, undefined, {
      revision: commit,
      fileLabel: (relative) => `${path.posix.join(this.options.path, relative)}@${commit.slice(0, 12)}`,
    });
  }

  /** Emits when polling finds that `ref` moved to another commit. */
  changes(): Observable<void> {
    return timer(this.options.pollIntervalMs, this.options.pollIntervalMs, this.options.scheduler).pipe(
      exhaustMap(() => defer(() => this.pollMoved())),
      filter((moved) => moved),
      map(() => undefined),
    );
  }

  /** Fetches `ref` and resets the checkout to it; resolves with the commit now checked out. */
  async sync(): Promise<string> {
    const { url, ref, checkoutDir } = this.options;
    await mkdir(checkoutDir, { recursive: true });
    await this.git(['init', '--quiet']);
    await this.git(['fetch', '--quiet', '--depth', '1', '--force', '--no-tags', url, ref]);
    await this.git(['reset', '--quiet', '--hard', 'FETCH_HEAD']);
    await this.git(['clean', '--quiet', '-fdx']);
    this.commit = (await this.git(['rev-parse', 'HEAD'])).trim();
    return this.commit;
  }

  /**
   * The first sync. When the remote cannot be fetched, a checkout left by an earlier run is used
   * (with a warning) rather than nothing: an outage of the git server must not stop reconciling.
   */
  private async firstCheckout(): Promise<string> {
    try {
      return await this.sync();
    } catch (error) {
      const previous = await this.git(['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '');
      if (!previous.trim()) {
        throw new ConfigError(
          'git-unavailable',
          `cannot fetch ${this.options.ref} from ${this.options.url}`,
          {
            cause: error,
          },
        );
      }
      this.warnUnreachable(error);
      this.commit = previous.trim();
      return this.commit;
    }
  }

  private async pollMoved(): Promise<boolean> {
    const before = this.commit;
    try {
      const after = await this.sync();
      if (after !== before) this.options.log.info({ git: this.options.url, commit: after }, 'new commit');
      return after !== before;
    } catch (error) {
      this.warnUnreachable(error);
      return false;
    }
  }

  private warnUnreachable(error: unknown): void {
    this.options.log.warn(
      { git: this.options.url, ref: this.options.ref, commit: this.commit, err: describeError(error) },
      'cannot fetch the git remote; keeping the last checkout',
    );
  }

  private async git(args: string[]): Promise<string> {
    const { stdout } = await run('git', ['-C', this.options.checkoutDir, ...args], {
      timeout: this.options.timeoutMs,
      // Never prompt for credentials: a cron job or daemon has no one to answer.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    return stdout;
  }
}
