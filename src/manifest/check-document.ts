import { problemAt } from '../core/problem-location.js';
import type { LoadedNodeEndpoint, LoadedVirtualIP, ManifestProblem } from '../core/types.js';
import type { RawDocument } from './parse-documents.js';
import { API_VERSION, MANIFEST_KINDS, schemaValidators, type ManifestKind } from './schema-validators.js';
import { show, translateSchemaErrors } from './schema-errors.js';
import { didYouMean } from './did-you-mean.js';

/**
 * What became of one document. A rejected document names the VIP to freeze: its
 * `metadata.name`, `unknown` when that cannot be read, or nothing when it is no VIP.
 */
export type DocumentVerdict =
  | { kind: 'VirtualIP'; loaded: LoadedVirtualIP }
  | { kind: 'NodeEndpoint'; loaded: LoadedNodeEndpoint }
  | { kind: 'rejected'; freeze: Freeze };

export type Freeze = { name: string } | 'unknown' | 'nothing';

export interface CheckedDocument {
  verdict: DocumentVerdict;
  problems: ManifestProblem[];
}

/** Checks a document's YAML, apiVersion, kind and schema, reporting every problem found. */
export function checkDocument(document: RawDocument): CheckedDocument {
  const problems =
    document.problems.length > 0
      ? document.problems
      : [...envelopeProblems(document), ...schemaProblems(document)];
  if (problems.length > 0) {
    const freeze = freezeOf(document.value);
    const vip = typeof freeze === 'object' ? freeze.name : undefined;
    const owned = vip === undefined ? problems : problems.map((problem) => ({ ...problem, vip }));
    return { verdict: { kind: 'rejected', freeze }, problems: owned };
  }
  const value = document.value as { kind: ManifestKind };
  const loaded = { manifest: document.value, origin: document.origin };
  return value.kind === 'VirtualIP'
    ? { verdict: { kind: 'VirtualIP', loaded: loaded as LoadedVirtualIP }, problems }
    : { verdict: { kind: 'NodeEndpoint', loaded: loaded as LoadedNodeEndpoint }, problems };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function knownKind(value: unknown): ManifestKind | undefined {
  const kind = isMapping(value) ? value['kind'] : undefined;
  return MANIFEST_KINDS.find((known) => known === kind);
}

/** apiVersion and kind come first: without them there is no schema to check the rest against. */
function envelopeProblems({ origin, value }: RawDocument): ManifestProblem[] {
  if (!isMapping(value)) {
    const got = Array.isArray(value) ? 'a list' : show(value);
    return [
      problemAt(
        origin,
        '',
        'not-a-manifest',
        `a manifest must be a mapping with apiVersion, kind, metadata and spec; got ${got}`,
      ),
    ];
  }
  const problems: ManifestProblem[] = [];
  if (value['apiVersion'] !== API_VERSION) {
    const got = 'apiVersion' in value ? `got ${show(value['apiVersion'])}` : 'it is missing';
    problems.push(
      problemAt(origin, '/apiVersion', 'unknown-api-version', `apiVersion must be "${API_VERSION}"; ${got}`),
    );
  }
  if (knownKind(value) === undefined) problems.push(kindProblem(value, origin));
  return problems;
}

function kindProblem(value: Record<string, unknown>, origin: RawDocument['origin']): ManifestProblem {
  const kind = value['kind'];
  const allowed = MANIFEST_KINDS.map((k) => `"${k}"`).join(' or ');
  const suggestion = typeof kind === 'string' ? didYouMean(kind, MANIFEST_KINDS) : undefined;
  const got = 'kind' in value ? `got ${show(kind)}` : 'it is missing';
  const hint = suggestion ? `; did you mean "${suggestion}"?` : '';
  return problemAt(origin, '/kind', 'unknown-kind', `kind must be ${allowed}; ${got}${hint}`);
}

function schemaProblems({ origin, value }: RawDocument): ManifestProblem[] {
  const kind = knownKind(value);
  if (kind === undefined) return [];
  const validate = schemaValidators()[kind];
  if (validate(value)) return [];
  return translateSchemaErrors(validate.errors ?? [])
    .filter((issue) => issue.pointer !== '/apiVersion' && issue.pointer !== '/kind')
    .map((issue) => problemAt(origin, issue.pointer, issue.code, issue.message, issue.atKey));
}

/** A NodeEndpoint is no VIP; anything else might be one (a misspelt kind, say), so freeze its name. */
function freezeOf(value: unknown): Freeze {
  if (!isMapping(value)) return 'unknown';
  if (value['kind'] === 'NodeEndpoint') return 'nothing';
  const metadata = value['metadata'];
  const name = isMapping(metadata) ? metadata['name'] : undefined;
  return typeof name === 'string' && name !== '' ? { name } : 'unknown';
}
