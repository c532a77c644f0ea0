import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { readBoundedFile } from './bounded-file.js';

/** A record is a few kilobytes; anything much bigger is not ours. */
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * A value kept in a small JSON file beside the lock file, so that it outlives the process that
 * wrote it (`reconciler status` reads what the acting reconciler recorded). A write puts a new
 * file in place by rename, so a reader never sees half of one; a read is bounded, and a file that
 * is missing, too large, not JSON or not of the expected shape (`shape`) is no record.
 */
export class JsonRecordFile<T> {
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
    const temp = `${this.file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}
