/**
 * Manifest files → the manifests a pass may use, every problem, and the VIPs to freeze. Pure:
 * no file system (see load-manifest-dir.ts for that).
 */
import { sortProblems } from '../core/problem-location.js';
import type { ClusterNode, LoadedNodeEndpoint, LoadedVirtualIP, ManifestProblem } from '../core/types.js';
import { validateManifests } from '../core/validate-manifests.js';
import type { ManifestSet } from '../ports.js';
import { checkDocument } from './check-document.js';
import { parseYamlDocuments, type ManifestFile } from './parse-documents.js';

export interface ParseOptions {
  /** Known cluster nodes (e.g. from a swarm); default: those the NodeEndpoint manifests declare. */
  nodes?: readonly ClusterNode[];
}

/** What the documents of all files yielded, before the checks across files. */
interface Collected {
  virtualIPs: LoadedVirtualIP[];
  endpoints: LoadedNodeEndpoint[];
  problems: ManifestProblem[];
  frozenNames: Set<string>;
  unknownNames: boolean;
}

/**
 * Parses and validates manifest files as a whole. A VIP with any problem (its own, or one
 * across files) is left out of `virtualIPs` and its name frozen, so its containers stay as they
 * are; when a file is so broken that the names it declares cannot all be known (any YAML
 * error: a broken quote can swallow the `---` of the documents after it), `unknownNames` is set.
 * A NodeEndpoint with a problem is left out of `endpoints`.
 */
export function parseManifests(files: readonly ManifestFile[], options: ParseOptions = {}): ManifestSet {
  const collected = collect(files);
  const checked = validateManifests(collected, options);
  const frozen = new Set([...collected.frozenNames, ...checked.invalidVirtualIPs]);
  return {
    virtualIPs: collected.virtualIPs.filter((vip) => !frozen.has(vip.manifest.metadata.name)),
    endpoints: collected.endpoints.filter(
      (endpoint) => !checked.invalidEndpoints.has(endpoint.manifest.metadata.name),
    ),
    problems: sortProblems(
      [...collected.problems, ...checked.problems],
      files.map((file) => file.path),
    ),
    frozen: { names: frozen, unknownNames: collected.unknownNames },
    files: files.map((file) => file.path),
  };
}

function collect(files: readonly ManifestFile[]): Collected {
  const collected: Collected = {
    virtualIPs: [],
    endpoints: [],
    problems: [],
    frozenNames: new Set(),
    unknownNames: false,
  };
  for (const file of files) {
    const documents = parseYamlDocuments(file);
    if (documents.some((document) => document.problems.length > 0)) collected.unknownNames = true;
    for (const document of documents) {
      const { verdict, problems } = checkDocument(document);
      collected.problems.push(...problems);
      if (verdict.kind === 'VirtualIP') collected.virtualIPs.push(verdict.loaded);
      else if (verdict.kind === 'NodeEndpoint') collected.endpoints.push(verdict.loaded);
      else if (verdict.freeze === 'unknown') collected.unknownNames = true;
      else if (verdict.freeze !== 'nothing') collected.frozenNames.add(verdict.freeze.name);
    }
  }
  return collected;
}
