import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export type BoundedFileErrorCode = 'not-regular' | 'too-large';

/** A file refused by {@link readBoundedFile}: not a regular file (`kind` says what), or too large. */
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

/**
 * Reads a small regular file whole, refusing anything larger than `maxBytes` and anything that is
 * not a regular file (a FIFO would block, a device would never end) with a
 * {@link BoundedFileError}. `noFollow` refuses a link as the last path component. Synchronous on
 * purpose: the files are a few kilobytes and read where a connection or a pass is set up.
 */
export function readBoundedFile(
  file: string,
  maxBytes: number,
  options: { noFollow?: boolean } = {},
): Buffer {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;
  const fd = openSync(file, options.noFollow ? flags | constants.O_NOFOLLOW : flags);
  try {
    const stats = fstatSync(fd);
    const kind = fileKind(stats);
    if (kind !== 'regular file')
      throw new BoundedFileError('not-regular', kind, `${file} is not a regular file`);
    const tooLarge = () =>
      new BoundedFileError('too-large', kind, `${file} is larger than ${maxBytes} bytes`);
    if (stats.size > maxBytes) throw tooLarge();
    // Files such as those of /proc say size 0 and have more: the read itself is bounded too.
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length <= maxBytes; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw tooLarge();
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
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
