/**
 * Orders strings by UTF-16 code unit, as `<` does; never by locale. The order of containers,
 * plan actions, targets and hashed files must be the same on every host, or the same manifests
 * would give another plan or spec hash elsewhere.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
