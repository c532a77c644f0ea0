import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { Observable, defer, exhaustMap, filter, map, timer, type SchedulerLike } from 'rxjs';
import { escapeControl } from '../core/printable.js';
import { ConfigError, GitError } from '../errors.js';
import type { Logger } from '../log.js';
import { readManifestDir } from '../manifest/load-manifest-dir.js';
import type { ManifestSnapshot, ManifestSource, ManifestSourceStatus } from '../ports.js';
import { redactUrls, runGit } from './git-command.js';

export interface GitSourceOptions {
  /** Any URL git can fetch: https://, ssh://, git://, git@host:repo, file:///path. */
  url: string;
  /** Branch, tag or commit-ish on the remote; HEAD is the remote's default branch. */
  ref: string;
  /** Directory of the manifests inside the repository. */
  path: string;
  /** Local state, owned by the reconciler: the fetched objects and one directory per revision. */
  checkoutDir: string;
  pollIntervalMs: number;
  /** Bound on one git command. */
  timeoutMs: number;
  log: Logger;
  scheduler?: SchedulerLike;
  /** Wall clock for the status (epoch ms). */
  nowMs?: () => number;
}

/** Revision directories kept besides the current one (the previous ones, for a pass still reading). */
const KEEP_PREVIOUS_REVISIONS = 2;
/** A half-written revision directory of a crashed sync is removed after this long. */
const STALE_TEMP_MS = 10 * 60_000;

/**
 * Manifests from a GitOps repository: what is committed at `ref` is what is desired.
 *
 * Layout of `checkoutDir` (no pass can see a revision half-written):
 *
 *     repo.git/               bare repository the remote is fetched into (shallow, one commit)
 *     revisions/<commit>/     the tree of one commit, written under a temporary name
 *                             and renamed into place when complete; never changed afterwards
 *     current -> revisions/<commit>   flipped by renaming a new symlink over it
 *
 * A snapshot reads the directory of one commit only, so it never mixes two commits. A remote that
 * cannot be fetched keeps the last revision in force (logged, and in {@link status} with git's own
 * message), so an outage of the git server changes nothing on the nodes; a commit with broken
 * manifests is validated like a directory, so it never tears down a working VIP. Older revision
 * directories are pruned, keeping {@link KEEP_PREVIOUS_REVISIONS} and any a snapshot is reading.
 */
export class GitManifestSource implements ManifestSource {
  /** The commit checked out now; undefined until the first sync. */
  private commit: string | undefined;
  /** Syncs run one at a time (the poll and a first snapshot may both ask). */
  private syncing: Promise<unknown> = Promise.resolve();
  /** Commits whose directories a snapshot is reading now (never pruned), with a count. */
  private readonly reading = new Map<string, number>();
  private lastSyncAtMs: number | undefined;
  private lastError: ManifestSourceStatus['error'];
  private readonly nowMs: () => number;

