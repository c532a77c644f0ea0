/**
 * Turns ajv's raw errors into messages an operator can act on: what is wrong, and what would be
 * right. Needs errors from a `verbose` ajv (they carry the offending value and schema).
 */
import type { ErrorObject } from 'ajv';
import {
  ABSOLUTE_PATH_PATTERN,
  HOST_PATTERN,
  HTTP_URL_PATTERN,
  IMAGE_PATTERN,
  INTERFACE_PATTERN,
  LABEL_KEY_PATTERN,
  NODE_NAME_PATTERN,
} from '../core/grammar.js';
import { ipCidrError } from '../core/ip-address.js';
import { quoteValue } from '../core/printable.js';
import { pointerSegment } from '../core/problem-location.js';
import { didYouMean } from './did-you-mean.js';

/** One schema problem, located by JSON pointer (at the key itself when `atKey`). */
export interface SchemaIssue {
  code: 'unknown-field' | 'missing-field' | 'exactly-one-of' | 'schema';
  pointer: string;
  atKey: boolean;
  message: string;
  /** For an unknown field: the pointer of the field probably meant. */
  suggestion?: string;
}

type SchemaObject = Record<string, unknown>;
type Translate = (error: ErrorObject) => Omit<SchemaIssue, 'code'> & { code?: SchemaIssue['code'] };

/** What a pattern means, by the pattern's text; a test keeps every schema pattern covered. */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$':
    'is not a DNS label: 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit (like "ingress")',
  [NODE_NAME_PATTERN]:
    'is not a hostname: letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
  '^(unix|tcp|ssh)://.+':
    'is not a Docker engine URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host',
  [INTERFACE_PATTERN]: 'is not an interface name: 1 to 15 letters, digits and "_.:@-" (like "eth0")',
  '^[A-Za-z_][A-Za-z0-9_]*$':
    'is not an environment variable name: letters, digits and "_", not starting with a digit (like "VRRP_PASSWORD")',
  [HTTP_URL_PATTERN]:
    'is not an http:// URL of plain URL characters (like "http://127.0.0.1:8080/healthz"); percent-encode anything else',
  [HOST_PATTERN]: 'is not a host name or IP address (like "127.0.0.1" or "db.internal")',
  [LABEL_KEY_PATTERN]:
    'is not a label key: letters, digits, ".", "-", "_" and "/", starting and ending with a letter or digit',
  [IMAGE_PATTERN]: 'is not a Docker image reference (like "osixia/keepalived:2.0.20")',
  [ABSOLUTE_PATH_PATTERN]: 'is not an absolute path (like "/run/secrets/vrrp")',
};

const FORMAT_HINTS: Readonly<Record<string, (value: string) => string>> = {
  'ip-cidr': (value) => ipCidrError(value) ?? `${show(value)} is not a valid address`,
  ip: (value) =>
    `${show(value)} is not an IPv4 or IPv6 address (like 192.168.4.1; no IPv4-mapped IPv6); write it without a prefix length`,
  ipv6: (value) => `${show(value)} is not an IPv6 address (like fd00::1; no IPv4-mapped ::ffff:a.b.c.d)`,
};

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'empty',
};

/** Every ajv error as a {@link SchemaIssue}; the errors ajv raises inside a `oneOf`'s branches are folded into it. */
export function translateSchemaErrors(errors: readonly ErrorObject[]): SchemaIssue[] {
  const oneOfs = errors.filter((error) => error.keyword === 'oneOf');
  const insideOneOf = (error: ErrorObject): boolean =>
    oneOfs.some(
      (oneOf) =>
        oneOf.instancePath === error.instancePath && error.schemaPath.startsWith(`${oneOf.schemaPath}/`),
    );
  // ajv follows a failed `propertyNames` with a summary error of its own; the key's error says it all.
  const issues = errors
    .filter((error) => !insideOneOf(error) && error.keyword !== 'propertyNames')
    .map(translate);
  return issues.filter((issue) => !explainedByTypo(issue, issues));
}

/** "missing `addresses`" says nothing new beside "unknown field `adresses`; did you mean `addresses`?". */
function explainedByTypo(issue: SchemaIssue, issues: readonly SchemaIssue[]): boolean {
  return (
    issue.code === 'missing-field' &&
    issues.some((other) => other.code === 'unknown-field' && other.suggestion === issue.pointer)
  );
}

function translate(error: ErrorObject): SchemaIssue {
  const issue = (TRANSLATORS[error.keyword] ?? fallback)(error);
  return { code: 'schema', ...issue };
}

const fallback: Translate = (error) => ({
  pointer: error.instancePath,
  atKey: false,
  message: error.message ?? `fails the schema's "${error.keyword}" rule`,
});

