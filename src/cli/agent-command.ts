import { readFileSync } from 'node:fs';
import { createAgentProxy } from '../adapters/agent/docker-api-proxy.js';
import type { AgentConfig } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * `reconciler agent`: serves this node's Docker engine to the reconciler over mutual TLS, only
 * the calls the reconciler needs, until SIGTERM. Returns the exit code.
 */
export async function agentCommand(config: AgentConfig, log: Logger): Promise<number> {
  const server = createAgentProxy({
    upstreamSocket: config.dockerSocket,
    tls: readTls(config.tls),
    policy: { swarmRead: config.swarmRead },
    log,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, resolve);
  });
  const bound = server.address();
  log.info(
    {
      listen: `${config.listen.host}:${typeof bound === 'object' && bound ? bound.port : config.listen.port}`,
      docker: config.dockerSocket,
      swarmRead: config.swarmRead,
    },
    'agent: serving',
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log.info('agent: stopped');
  return 0;
}

function readTls(files: AgentConfig['tls']): { ca: Buffer; cert: Buffer; key: Buffer } {
  try {
    return {
      ca: readFileSync(files.caFile),
      cert: readFileSync(files.certFile),
      key: readFileSync(files.keyFile),
    };
  } catch (cause) {
    throw new ConfigError('bad-flag', `cannot read the agent's TLS files: ${(cause as Error).message}`, {
      cause,
    });
  }
}
