import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerNodeDirectory } from '../adapters/docker/node-directory.js';
import { ManifestDirSource } from '../adapters/manifest-dir-source.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { PassDeps } from '../loop/pass.js';

/** The composition root: real adapters wired from a Config. */
export function composePassDeps(config: Config, log: Logger): PassDeps & { manifests: ManifestDirSource } {
  return {
    manifests: new ManifestDirSource(config.manifestsDir, config.debounceMs),
    directory: new DockerNodeDirectory({
      swarmUrl: config.swarmUrl,
      endpointTemplate: config.endpointTemplate,
      requestTimeoutMs: config.requestTimeoutMs,
      runtime: {
        probeTimeoutMs: Math.min(config.requestTimeoutMs, 5000),
        stopTimeoutSeconds: 10,
        startWaitMs: 5000,
        sleep: (ms) => sleep(ms),
        events: { reconnect: { baseMs: 500, maxMs: 30_000 } },
      },
    }),
    passwords: { env: process.env, readFile: (file) => readFileSync(file, 'utf8') },
    log,
  };
}
