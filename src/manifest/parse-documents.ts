import { Composer, LineCounter, Parser, type YAMLError } from 'yaml';
import { QUOTE_MAX_CHARS, quoteValue } from '../core/printable.js';
import { problemAt } from '../core/problem-location.js';
import type { ManifestOrigin, ManifestProblem } from '../core/types.js';
import { DEFAULT_MANIFEST_LIMITS, type ManifestLimits } from './limits.js';
import { breachPosition, structureBreach, tokenBreach, type LimitBreach } from './yaml-limits.js';
import { collectPositions, type DuplicateKey } from './yaml-positions.js';
import type { ManifestFile } from '../ports.js';

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
 * Documents holding nothing (a trailing `---`, only comments) are dropped. A file beyond one of
 * the structural `limits` gives one document with that problem and nothing built from it.
 */
export function parseYamlDocuments(
  file: ManifestFile,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): RawDocument[] {
  const lineCounter = new LineCounter();
  const early = tokenBreach(file.text, limits);
  if (early) return [refused(file, early, lineCounter, file.text)];
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(file.text));
  const breach = structureBreach(tokens, limits);
  if (breach) return [refused(file, breach, lineCounter)];
  // Duplicate keys are found by collectPositions in one pass; yaml's own check is quadratic.
  // logLevel silent: yaml would otherwise print warnings (holding file content) to stderr itself.
  const composer = new Composer({ uniqueKeys: false, logLevel: 'silent' });
  const documents = Array.from(composer.compose(tokens, false, file.text.length));
  return documents.flatMap((document, documentIndex) => {
    const { positions, duplicateKeys } = collectPositions(document.contents, lineCounter);
    const origin: ManifestOrigin = { file: file.path, documentIndex, positions };
    const problems = [
      ...document.errors.map((error) => yamlProblem(file.path, error, lineCounter)),
      ...duplicateKeys.map((duplicate) => duplicateKeyProblem(file.path, duplicate, lineCounter)),
    ];
    let value: unknown;
    try {
      value = document.toJS({ maxAliasCount: limits.maxAliasCount });
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

function refused(
  file: ManifestFile,
  breach: LimitBreach,
  lineCounter: LineCounter,
  text?: string,
): RawDocument {
  // The lexer pass has not fed the line counter: count lines up to the breach by hand.
  const { line, col } =
    text === undefined ? breachPosition(breach, lineCounter) : positionIn(text, breach.offset);
  return {
    origin: { file: file.path, documentIndex: 0, positions: new Map() },
    value: undefined,
    problems: [{ code: 'limit-exceeded', file: file.path, line, col, path: '', message: breach.message }],
  };
}

function positionIn(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < offset; at = text.indexOf('\n', at + 1)) {
    line += 1;
    start = at + 1;
  }
  return { line, col: offset - start + 1 };
}

function duplicateKeyProblem(
  file: string,
  duplicate: DuplicateKey,
  lineCounter: LineCounter,
): ManifestProblem {
  const segment = duplicate.pointer.slice(duplicate.pointer.lastIndexOf('/') + 1);
  const key = segment.length > QUOTE_MAX_CHARS ? quoteValue(segment) : segment;
  return {
    code: 'duplicate-key',
    file,
    ...lineCounter.linePos(duplicate.offset),
    path: duplicate.pointer,
    message: `duplicate key \`${key}\` (first at line ${duplicate.first.line}); YAML keeps only one of the values — remove one`,
  };
}

function yamlProblem(file: string, error: YAMLError, lineCounter: LineCounter): ManifestProblem {
  const start = lineCounter.linePos(error.pos[0]);
  return { code: 'yaml-syntax', file, ...start, path: '', message: firstLine(error.message) };
}

/** yaml may append " at line L, column C:" and a source excerpt; the problem has its own position. */
function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}
