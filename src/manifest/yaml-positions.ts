import { isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import { KEY_SUFFIX, pointerSegment } from '../core/problem-location.js';
import type { SourcePosition } from '../core/types.js';

/** A mapping key written twice; YAML keeps only one of the values. */
export interface DuplicateKey {
  pointer: string;
  /** Offset of the repeated key in the text. */
  offset: number;
  first: SourcePosition;
}

export interface DocumentPositions {
  positions: Map<string, SourcePosition>;
  duplicateKeys: DuplicateKey[];
}

/**
 * Line and column of every value (and, under `pointer#key`, every mapping key) of a parsed YAML
 * document, by JSON pointer. A key written without a value is located at the key.
 */
export function collectPositions(contents: Node | null, lineCounter: LineCounter): DocumentPositions {
  const found: DocumentPositions = { positions: new Map(), duplicateKeys: [] };
  const at = (offset: number): SourcePosition => lineCounter.linePos(offset);
  const walk = (node: Node, pointer: string): void => {
    if (node.range) found.positions.set(pointer, at(node.range[0]));
    if (isSeq(node)) node.items.forEach((item, index) => visitValue(item, `${pointer}/${index}`));
    if (isMap(node)) {
      for (const pair of node.items) visitPair(pair.key, pair.value, pointer);
    }
  };
  const visitValue = (value: unknown, pointer: string): void => {
    if (isScalar(value) || isMap(value) || isSeq(value) || isAlias(value)) walk(value, pointer);
  };
  const visitPair = (key: unknown, value: unknown, parent: string): void => {
    if (!isScalar(key) || !key.range) return;
    const pointer = `${parent}/${pointerSegment(String(key.value))}`;
    const keyPosition = at(key.range[0]);
    const first = found.positions.get(pointer + KEY_SUFFIX);
    if (first) found.duplicateKeys.push({ pointer, offset: key.range[0], first });
    found.positions.set(pointer + KEY_SUFFIX, keyPosition);
    if (isEmptyScalar(value)) found.positions.set(pointer, keyPosition);
    else visitValue(value, pointer);
  };
  if (contents) walk(contents, '');
  return found;
}

function isEmptyScalar(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  return isScalar(value) && value.value === null && !!value.range && value.range[0] === value.range[1];
}