const TRANSLATORS: Readonly<Record<string, Translate>> = {
  additionalProperties: (error) => {
    const field = String(error.params['additionalProperty']);
    const allowed = Object.keys(propertiesOf(error.parentSchema));
    const suggestion = didYouMean(field, allowed);
    const hint = suggestion ? `did you mean \`${suggestion}\`?` : `allowed fields: ${allowed.join(', ')}`;
    return {
      code: 'unknown-field',
      pointer: `${error.instancePath}/${pointerSegment(field)}`,
      atKey: true,
      message: `unknown field \`${field}\`; ${hint}`,
      ...(suggestion ? { suggestion: `${error.instancePath}/${pointerSegment(suggestion)}` } : {}),
    };
  },
  required: (error) => {
    const field = String(error.params['missingProperty']);
    return {
      code: 'missing-field',
      pointer: `${error.instancePath}/${pointerSegment(field)}`,
      atKey: true,
      message: `missing required field \`${field}\``,
    };
  },
  oneOf: (error) => exactlyOneOf(error) ?? fallback(error),
  enum: (error) => ({
    pointer: error.instancePath,
    atKey: false,
    message: `must be one of ${(error.params['allowedValues'] as unknown[]).map(show).join(', ')}; got ${show(error.data)}`,
  }),
  const: (error) => ({
    pointer: error.instancePath,
    atKey: false,
    message: `must be ${show(error.params['allowedValue'])}; got ${show(error.data)}`,
  }),
  type: (error) => ({
    pointer: error.instancePath,
    atKey: false,
    message: `must be ${[error.params['type']]
      .flat()
      .map((t) => TYPE_NAMES[String(t)] ?? String(t))
      .join(' or ')}; got ${describe(error.data)}`,
  }),
  minimum: range,
  maximum: range,
  minItems: (error) => countMessage(error, 'at least', 'item'),
  maxItems: (error) => countMessage(error, 'at most', 'item'),
  minLength: (error) => ({ pointer: error.instancePath, atKey: false, message: 'must not be empty' }),
  maxLength: (error) => {
    const limit = `must be at most ${String(error.params['limit'])} characters long`;
    if (error.propertyName !== undefined) {
      return {
        pointer: `${error.instancePath}/${pointerSegment(error.propertyName)}`,
        atKey: true,
        message: `key ${limit}; got ${show(error.propertyName)}`,
      };
    }
    return { pointer: error.instancePath, atKey: false, message: `${limit}; got ${show(error.data)}` };
  },
  minProperties: (error) => ({
    pointer: error.instancePath,
    atKey: true,
    message: `must set at least one of ${Object.keys(propertiesOf(error.parentSchema)).map(quote).join(', ')}`,
  }),
  pattern: (error) => {
    const hint =
      PATTERN_HINTS[String(error.params['pattern'])] ??
      `does not match the pattern ${String(error.params['pattern'])}`;
    // Inside `propertyNames` the offending value is a key: point at the key itself.
    if (error.propertyName !== undefined) {
      return {
        pointer: `${error.instancePath}/${pointerSegment(error.propertyName)}`,
        atKey: true,
        message: `key ${show(error.propertyName)} ${hint}`,
      };
    }
    return { pointer: error.instancePath, atKey: false, message: `${show(error.data)} ${hint}` };
  },
  format: (error) => {
    const hint = FORMAT_HINTS[String(error.params['format'])];
    return hint
      ? { pointer: error.instancePath, atKey: false, message: hint(String(error.data)) }
      : fallback(error);
  },
  uniqueItems: (error) => ({
    // ajv scans backwards: `j` is the later of the two equal items, `i` the earlier.
    pointer: `${error.instancePath}/${String(error.params['j'])}`,
    atKey: false,
    message: `repeats item ${String(error.params['i'])}; list each value once`,
  }),
};

/** `oneOf: [{required: [a]}, {required: [b]}]` reads "exactly one of a / b". */
function exactlyOneOf(error: ErrorObject): ReturnType<Translate> | undefined {
  const branches = (Array.isArray(error.schema) ? error.schema : []) as SchemaObject[];
  const names = branches.map((branch) => (Array.isArray(branch['required']) ? branch['required'] : []));
  if (names.length === 0 || names.some((required) => required.length !== 1)) return undefined;
  const fields = names.map((required) => String(required[0]));
  const passing = (error.params['passingSchemas'] as number[] | null) ?? [];
  const found = passing.map((index) => fields[index] ?? '');
  const second = found[1];
  const got = second === undefined ? 'found neither' : `found ${found.map(quote).join(' and ')}`;
  return {
    code: 'exactly-one-of',
    pointer: second === undefined ? error.instancePath : `${error.instancePath}/${pointerSegment(second)}`,
    atKey: true,
    message: `exactly one of ${fields.map(quote).join(' / ')} must be set; ${got}`,
  };
}

function range(error: ErrorObject): ReturnType<Translate> {
  const schema = (error.parentSchema ?? {}) as SchemaObject;
  const { minimum, maximum } = schema;
  const bounds =
    minimum !== undefined && maximum !== undefined
      ? `in the range ${String(minimum)}..${String(maximum)}`
      : `${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(error.params['limit'])}`;
  return { pointer: error.instancePath, atKey: false, message: `must be ${bounds}; got ${show(error.data)}` };
}

function countMessage(error: ErrorObject, bound: string, noun: string): ReturnType<Translate> {
  const limit = Number(error.params['limit']);
  const count = Array.isArray(error.data) ? error.data.length : 0;
  return {
    pointer: error.instancePath,
    atKey: false,
    message: `must have ${bound} ${limit} ${noun}${limit === 1 ? '' : 's'}; got ${count}`,
  };
}

function propertiesOf(schema: unknown): SchemaObject {
  const properties = (schema as SchemaObject | undefined)?.['properties'];
  return (properties ?? {}) as SchemaObject;
}

function quote(name: string): string {
  return `\`${name}\``;
}

/** A value as the operator wrote it: quoted, escaped and capped (it may be huge or hostile). */
export function show(value: unknown): string {
  return typeof value === 'string' ? quoteValue(value) : describe(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${quoteValue(value)}`;
  return String(value);
}
