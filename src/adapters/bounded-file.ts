import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Reads a small regular file whole, refusing anything larger than `maxBytes` and anything that is
 * not a regular file (a FIFO would block, a device would never end). Synchronous on purpose: the
 * files are a few kilobytes and read where a connection is set up.
 */
export function readBoundedFile(file: string, maxBytes: number): Buffer {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(`${file} is not a regular file`);
    if (stat.size > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`);
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (let n = 1; n > 0 && length <= maxBytes; length += n) {
      n = readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) throw new Error(`${file} is larger than ${maxBytes} bytes`);
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