  constructor(private readonly options: GitSourceOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  /** The commit checked out: its revision is the commit id. */
  async snapshot(): Promise<ManifestSnapshot> {
    const commit = this.commit ?? (await this.firstCheckout());
    this.reading.set(commit, (this.reading.get(commit) ?? 0) + 1);
    try {
      const dir = path.join(this.revisionDir(commit), this.options.path);
      return await readManifestDir(dir, undefined, {
        revision: commit,
        fileLabel: (relative) => `${path.posix.join(this.options.path, relative)}@${commit.slice(0, 12)}`,
      });
    } finally {
      const left = (this.reading.get(commit) ?? 1) - 1;
      if (left > 0) this.reading.set(commit, left);
      else this.reading.delete(commit);
    }
  }

  /** Emits when polling finds that `ref` moved to another commit. */
  changes(): Observable<void> {
    return timer(this.options.pollIntervalMs, this.options.pollIntervalMs, this.options.scheduler).pipe(
      exhaustMap(() => defer(() => this.pollMoved())),
      filter((moved) => moved),
      map(() => undefined),
    );
  }

  status(): ManifestSourceStatus {
    const { url, ref, path: repoPath } = this.options;
    return {
      source: `git ${redactUrls(url)} ${ref}${repoPath === '.' ? '' : ` (path ${repoPath})`}`,
      ...(this.commit === undefined ? {} : { revision: this.commit }),
      ...(this.lastSyncAtMs === undefined ? {} : { lastSyncAtMs: this.lastSyncAtMs }),
      ...(this.lastError === undefined ? {} : { error: this.lastError }),
    };
  }

  /**
   * Fetches `ref`, writes its commit's directory if it is new and makes it current; resolves with
   * the commit now current. Throws {@link GitError} with git's message when that fails.
   */
  sync(): Promise<string> {
    const next = this.syncing.then(() => this.syncNow());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async syncNow(): Promise<string> {
    try {
      const commit = await this.fetch();
      await this.materialize(commit);
      await this.flipCurrent(commit);
      this.commit = commit;
      this.lastSyncAtMs = this.nowMs();
      this.lastError = undefined;
      await this.prune(commit);
      return commit;
    } catch (error) {
      this.lastError = {
        code: error instanceof GitError ? error.code : 'git-failed',
        message: escapeControl(redactUrls(errorText(error))),
        atMs: this.nowMs(),
      };
      throw error;
    }
  }

  private get repo(): string {
    return path.join(this.options.checkoutDir, 'repo.git');
  }

  private revisionDir(commit: string): string {
    return path.join(this.options.checkoutDir, 'revisions', commit);
  }

  private async fetch(): Promise<string> {
    const { url, ref } = this.options;
    await mkdir(this.repo, { recursive: true });
    if (!(await exists(path.join(this.repo, 'HEAD')))) {
      await this.git(['init', '--quiet', '--bare'], 'initialise the local repository');
    }
    const operation = `fetch ${ref} from ${redactUrls(url)}`;
    // --end-of-options: a URL or ref that starts with `-` is never read as an option.
    await this.git(
      ['fetch', '--quiet', '--depth', '1', '--force', '--no-tags', '--end-of-options', url, ref],
      operation,
    );
    const commit = (
      await this.git(['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}'], operation)
    ).trim();
    // A ref of our own keeps the fetched commit's objects from git's garbage collection.
    await this.git(['update-ref', 'refs/swarm-vip/current', commit], operation);
    return commit;
  }

  /** Writes the commit's tree under a temporary name, then renames it into place. */
  private async materialize(commit: string): Promise<void> {
    const target = this.revisionDir(commit);
    if (await exists(target)) return;
    const revisions = path.dirname(target);
    await mkdir(revisions, { recursive: true });
    const temp = path.join(revisions, `.tmp-${commit}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp);
    const operation = `check out ${commit.slice(0, 12)}`;
    try {
      // The whole tree, not only the manifest path: a link from the path into the repository
      // around it then resolves, and is refused by name (link-outside) rather than vanishing.
      await this.git(['--work-tree', temp, 'checkout', '--quiet', commit, '--', '.'], operation, {
        GIT_INDEX_FILE: `${temp}.index`,
      });
      await rename(temp, target).catch(async (error: NodeJS.ErrnoException) => {
        // Another process (a `reconciler status` beside the daemon) published it first.
        if (!(await exists(target))) throw error;
      });
    } finally {
      await rm(temp, { recursive: true, force: true });
      await rm(`${temp}.index`, { force: true });
    }
  }

  /** `current` → the commit's directory, replaced by a rename (never absent, never half-made). */
  private async flipCurrent(commit: string): Promise<void> {
    const link = path.join(this.options.checkoutDir, 'current');
    const temp = `${link}.tmp-${randomBytes(4).toString('hex')}`;
    await symlink(path.join('revisions', commit), temp);
    await rename(temp, link);
  }

  /** Removes revision directories but the newest few, the current one and those being read. */
  private async prune(current: string): Promise<void> {
    const revisions = path.join(this.options.checkoutDir, 'revisions');
    const entries = await readdir(revisions).catch(() => [] as string[]);
    const dated = await Promise.all(
      entries.map(async (name) => ({
        name,
        mtimeMs: (await stat(path.join(revisions, name)).catch(() => undefined))?.mtimeMs ?? 0,
      })),
    );
    const now = this.nowMs();
    const kept = new Set([current, ...this.reading.keys()]);
    const finished = dated.filter((e) => !e.name.startsWith('.tmp-')).sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const entry of finished.filter((e) => !kept.has(e.name)).slice(KEEP_PREVIOUS_REVISIONS)) {
      await rm(path.join(revisions, entry.name), { recursive: true, force: true });
    }
    for (const entry of dated.filter((e) => e.name.startsWith('.tmp-') && now - e.mtimeMs > STALE_TEMP_MS)) {
      await rm(path.join(revisions, entry.name), { recursive: true, force: true });
    }
  }

  /**
   * The first sync. When the remote cannot be fetched, the revision left current by an earlier
   * run is used (with a warning) rather than nothing: an outage of the git server must not stop
   * reconciling.
   */
  private async firstCheckout(): Promise<string> {
    try {
      return await this.sync();
    } catch (error) {
      const previous = await this.previousRevision();
      if (previous === undefined) {
        throw new ConfigError(
          'git-unavailable',
          `cannot fetch ${this.options.ref} from ${redactUrls(this.options.url)}: ${errorText(error)}`,
          { cause: error },
        );
      }
      this.warnUnreachable(error);
      this.commit = previous;
      return previous;
    }
  }

  /** The commit `current` names, if its directory is complete. */
  private async previousRevision(): Promise<string | undefined> {
    const target = await readlink(path.join(this.options.checkoutDir, 'current')).catch(() => undefined);
    const commit = target === undefined ? undefined : path.basename(target);
    if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
    return (await exists(this.revisionDir(commit))) ? commit : undefined;
  }

  private async pollMoved(): Promise<boolean> {
    const before = this.commit;
    try {
      const after = await this.sync();
      if (after !== before)
        this.options.log.info({ git: redactUrls(this.options.url), commit: after }, 'new commit');
      return after !== before;
    } catch (error) {
      this.warnUnreachable(error);
      return false;
    }
  }

  private warnUnreachable(error: unknown): void {
    this.options.log.warn(
      {
        git: redactUrls(this.options.url),
        ref: this.options.ref,
        commit: this.commit,
        code: error instanceof GitError ? error.code : undefined,
        err: errorText(error),
      },
      'cannot fetch the git remote; keeping the last revision',
    );
  }

  private git(args: string[], operation: string, env?: Record<string, string>): Promise<string> {
    return runGit(['--git-dir', this.repo, ...args], {
      timeoutMs: this.options.timeoutMs,
      operation,
      ...(env ? { env } : {}),
    });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
