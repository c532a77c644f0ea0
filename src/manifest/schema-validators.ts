/**
 * Compiled validators for the manifest schemas in schemas/, the single source of truth. The
 * schemas are read from the package (src/manifest and dist/manifest both sit two levels below
 * it) once, on first use.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ipCidrError, parseIpAddress } from '../core/ip-address.js';
import type { NodeEndpoint, VirtualIP } from '../core/types.js';

export const API_VERSION = 'swarm-vip/v1';

/** Schema file per manifest kind. */
export const SCHEMA_FILES = {
  VirtualIP: 'virtual-ip.schema.json',
  NodeEndpoint: 'node-endpoint.schema.json',
} as const;

export type ManifestKind = keyof typeof SCHEMA_FILES;
export const MANIFEST_KINDS = Object.keys(SCHEMA_FILES) as ManifestKind[];

export interface KindValidators {
  VirtualIP: ValidateFunction<VirtualIP>;
  NodeEndpoint: ValidateFunction<NodeEndpoint>;
}

let compiled: KindValidators | undefined;

export function schemaValidators(): KindValidators {
  compiled ??= compileValidators();
  return compiled;
}

export function readSchema(kind: ManifestKind): Record<string, unknown> {
  const url = new URL(`../../schemas/${SCHEMA_FILES[kind]}`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, unknown>;
}

/**
 * ajv in strict mode, reporting every error, with the offending value and schema attached
 * (`verbose`) so errors can be explained. `strictRequired` is off because "exactly one of a, b"
 * is written `oneOf: [{required: [a]}, {required: [b]}]`, naming properties defined beside it.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, verbose: true });
  // One address grammar for every field (no IPv4-mapped IPv6, no zone IDs): ip-address.ts.
  ajv.addFormat('ipv6', (text: string) => parseIpAddress(text)?.kind() === 'ipv6');
  ajv.addFormat('ip', (text: string) => parseIpAddress(text) !== undefined);
  ajv.addFormat('ip-cidr', (text: string) => ipCidrError(text) === undefined);
  return ajv;
}

function compileValidators(): KindValidators {
  const ajv = createAjv();
  return {
    VirtualIP: ajv.compile<VirtualIP>(readSchema('VirtualIP')),
    NodeEndpoint: ajv.compile<NodeEndpoint>(readSchema('NodeEndpoint')),
  };
}

export type SchemaError = ErrorObject;
