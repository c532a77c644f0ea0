/**
 * Generates the manifest TypeScript types from schemas/ (the single source of truth).
 *   npm run gen:types            write src/core/generated/manifest-types.ts
 *   npm run gen:types -- --check exit 1 when the checked-in file is stale
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const generatedTypesPath = path.join(root, 'src/core/generated/manifest-types.ts');
const schemaFiles = ['virtual-ip.schema.json', 'node-endpoint.schema.json'];

export async function renderManifestTypes(): Promise<string> {
  const parts = ['// Generated from schemas/ by `npm run gen:types`. Do not edit.\n'];
  for (const file of schemaFiles) {
    const schema = withoutExactlyOneOf(
      JSON.parse(await readFile(path.join(root, 'schemas', file), 'utf8')) as JSONSchema,
    );
    const ts = await compile(schema, schema.title ?? file, {
      bannerComment: '',
      additionalProperties: false,
      ignoreMinAndMaxItems: true,
      style: { singleQuote: true, printWidth: 110, trailingComma: 'all' },
    });
    parts.push(ts);
  }
  return parts.join('\n');
}

/**
 * `oneOf: [{required: [a]}, {required: [b]}]` ("exactly one of a, b") is checked by ajv at run
 * time; json-schema-to-typescript cannot express it and would collapse the type to `unknown`,
 * so the generated types keep both properties optional instead.
 */
function withoutExactlyOneOf(schema: JSONSchema): JSONSchema {
  return JSON.parse(
    JSON.stringify(schema, (key, value: unknown) => {
      if (value && typeof value === 'object' && 'oneOf' in value) {
        const { oneOf, ...rest } = value as { oneOf: JSONSchema[] };
        return oneOf.every((s) => Object.keys(s).join() === 'required') ? rest : value;
      }
      return value;
    }),
  ) as JSONSchema;
}

async function main(): Promise<void> {
  const rendered = await renderManifestTypes();
  if (process.argv.includes('--check')) {
    const current = await readFile(generatedTypesPath, 'utf8').catch(() => '');
    if (current !== rendered) {
      console.error(`${generatedTypesPath} is stale: run npm run gen:types`);
      process.exit(1);
    }
    return;
  }
  await mkdir(path.dirname(generatedTypesPath), { recursive: true });
  await writeFile(generatedTypesPath, rendered);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await main();
}
