/** Dockerode clients for the test engines, immune to the caller's DOCKER_* environment. */
import Docker from 'dockerode';

/**
 * A client for the engine at `socketPath`. docker-modem merges DOCKER_HOST and DOCKER_CERT_PATH
 * into its defaults and a host from there would win over `socketPath`; every such field is
 * overridden here so only the given socket is ever used.
 */
export function dockerAt(socketPath: string, options: { timeoutMs?: number } = {}): Docker {
  return new Docker({
    socketPath,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    protocol: 'http',
    timeout: options.timeoutMs,
  });
}
