import type { ManifestOrigin, ManifestProblem, SourcePosition } from './types.js';

/** Suffix of `ManifestOrigin.positions` entries that locate a mapping key rather than its value. */
export const KEY_SUFFIX = '#key';

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Where the value at `pointer` (or its key, with `atKey`) is written. When the pointer does not
 * exist (a missing field), the nearest existing parent is used, at its key when it has one: the
 * line that says `spec:` is where a missing `spec.addresses` belongs.
 */
export function positionOf(origin: ManifestOrigin, pointer: string, atKey = false): SourcePosition {
  const exact = atKey ? origin.positions.get(pointer + KEY_SUFFIX) : origin.positions.get(pointer);
  if (exact) return exact;
  let current = pointer;
  while (current !== '') {
    current = current.slice(0, current.lastIndexOf('/'));
    const found = origin.positions.get(current + KEY_SUFFIX) ?? origin.positions.get(current);
    if (found) return found;
  }
  return { line: 1, col: 1 };
}

/** A problem located at `pointer` in the document `origin` describes. */
export function problemAt(
  origin: ManifestOrigin,
  pointer: string,
  code: string,
  message: string,
  atKey = false,
): ManifestProblem {
  const { line, col } = positionOf(origin, pointer, atKey);
  return { code, file: origin.file, line, col, path: pointer, message };
}

/** `file:line:col` of a pointer, for messages that refer to another document. */
export function describeLocation(origin: ManifestOrigin, pointer: string): string {
  const { line, col } = positionOf(origin, pointer);
  return `${origin.file}:${line}:${col}`;
}

/** Problems sorted by file (in the order given), then line and column. */
export function sortProblems(
  problems: readonly ManifestProblem[],
  fileOrder: readonly string[],
): ManifestProblem[] {
  const rank = new Map(fileOrder.map((file, index) => [file, index]));
  const fileRank = (file: string): number => rank.get(file) ?? fileOrder.length;
  return [...problems].sort(
    (a, b) =>
      fileRank(a.file) - fileRank(b.file) || a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col,
  );
}
