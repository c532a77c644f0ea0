import { DockerNodeDirectory } from '../adapters/docker/node-directory.js';
import { GitManifestSource } from '../adapters/git-manifest-source.js';
import { ManifestDirSource } from '../adapters/manifest-dir-source.js';
import { CrashLoopRecordFile } from '../adapters/crash-loop-record-file.js';
import { RevisionRecordFile } from '../adapters/revision-record-file.js';
import { RevisionTracker } from '../loop/revision-tracker.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PassDeps } from '../loop/pass.js';
import type { ManifestSource } from '../ports.js';

/** A GitOps repository (--git) or a watched directory (--manifests). */
function manifestSource(config: Config, log: Logger): ManifestSource {
  if (!config.git) {
    return new ManifestDirSource(config.manifestsDir, {
      debounceMs: config.debounceMs,
      writeSettleMs: config.writeSettleMs,
    });
  }
  return new GitManifestSource({ ...config.git, timeoutMs: config.requestTimeoutMs * 6, log });
}

/** The composition root: real adapters wired from a Config. */
export function composePassDeps(config: Config, log: Logger): PassDeps & { manifests: ManifestSource } {
  return {
    manifests: manifestSource(config, log),
    adopt: config.adopt,
    directory: new DockerNodeDirectory({
      swarmUrl: config.swarmUrl,
      endpointTemplate: config.endpointTemplate,
      discoveredTls: config.discoveredTls,
      ssh: config.ssh,
      agents: config.agents,
      requestTimeoutMs: config.requestTimeoutMs,
      runtime: {
        probeTimeoutMs: Math.min(config.requestTimeoutMs, 5000),
        stopTimeoutSeconds: 10,
        startWaitMs: 5000,
        events: { reconnect: { baseMs: 500, maxMs: 30_000 } },
      },
    }),
    passwords: { env: process.env, ...config.passwords },
    log,
  };
}

/** The records kept beside a lock file (see {@link revisionRecord} and {@link crashLoopRecord}). */
export function lockSideFiles(lockFile: string): { revisions: string; crashLoops: string } {
  return { revisions: `${lockFile}.revisions.json`, crashLoops: `${lockFile}.crash-loops.json` };
}

/**
 * The revision audit, recorded beside the lock file (one per manifest source and swarm), so that
 * `reconciler status` and the next run know what the acting reconciler applied.
 */
export function revisionRecord(config: Config): RevisionRecordFile {
  return new RevisionRecordFile(lockSideFiles(config.lockFile).revisions);
}

export function composeRevisionTracker(config: Config, log: Logger): Promise<RevisionTracker> {
  return RevisionTracker.open({ log, nowMs: Date.now, record: revisionRecord(config) });
}

/**
 * The daemon's crash loops (sick containers replaced, their reasons and backoff), recorded beside
 * the lock file, so that `reconciler status` can show them.
 */
export function crashLoopRecord(config: Config): CrashLoopRecordFile {
  return new CrashLoopRecordFile(lockSideFiles(config.lockFile).crashLoops);
}
