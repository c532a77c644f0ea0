import { LineCounter, parseAllDocuments, type YAMLError } from 'yaml';
import { problemAt } from '../core/problem-location.js';
import type { ManifestOrigin, ManifestProblem } from '../core/types.js';
import type { ManifestFile } from '../ports.js';
import { collectPositions, type DuplicateKey } from './yaml-positions.js';

export type { ManifestFile } from '../ports.js';

/** One YAML document of a file, parsed but not yet checked against a schema. */
export interface RawDocument {
  origin: ManifestOrigin;
  /** The document as plain data; undefined when it could not be built. */
  value: unknown;
  /** YAML problems; a document with any is not used. */
  problems: ManifestProblem[];
}

/**
 * The documents of a YAML (or JSON: a subset of YAML) file, with the position of every value.
 * Documents holding nothing (a trailing `---`, only comments) are dropped.
 */
export function parseYamlDocuments(file: ManifestFile): RawDocument[] {
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(file.text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(documents) ? documents : [];
  return list.flatMap((document, documentIndex) => {
    const { positions, duplicateKeys } = collectPositions(document.contents, lineCounter);
    const origin: ManifestOrigin = { file: file.path, documentIndex, positions };
    const problems = document.errors.map((error) => yamlProblem(file.path, error, duplicateKeys));
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push(
        problemAt(origin, '', 'yaml-syntax', `cannot build the document: ${(error as Error).message}`),
      );
    }
    // A document of only comments (or after a trailing `---`) is null: nothing declared, nothing wrong.
    if (value === null && problems.length === 0) return [];
    return [{ origin, value, problems }];
  });
}

function yamlProblem(
  file: string,
  error: YAMLError,
  duplicateKeys: readonly DuplicateKey[],
): ManifestProblem {
  const [start] = error.linePos ?? [{ line: 1, col: 1 }];
  const duplicate = duplicateKeys.find((key) => key.offset === error.pos[0]);
  if (error.code === 'DUPLICATE_KEY' && duplicate) {
    const key = duplicate.pointer.slice(duplicate.pointer.lastIndexOf('/') + 1);
    return {
      code: 'duplicate-key',
      file,
      ...start,
      path: duplicate.pointer,
      message: `duplicate key \`${key}\` (first at line ${duplicate.first.line}); YAML keeps only one of the values — remove one`,
    };
  }
  return { code: 'yaml-syntax', file, ...start, path: '', message: firstLine(error.message) };
}

/** prettyErrors appends " at line L, column C:" and a source excerpt; the problem has its own position. */
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}
