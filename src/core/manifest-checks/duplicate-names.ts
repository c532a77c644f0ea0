import { listCapped, RELATED_MAX } from '../printable.js';
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
    const group = byName.get(name);
    if (group) group.push(loaded);
    else byName.set(name, [loaded]);
  }
  return [...byName.values()]
    .filter((group) => group.length > 1)
    .flatMap((group) =>
      group.map((loaded, index) => {
        // At most RELATED_MAX others, picked without scanning the group: 10,000 copies of one
        // name must not cost 10,000² steps nor print 10,000 locations per problem.
        const others = group
          .slice(0, RELATED_MAX + 1)
          .filter((other, at) => at !== index && other !== loaded)
          .slice(0, RELATED_MAX)
          .map((other) => describeLocation(other.origin, '/metadata/name'));
        const { kind, metadata } = loaded.manifest;
        const message = `${kind} "${metadata.name}" is also defined at ${listCapped(others, RELATED_MAX, group.length - 1)}; names must be unique per kind — rename or remove one`;
        return {
          problem: problemAt(loaded.origin, '/metadata/name', 'duplicate-name', message),
          [invalidates]: metadata.name,
        };
      }),
    );
}
