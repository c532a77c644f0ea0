import { closeSync, constants, fstatSync, openSync, readlinkSync, readSync, type Stats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';

export type BoundedFileErrorCode = 'not-regular' | 'too-large' | 'moved';

/**
 * A file refused by {@link readBoundedFile} or {@link readBoundedFileAsync}: not a regular file
 * (`kind` says what), too large, or not where it was expected to be once opened (`moved`).
 */
export class BoundedFileError extends Error {
  override readonly name = 'BoundedFileError';
  constructor(
    readonly code: BoundedFileErrorCode,
    /** What the file is, e.g. `FIFO`, `character device`, `regular file`. */
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

export interface BoundedFileOptions {
  /** Refuse a link as the last path component (O_NOFOLLOW). */
  noFollow?: boolean;
  /**
   * Where the opened file must really be (links resolved): a link checked before and swapped
   * since is refused with code `moved` instead of being read.
   */
  expectedRealPath?: string;
}

/**
 * Reads a small regular file whole, refusing anything larger than `maxBytes` and anything that is
 * not a regular file (a FIFO would block, a device would never end) with a
 * {@link BoundedFileError}. Synchronous: for the files of a few kilobytes read where a connection
 * or a pass is set up (TLS, ssh, passwords); {@link readBoundedFileAsync} for many files.
 */
export function readBoundedFile(file: string, maxBytes: number, options: BoundedFileOptions = {}): Buffer {
  const fd = openSync(file, openFlags(options));
  try {
    const reading = boundedRead(file, fstatSync(fd), maxBytes);
    let step = reading.next();
    if (options.expectedRealPath !== undefined)
      checkPlace(file, openedPathSync(fd), options.expectedRealPath);
    while (!step.done) {
      const { buffer, offset } = step.value;
      step = reading.next(readSync(fd, buffer, offset, buffer.length - offset, null));
    }
    return step.value;
  } finally {
    closeSync(fd);
  }
}

/** {@link readBoundedFile} without blocking the event loop: the same checks, errors and messages. */
export async function readBoundedFileAsync(
  file: string,
  maxBytes: number,
  options: BoundedFileOptions = {},
): Promise<Buffer> {
  const handle = await open(file, openFlags(options));
  try {
    const reading = boundedRead(file, await handle.stat(), maxBytes);
    let step = reading.next();
    if (options.expectedRealPath !== undefined) {
      const opened = await readlink(fdLink(handle.fd)).catch(() => undefined);
      checkPlace(file, opened, options.expectedRealPath);
    }
    while (!step.done) {
      const { buffer, offset } = step.value;
      const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, null);
      step = reading.next(bytesRead);
    }
    return step.value;
  } finally {
    await handle.close();
  }
}

function openFlags(options: BoundedFileOptions): number {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  return options.noFollow ? flags | constants.O_NOFOLLOW : flags;
}

function fdLink(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

function openedPathSync(fd: number): string | undefined {
  try {
    return readlinkSync(fdLink(fd));
  } catch {
    return undefined;
  }
}

/**
 * Refuses an opened file that is not at `expected`. Without /proc (`opened` undefined) the place
 * cannot be checked; the caller's containment checks before the open still hold.
 */
function checkPlace(file: string, opened: string | undefined, expected: string): void {
  if (opened !== undefined && opened !== expected) {
    throw new BoundedFileError('moved', 'regular file', `${file} changed while being read`);
  }
}

/** A request to read into `buffer` from `offset` on; answered with the number of bytes read. */
interface ReadRequest {
  buffer: Buffer;
  offset: number;
}

/**
 * The bounded read of one opened file, written once for both variants: checks what was opened
 * (at the first `next()`), then asks for reads until end of file, one byte beyond `maxBytes` at
 * most. The buffer starts at the size fstat tells and grows only when the file holds more (files
 * such as those of /proc say size 0 and have more), so many small files cost little and none can
 * cost more than the bound.
 */
function* boundedRead(file: string, stats: Stats, maxBytes: number): Generator<ReadRequest, Buffer, number> {
  const kind = fileKind(stats);
  if (kind !== 'regular file')
    throw new BoundedFileError('not-regular', kind, `${file} is not a regular file`);
  const tooLarge = () => new BoundedFileError('too-large', kind, `${file} is larger than ${maxBytes} bytes`);
  if (stats.size > maxBytes) throw tooLarge();
  let buffer = Buffer.alloc(Math.min(maxBytes + 1, Math.max(stats.size + 1, 4096)));
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > maxBytes) throw tooLarge();
      const grown = Buffer.alloc(Math.min(maxBytes + 1, buffer.length * 2));
      buffer.copy(grown, 0, 0, length);
      buffer = grown;
    }
    const bytesRead = yield { buffer, offset: length };
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  return buffer.subarray(0, length);
}

/** What a file system entry is, in words for messages. */
export function fileKind(stats: Stats): string {
  if (stats.isFile()) return 'regular file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isCharacterDevice()) return 'character device';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}
