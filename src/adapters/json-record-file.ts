import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBoundedFile } from './bounded-file.js';

/** A record is a few kilobytes; anything much bigger is not ours. */
const MAX_RECORD_BYTES = 256 * 1024;

/** The name of a write's temporary file: the record's name, `.tmp-` and 8 hex digits. */
function tempName(file: string): string {
  return `${file}.tmp-${randomBytes(4).toString('hex')}`;
}

/**
 * Removes the temporary files that writes of the record at `file` left behind: a process killed
 * between a write and its rename leaves one. Only names of exactly that form are touched.
 */
export async function removeRecordTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const prefix = `${path.basename(file)}.tmp-`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const left = names.filter((n) => n.startsWith(prefix) && /^[0-9a-f]{8}$/.test(n.slice(prefix.length)));
  await Promise.all(left.map((n) => rm(path.join(dir, n), { force: true })));
}

/**
 * A value kept in a small JSON file beside the lock file, so that it outlives the process that
 * wrote it (`reconciler status` reads what the acting reconciler recorded). A write puts a new
 * file in place by rename, so a reader never sees half of one; a read is bounded, and a file that
 * is missing, too large, not JSON or not of the expected shape (`shape`) is no record. Only the
 * reconciler holding the lock writes, so its first write also removes what an earlier one, killed
 * mid-write, left behind.
 */
export class JsonRecordFile<T> {
  private swept = false;

  constructor(
    private readonly file: string,
    private readonly shape: (value: unknown) => T | undefined,
  ) {}

  async read(): Promise<T | undefined> {
    let value: unknown;
    try {
      value = JSON.parse(readBoundedFile(this.file, MAX_RECORD_BYTES, { noFollow: true }).toString('utf8'));
    } catch {
      return undefined;
    }
    return this.shape(value);
  }

  async write(value: T): Promise<void> {
    if (!this.swept) {
      this.swept = true;
      await removeRecordTemps(this.file);
    }
    const temp = tempName(this.file);
    await writeFile(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}
