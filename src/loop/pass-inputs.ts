import { createHash } from 'node:crypto';
import { readVrrpPasswords, type PasswordSources, type VrrpPasswords } from '../adapters/vrrp-passwords.js';
import { desiredState } from '../core/desired-state.js';
import { sortProblems } from '../core/problem-location.js';
import type { ClusterNode, DesiredState, ManifestProblem } from '../core/types.js';
import type { Logger } from '../log.js';
import { parseSnapshot } from '../manifest/parse-manifests.js';
import { validateAgainstNodes } from '../manifest/validate-against-nodes.js';
import type {
  ManifestSet,
  ManifestSnapshot,
  ManifestSource,
  NodeDirectory,
  NodeRuntime,
  ValidatedManifests,
} from '../ports.js';

/** Which inputs a pass worked from. */
export interface Revision {
  /** The manifest source's revision: a commit id, or a directory's content hash. */
  manifests: string;
  /** A hash of the node set the manifests were validated against. */
  nodes: string;
}

/**
 * Everything a pass needs besides the nodes' containers: one manifest revision validated against
 * one node set, and the desired state derived from it. Immutable; made once per revision pair.
 */
export interface DesiredArtifact {
  revision: Revision;
  manifests: ValidatedManifests;
  clusterNodes: readonly ClusterNode[];
  /** Manifest problems plus those of reading VRRP passwords, in file order. */
  problems: readonly ManifestProblem[];
  desired: DesiredState;
}

export interface PassInputs extends DesiredArtifact {
  runtimes: Map<string, NodeRuntime>;
}

export interface PassInputsDeps {
  manifests: Pick<ManifestSource, 'snapshot'>;
  directory: NodeDirectory;
  passwords: PasswordSources;
  log: Logger;
  /** Parsing and the node rules; injected so tests can count them. */
  parse?: (snapshot: ManifestSnapshot) => ManifestSet;
  validate?: (set: ManifestSet, nodes: readonly ClusterNode[], nodesRevision: string) => ValidatedManifests;
}

/**
 * The artifacts passes work from, kept between passes. The manifest source is read only after
 * `manifestsChanged()` (its watch fired) or `resync()`; parsing runs once per manifest revision,
 * validation against the nodes and the desired state once per (manifest revision, node-set
 * revision, VRRP passwords). The swarm's node list is kept by the directory until
 * `nodesChanged()` (node events) or `resync()`. So a pass woken by a Docker event or a probe
 * reads nothing from disk and parses nothing, and a resync that finds nothing changed reads the
 * sources again but validates and renders nothing (it runs every minute of an idle daemon).
 */
export class PassInputsCache {
  private manifestsStale = true;
  private secretsStale = true;
  private parsed: ManifestSet | undefined;
  private artifact: DesiredArtifact | undefined;
  /** Fingerprint of the passwords the artifact was rendered with (never the passwords themselves). */
  private secretsKey: string | undefined;

  constructor(private readonly deps: PassInputsDeps) {}

  /** The manifest source may hold a new revision: read it before the next pass. */
  manifestsChanged(): void {
    this.manifestsStale = true;
  }

  /** The swarm's node set may have changed: list it again before the next pass. */
  nodesChanged(): void {
    this.deps.directory.refresh?.();
  }

  /** The safety net: read everything again (manifests, nodes, VRRP passwords) before the next pass. */
  resync(): void {
    this.manifestsChanged();
    this.nodesChanged();
    this.secretsStale = true;
  }

  /** The inputs of the next pass, reading only what may have changed. */
  async current(): Promise<PassInputs> {
    const parsed = await this.currentManifests();
    const { nodes, runtimes } = await this.deps.directory.nodes(parsed);
    const nodesRevision = nodeSetRevision(nodes);
    const held = this.artifact;
    const sameRevisions =
      held?.revision.manifests === parsed.revision && held.revision.nodes === nodesRevision;
    if (!sameRevisions || !held) return { ...this.compile(parsed, nodes, nodesRevision), runtimes };
    if (!this.secretsStale) return { ...held, runtimes };
    // The resync: passwords are read again (a rotated file or variable has no watch), but the
    // same revisions with the same passwords render the same artifact.
    this.secretsStale = false;
    const secrets = readVrrpPasswords(held.manifests.virtualIPs, this.deps.passwords);
    if (fingerprint(secrets) === this.secretsKey) return { ...held, runtimes };
    return { ...this.compile(parsed, nodes, nodesRevision, secrets), runtimes };
  }

  private async currentManifests(): Promise<ManifestSet> {
    if (!this.manifestsStale && this.parsed) return this.parsed;
    // Cleared before reading: a change that lands while we read marks it stale again.
    this.manifestsStale = false;
    let snapshot: ManifestSnapshot;
    try {
      snapshot = await this.deps.manifests.snapshot();
    } catch (error) {
      this.manifestsStale = true;
      throw error;
    }
    if (snapshot.revision !== this.parsed?.revision) {
      this.parsed = (this.deps.parse ?? parseSnapshot)(snapshot);
      this.deps.log.info(
        { revision: snapshot.revision, files: snapshot.files.length, problems: this.parsed.problems.length },
        'manifests loaded',
      );
    }
    return this.parsed;
  }

  /**
   * Validates and renders. `secretsRead` are the passwords just read for these same manifests
   * (the validated VIPs do not depend on them), so they are not read twice.
   */
  private compile(
    parsed: ManifestSet,
    nodes: ClusterNode[],
    nodesRevision: string,
    secretsRead?: VrrpPasswords,
  ): DesiredArtifact {
    this.secretsStale = false;
    const validate = this.deps.validate ?? validateAgainstNodes;
    const manifests = validate(parsed, nodes, nodesRevision);
    const secrets = secretsRead ?? readVrrpPasswords(manifests.virtualIPs, this.deps.passwords);
    this.secretsKey = fingerprint(secrets);
    const usable = manifests.virtualIPs.filter((vip) => !secrets.frozen.has(vip.manifest.metadata.name));
    const desired = desiredState({
      virtualIPs: usable.map((vip) => vip.manifest),
      nodes,
      passwords: secrets.passwords,
      frozen: { ...manifests.frozen, names: new Set([...manifests.frozen.names, ...secrets.frozen]) },
    });
    this.artifact = {
      revision: { manifests: parsed.revision, nodes: nodesRevision },
      manifests,
      clusterNodes: nodes,
      problems: sortProblems([...manifests.problems, ...secrets.problems], manifests.files),
      desired,
    };
    return this.artifact;
  }
}

/** A hash of what was read: each VIP's password or problem. Compared, never shown. */
function fingerprint(secrets: VrrpPasswords): string {
  const canonical = [
    [...secrets.passwords].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    secrets.problems.map((p) => [p.vip, p.message]),
  ];
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** A short hash of the node set: names, IDs, roles, labels and addresses. */
export function nodeSetRevision(nodes: readonly ClusterNode[]): string {
  const canonical = [...nodes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((node) => [node.name, node.id ?? '', node.role, Object.entries(node.labels).sort(), node.addresses]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 12);
}
