import { createHash } from 'node:crypto';
import type { ManifestProblem } from '../core/types.js';
import type { ManifestFile } from '../ports.js';

/**
 * The revision of a directory's manifests: a hash of every file's name and text, and of what
 * could not be read, so equal revisions mean equal inputs to parsing. `sha256:` and 16 hex digits
 * (64 bits: a collision between two states of one directory is not a practical concern).
 */
export function contentRevision(
  files: readonly ManifestFile[],
  unreadable: readonly ManifestProblem[] = [],
): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file.path}\u0000${file.text.length}\u0000${file.text}\u0000`);
  for (const problem of unreadable) hash.update(`!${problem.file}\u0000${problem.message}\u0000`);
  return `sha256:${hash.digest('hex').slice(0, 16)}`;
}
