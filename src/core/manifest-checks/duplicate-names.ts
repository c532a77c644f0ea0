import { describeLocation, problemAt } from '../problem-location.js';
import type { Loaded, NodeEndpoint, VirtualIP } from '../types.js';
import type { Finding } from './finding.js';

/**
 * Every manifest whose kind and name another manifest also has, each problem pointing at the
 * other definitions: which one the operator meant is theirs to say, so none of them is used.
 */
export function duplicateNames(
  manifests: readonly Loaded<VirtualIP | NodeEndpoint>[],
  invalidates: 'vip' | 'endpoint',
): Finding[] {
  const byName = new Map<string, Loaded<VirtualIP | NodeEndpoint>[]>();
  for (const loaded of manifests) {
    const name = loaded.manifest.metadata.name;
    byName.set(name, [...(byName.get(name) ?? []), loaded]);
  }
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .flatMap((group) =>
      group.map((loaded) => {
        const others = group
          .filter((other) => other !== loaded)
          .map((other) => describeLocation(other.origin, '/metadata/name'));
        const { kind, metadata } = loaded.manifest;
        const message = `${kind} "${metadata.name}" is also defined at ${others.join(', ')}; names must be unique per kind — rename or remove one`;
        return {
          problem: problemAt(loaded.origin, '/metadata/name', 'duplicate-name', message),
          [invalidates]: metadata.name,
        };
      }),
    );
}
