/**
 * One manifest revision → the manifests a pass may use, every problem found without the nodes,
 * and the VIPs to freeze. Pure: no file system (see load-manifest-dir.ts for that). The rules that
 * need the nodes run afterwards, once per node set (validate-against-nodes.ts).
 */
import { sortProblems } from '../core/problem-location.js';
import type { LoadedNodeEndpoint, LoadedVirtualIP, ManifestProblem } from '../core/types.js';
import { checkManifests } from '../core/validate-manifests.js';
import type { ManifestFile, ManifestSet, ManifestSnapshot } from '../ports.js';
import { checkDocument } from './check-document.js';
import { contentRevision } from './content-revision.js';
import { parseYamlDocuments } from './parse-documents.js';

/** What the documents of all files yielded, before the checks across files. */
interface Collected {
  virtualIPs: LoadedVirtualIP[];
  endpoints: LoadedNodeEndpoint[];
  problems: ManifestProblem[];
  frozenNames: Set<string>;
  unknownNames: boolean;
}

/**
 * Parses and checks a snapshot as a whole. A VIP with any problem (its own, or one across files)
 * is left out of `virtualIPs` and its name frozen, so its containers stay as they are; when a
 * file is so broken that the names it declares cannot all be known (any YAML error: a broken
 * quote can swallow the `---` of the documents after it), or cannot be read, `unknownNames` is
 * set. A NodeEndpoint with a problem is left out of `endpoints`.
 */
export function parseSnapshot(snapshot: ManifestSnapshot): ManifestSet {
  const { files, unreadable } = snapshot;
  const collected = collect(files);
  const checked = checkManifests(collected);
  const frozen = new Set([...collected.frozenNames, ...checked.invalidVirtualIPs]);
  return {
    revision: snapshot.revision,
    documents: { virtualIPs: collected.virtualIPs, endpoints: collected.endpoints },
    virtualIPs: collected.virtualIPs.filter((vip) => !frozen.has(vip.manifest.metadata.name)),
    endpoints: collected.endpoints.filter(
      (endpoint) => !checked.invalidEndpoints.has(endpoint.manifest.metadata.name),
    ),
    problems: sortProblems(
      [...collected.problems, ...checked.problems, ...unreadable],
      files.map((file) => file.path),
    ),
    frozen: { names: frozen, unknownNames: collected.unknownNames || unreadable.length > 0 },
    files: files.map((file) => file.path),
  };
}

/** {@link parseSnapshot} of files held in memory, their revision their content hash. */
export function parseManifests(files: readonly ManifestFile[]): ManifestSet {
  return parseSnapshot({ revision: contentRevision(files), files, unreadable: [] });
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
