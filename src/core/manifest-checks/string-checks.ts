import { firstControl } from '../printable.js';
import { pointerSegment, problemAt } from '../problem-location.js';
import type { Loaded, NodeEndpoint, VirtualIP } from '../types.js';
import type { Finding } from './finding.js';

/** Where a string may hold a tab or a line break: an exec argument (sh -c scripts). */
const MULTILINE = /^\/spec\/healthCheck\/exec\/\d+$/;

/**
 * No string of a manifest may hold a control, bidi or separator character (a tab or line break
 * only in an exec argument): such a character has no business in a name, address, path or URL,
 * and it is how text forges lines in logs and terminals.
 */
export function controlCharacters(
  loaded: Loaded<VirtualIP | NodeEndpoint>,
  invalidates: 'vip' | 'endpoint',
): Finding[] {
  const findings: Finding[] = [];
  for (const [pointer, text] of strings(loaded.manifest, '')) {
    const allowed = MULTILINE.test(pointer) ? text.replace(/[\t\n]/g, '') : text;
    const found = firstControl(allowed);
    if (!found) continue;
    findings.push({
      problem: problemAt(
        loaded.origin,
        pointer,
        'control-character',
        `holds the control character ${found.escaped}; names, addresses, paths and URLs must be plain text — remove it`,
      ),
      [invalidates]: loaded.manifest.metadata.name,
    });
  }
  return findings;
}

/** Every string value with its pointer (keys are fixed by the schema, or label keys with a pattern). */
function* strings(value: unknown, pointer: string): Generator<[string, string]> {
  if (typeof value === 'string') {
    yield [pointer, value];
  } else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* strings(item, `${pointer}/${index}`);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      yield* strings(item, `${pointer}/${pointerSegment(key)}`);
    }
  }
}
