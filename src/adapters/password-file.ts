import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { isInsideDir, outsidePasswordDirsRefusal, passwordFileRefusal } from '../core/password-rules.js';
import { BoundedFileError, fileKind, readBoundedFile } from './bounded-file.js';

/**
 * Bytes read from one password file at most. A VRRP password has at most 8 characters; the
 * rest of the room is for a trailing newline and editors' habits, not for content.
 */
export const MAX_PASSWORD_FILE_BYTES = 256;

export type PasswordFileRead = { password: string } | { problem: string };

/**
 * Reads a `passwordFile` that a manifest names, under the rules that keep a manifest author from
 * reading the reconciler's host: the path must lie under one of `dirs` (the operator's
 * `--password-dir`s) both as written and once every link is resolved; it must be a regular file
 * (a FIFO would block, a device such as /dev/zero never ends); at most
 * {@link MAX_PASSWORD_FILE_BYTES} are read. A path outside the directories is refused before the
 * file system is asked anything, so a refusal tells nothing about what exists there. Problems
 * never quote the file's content, nor say how long it is.
 */
export function readPasswordFile(file: string, dirs: readonly string[]): PasswordFileRead {
  // Lexically first (against each directory as given and as it really is): nothing outside the
  // directories is looked up at all.
  const refusal = passwordFileRefusal(file, dirs, dirs.map(realDir));
  if (refusal !== undefined) return { problem: refusal };
  let real: string;
  try {
    real = realpathSync(file);
  } catch (error) {
    return { problem: `cannot read passwordFile ${file}: ${reason(error)}` };
  }
  if (!dirs.some((dir) => isInsideDir(real, realDir(dir)))) {
    return { problem: outsidePasswordDirsRefusal(file, dirs) };
  }
  return readRegularFile(file, real);
}

function readRegularFile(file: string, real: string): PasswordFileRead {
  try {
    const kind = fileKind(statSync(real));
    if (kind !== 'regular file') return notRegular(file, kind);
    // Opened without following a link, and checked again by fstat: should the file have been
    // swapped for a FIFO or a link since, what was really opened is what counts.
    return { password: readBoundedFile(real, MAX_PASSWORD_FILE_BYTES, { noFollow: true }).toString('utf8') };
  } catch (error) {
    if (!(error instanceof BoundedFileError)) {
      return { problem: `cannot read passwordFile ${file}: ${reason(error)}` };
    }
    if (error.code === 'not-regular') return notRegular(file, error.kind);
    return {
      problem: `passwordFile ${file} is refused: it holds more than ${MAX_PASSWORD_FILE_BYTES} bytes (a VRRP password has at most 8 characters)`,
    };
  }
}

function notRegular(file: string, kind: string): PasswordFileRead {
  return { problem: `passwordFile ${file} is refused: it is a ${kind}, not a regular file` };
}

/** A configured directory with its links resolved; as given when it does not exist (nothing is inside it then). */
function realDir(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return path.resolve(dir);
  }
}

/** Why a file could not be read, by its error code only (the message may carry more than that). */
function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ELOOP':
      return 'too many levels of links';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return code ?? 'unreadable';
  }
}
