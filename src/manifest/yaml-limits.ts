/**
 * Structural limits of a YAML file, checked before anything is built from it: the lexer's token
 * stream first (it stops at the limit, so a 1,000,000-item list costs little), then the CST,
 * walked with an explicit stack (10,000 levels of nesting never reach a recursive function).
 * Only a file within every limit goes on to the composer, whose cost is then bounded too.
 */
import { CST, Lexer, type LineCounter } from 'yaml';
import type { ManifestLimits } from './limits.js';

/** The first limit a file exceeds: where (offset into the text) and what to say. */
export interface LimitBreach {
  offset: number;
  message: string;
}

type Limits = Pick<
  ManifestLimits,
  'maxTokensPerFile' | 'maxDocumentsPerFile' | 'maxNestingDepth' | 'maxKeysPerMapping' | 'maxItemsPerSequence'
>;

/** Lexer markers that stand for a token kind and take no room in the text. */
const MARKERS = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/** The token limit: counted on the lexer's stream, which stops as soon as it is passed. */
export function tokenBreach(text: string, limits: Limits): LimitBreach | undefined {
  let count = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    count += 1;
    if (count > limits.maxTokensPerFile) {
      return {
        offset,
        message: `the file has more than ${limits.maxTokensPerFile} YAML tokens (limit maxTokensPerFile); split it into smaller files`,
      };
    }
    if (!MARKERS.has(token)) offset += token.length;
  }
  return undefined;
}

interface Pending {
  token: CST.Token;
  depth: number;
}

/** Documents, nesting depth, keys per mapping and items per sequence, on the parsed CST. */
export function structureBreach(documents: readonly CST.Token[], limits: Limits): LimitBreach | undefined {
  const docs = documents.filter((token) => token.type === 'document');
  const extra = docs[limits.maxDocumentsPerFile];
  if (extra) {
    return {
      offset: extra.offset,
      message: `the file has more than ${limits.maxDocumentsPerFile} YAML documents (limit maxDocumentsPerFile); split it`,
    };
  }
  const stack: Pending[] = docs.map((token) => ({ token, depth: 0 }));
  for (let next = stack.pop(); next; next = stack.pop()) {
    const breach = visit(next, limits, stack);
    if (breach) return breach;
  }
  return undefined;
}

function visit({ token, depth }: Pending, limits: Limits, stack: Pending[]): LimitBreach | undefined {
  const push = (child: CST.Token | null | undefined, childDepth: number): void => {
    if (child) stack.push({ token: child, depth: childDepth });
  };
  switch (token.type) {
    case 'document':
      push(token.value, depth);
      return undefined;
    case 'block-map':
    case 'block-seq':
    case 'flow-collection': {
      const breach = collectionBreach(token, depth + 1, limits);
      if (breach) return breach;
      for (const item of token.items) {
        push(item.key, depth + 1);
        push(item.value, depth + 1);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function collectionBreach(
  token: CST.BlockMap | CST.BlockSequence | CST.FlowCollection,
  depth: number,
  limits: Limits,
): LimitBreach | undefined {
  if (depth > limits.maxNestingDepth) {
    return {
      offset: token.offset,
      message: `mappings and lists are nested more than ${limits.maxNestingDepth} deep here (limit maxNestingDepth)`,
    };
  }
  const mapping =
    token.type === 'block-map' || (token.type === 'flow-collection' && token.start.source === '{');
  const max = mapping ? limits.maxKeysPerMapping : limits.maxItemsPerSequence;
  if (token.items.length <= max) return undefined;
  const what = mapping ? `keys (limit maxKeysPerMapping)` : `items (limit maxItemsPerSequence)`;
  return {
    offset: token.offset,
    message: `this ${mapping ? 'mapping' : 'list'} has more than ${max} ${what}`,
  };
}

/** Line and column of a breach, for a problem. */
export function breachPosition(breach: LimitBreach, lineCounter: LineCounter): { line: number; col: number } {
  return lineCounter.linePos(breach.offset);
}
