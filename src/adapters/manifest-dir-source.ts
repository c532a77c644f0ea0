import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { watch } from 'chokidar';
import { Observable, debounceTime, map } from 'rxjs';
import type { ManifestSnapshot, ManifestSource } from '../ports.js';
import { readManifestDir } from '../manifest/load-manifest-dir.js';

const MANIFEST_FILE = /\.(ya?ml|json)$/;

export interface ManifestDirSourceOptions {
  /** Changes closer together than this are one change. */
  debounceMs: number;
  /**
   * A file written in place (not renamed into place, not reached through a link) that looks cut
   * off (empty, or not ending with a newline) is read again once it has not been modified for
   * this long: a writer that pauses between chunks is not read half-way. 0 turns the wait off.
   */
  writeSettleMs: number;
  /** Bound on the settling of one snapshot: after it, the latest read is used. */
  maxSettleMs?: number;
  /** Wall clock (epoch ms), to compare with file times. */
  nowMs?: () => number;
}

/** Re-reads one snapshot at most this many times (a directory that never stops changing). */
const MAX_READS = 20;

/**
 * The manifest directory: read as a whole into a snapshot whose revision is its content hash,
 * watched with chokidar; bursts of changes are debounced. A snapshot is one consistent state of
 * the directory, whoever keeps it:
 *
 * - a syncer that flips a symlink (git-sync's and Kubernetes' `..data -> ..2026_12_01_…`, with
 *   entries linking through it): the links at the top are read before and after the files; when
 *   one moved meanwhile the snapshot is read again, so it never mixes two generations;
 * - an editor's atomic save (write `x.tmp`, rename over `x.yaml`): the renamed file is complete,
 *   read at once (its inode changed after its last write: ctime later than mtime);
 * - a writer that writes in place, perhaps in chunks with pauses: a file whose last write is
 *   younger than `writeSettleMs` and that looks cut off (empty, or its last line without a
 *   newline) is waited for and read again, so half a file is not applied unless the writer pauses
 *   longer than that. A complete file (ending with a newline, as editors and tools write them) is
 *   read at once, so the common case costs no latency. Not caught: a writer that pauses exactly
 *   at a line end; such writers should write a temporary file and rename it (atomic).
 *   vim's default save (rename the old file away, write a new one) is an in-place writer.
 */
export class ManifestDirSource implements ManifestSource {
  private readonly options: Required<ManifestDirSourceOptions>;

  constructor(
    private readonly dir: string,
    options: ManifestDirSourceOptions,
  ) {
    this.options = { maxSettleMs: 10_000, nowMs: Date.now, ...options };
  }

  /** Problems name each file by its full path: a daemon's log is read far from its directory. */
  async snapshot(): Promise<ManifestSnapshot> {
    const startMs = this.options.nowMs();
    let latest: ManifestSnapshot | undefined;
    for (let read = 0; read < MAX_READS; read++) {
      const linksBefore = await topLinks(this.dir);
      latest = await readManifestDir(this.dir);
      const moved = (await topLinks(this.dir)) !== linksBefore;
      const waitMs = moved ? 0 : await this.unsettledMs(latest);
      if (!moved && waitMs <= 0) return latest;
      const leftMs = startMs + this.options.maxSettleMs - this.options.nowMs();
      if (leftMs <= 0) break;
      await sleep(Math.min(waitMs, leftMs));
    }
    // Still changing after the bound: the latest read stands; the next change reads again.
    return latest ?? readManifestDir(this.dir);
  }

  changes(): Observable<void> {
    return new Observable<string>((subscriber) => {
      const watcher = watch(this.dir, {
        ignoreInitial: true,
        ignored: (file, stats) => Boolean(stats?.isFile() && !MANIFEST_FILE.test(file)),
      });
      watcher.on('all', (_event, file) => subscriber.next(file));
      watcher.on('error', (error) => subscriber.error(error));
      return () => void watcher.close();
    }).pipe(
      debounceTime(this.options.debounceMs),
      map(() => undefined),
    );
  }

  /**
   * How long until every file of the snapshot that was written in place has been left alone for
   * `writeSettleMs`; 0 when all have (or were renamed into place, or are reached through a link).
   */
  private async unsettledMs(snapshot: ManifestSnapshot): Promise<number> {
    const { writeSettleMs, nowMs } = this.options;
    if (writeSettleMs <= 0) return 0;
    let waitMs = 0;
    for (const file of snapshot.files) {
      const info = await lstat(file.path, { bigint: true }).catch(() => undefined);
      if (!info?.isFile() || (await throughLink(this.dir, file.path))) continue;
      // Renamed into place after its last write: the writer had finished it.
      if (info.ctimeNs > info.mtimeNs) continue;
      // Whole by the look of it (tools end a file with a newline): read at once, no wait.
      if (file.text.endsWith('\n')) continue;
      const ageMs = nowMs() - Number(info.mtimeNs / 1_000_000n);
      waitMs = Math.max(waitMs, writeSettleMs - ageMs);
    }
    return waitMs;
  }
}

/** The top-level symlinks of `dir` and their targets, as one string (what a syncer flips). */
async function topLinks(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const links = entries.filter((e) => e.isSymbolicLink()).map((e) => e.name);
  const targets = await Promise.all(
    links.sort().map(async (name) => `${name}->${await readlink(path.join(dir, name)).catch(() => '')}`),
  );
  return targets.join('\n');
}

/** Whether a file's path inside `dir` passes through a symlink (a `..data` layout). */
async function throughLink(dir: string, file: string): Promise<boolean> {
  const relative = path.relative(dir, file).split(path.sep);
  let current = dir;
  for (const part of relative) {
    current = path.join(current, part);
    const info = await lstat(current).catch(() => undefined);
    if (info?.isSymbolicLink()) return true;
  }
  return false;
}
