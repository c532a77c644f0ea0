import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generatedTypesPath, renderManifestTypes } from '../scripts/gen-types.js';
import * as grammar from '../src/core/grammar.js';
import { PATTERN_HINTS } from '../src/manifest/schema-errors.js';
import { MANIFEST_KINDS, readSchema } from '../src/manifest/schema-validators.js';

type Schema = Record<string, unknown>;

/** Every subschema of a schema, with its JSON pointer. */
function* subschemas(schema: unknown, pointer = ''): Generator<[string, Schema]> {
  if (typeof schema !== 'object' || schema === null) return;
  if (Array.isArray(schema)) {
    for (const [index, item] of schema.entries()) yield* subschemas(item, `${pointer}/${index}`);
    return;
  }
  yield [pointer, schema as Schema];
  for (const [key, value] of Object.entries(schema)) yield* subschemas(value, `${pointer}/${key}`);
}

function resolve(root: Schema, schema: Schema): Schema {
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return schema;
  return ref
    .slice(2)
    .split('/')
    .reduce<Schema>((node, key) => node[key] as Schema, root);
}

describe('schemas', () => {
  it('match the checked-in generated types (npm run gen:types)', async () => {
    expect(await readFile(generatedTypesPath, 'utf8')).toBe(await renderManifestTypes());
  });

  describe.each(MANIFEST_KINDS)('%s', (kind) => {
    const schema = readSchema(kind);
    const all = [...subschemas(schema)];

    it('describes every property', () => {
      const undescribed = all.flatMap(([pointer, node]) =>
        Object.entries((node['properties'] ?? {}) as Record<string, Schema>)
          .filter(([, property]) => typeof resolve(schema, property)['description'] !== 'string')
          .map(([name]) => `${pointer}/properties/${name}`),
      );
      expect(undescribed).toEqual([]);
    });

    it("uses the renderers' grammars (src/core/grammar.ts) for the fields they render", () => {
      const patterns = new Set(
        all.flatMap(([, node]) => (typeof node['pattern'] === 'string' ? [node['pattern']] : [])),
      );
      const fromCore = Object.entries(grammar).filter(([name]) => name.endsWith('_PATTERN'));
      const used = fromCore.filter(([, pattern]) => patterns.has(pattern as string)).map(([name]) => name);
      const expected =
        kind === 'VirtualIP'
          ? [
              'ABSOLUTE_PATH_PATTERN',
              'HOST_PATTERN',
              'HTTP_URL_PATTERN',
              'IMAGE_PATTERN',
              'INTERFACE_PATTERN',
              'LABEL_KEY_PATTERN',
              'NODE_NAME_PATTERN',
            ]
          : ['LABEL_KEY_PATTERN', 'NODE_NAME_PATTERN'];
      expect(used.sort()).toEqual(expected);
    });

    it('has an operator-facing hint for every pattern', () => {
      const patterns = all.flatMap(([, node]) =>
        typeof node['pattern'] === 'string' ? [node['pattern']] : [],
      );
      expect(patterns.filter((pattern) => PATTERN_HINTS[pattern] === undefined)).toEqual([]);
    });
  });
});
