import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { checkServerIdentity } from 'node:tls';
import Docker from 'dockerode';
import { parseDockerUrl } from '../../core/docker-url.js';
import { EndpointError } from '../../errors.js';
import { sshHttpAgent, type SshSettings } from './ssh-transport.js';

export type { SshSettings } from './ssh-transport.js';

/** TLS client files for a tcp:// endpoint (paths on the reconciler's host). */
export interface TlsFilePaths {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface EndpointAddress {
  /** unix:///path, tcp://host:port or ssh://user@host[:port]. */
  url: string;
  tls?: TlsFilePaths | undefined;
  /**
   * The name the server certificate must carry instead of the URL's host: agents are reached on
   * task addresses that change, so their certificate names the service's fixed name.
   */
  serverName?: string | undefined;
  /** Credentials and known_hosts for an ssh:// endpoint. */
  ssh?: SshSettings | undefined;
}

/** Bound on an ssh handshake when the client itself has no request timeout (event streams). */
const SSH_HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * A dockerode client for exactly the given endpoint.
 *
 * docker-modem merges its defaults from DOCKER_HOST, DOCKER_CERT_PATH and friends *under* the
 * options it is given, so every connection field is set here explicitly (undefined where unused):
 * the environment must never redirect a per-node client to another engine.
 */
export function dockerClientFor(
  node: string,
  endpoint: EndpointAddress,
  timeoutMs: number | undefined,
): Docker {
  return new Docker({ ...modemOptions(node, endpoint, timeoutMs), timeout: timeoutMs });
}

function modemOptions(
  node: string,
  endpoint: EndpointAddress,
  timeoutMs: number | undefined,
): Docker.DockerOptions {
  const none = {
    socketPath: undefined,
    host: undefined,
    port: undefined,
    protocol: undefined,
    username: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
  };
  // The same grammar validation uses: what `validate` accepts, a pass can connect to.
  const parsed = parseDockerUrl(endpoint.url);
  if (!parsed.ok) throw new EndpointError('endpoint-config', node, `invalid Docker URL: ${parsed.reason}`);
  const url = parsed.url;
  switch (url.scheme) {
    case 'unix':
      return { ...none, socketPath: url.socketPath };
    case 'tcp':
      return {
        ...none,
        ...tcpOptions(node, url.host, url.port, endpoint.tls),
        ...serverNameOptions(endpoint.serverName),
      };
    case 'ssh': {
      // Plain HTTP over our own ssh channels (see ssh-transport.ts), not docker-modem's ssh mode.
      const port = url.port ?? 22;
      const settings = endpoint.ssh ?? { knownHostsFile: '' };
      const agent = sshHttpAgent(
        node,
        { host: url.host, port, user: url.user ?? userInfo().username },
        settings,
        timeoutMs ?? SSH_HANDSHAKE_TIMEOUT_MS,
      );
      // docker-modem hands `agent` to http.request (its typings do not list it).
      return { ...none, protocol: 'http', host: url.host, port: String(port), agent } as Docker.DockerOptions;
    }
    default: {
      const unknown: never = url;
      throw new EndpointError('endpoint-config', node, `unsupported Docker URL ${JSON.stringify(unknown)}`);
    }
  }
}

function serverNameOptions(serverName: string | undefined): Docker.DockerOptions {
  if (!serverName) return {};
  return {
    checkServerIdentity: (_host: string, cert: import('node:tls').PeerCertificate) =>
      checkServerIdentity(serverName, cert),
  } as Docker.DockerOptions;
}

function tcpOptions(
  node: string,
  host: string,
  port: number | undefined,
  tls: TlsFilePaths | undefined,
): Docker.DockerOptions {
  if (!tls) return { host, port: String(port ?? 2375), protocol: 'http' };
  try {
    return {
      host,
      port: String(port ?? 2376),
      protocol: 'https',
      ca: readFileSync(tls.caFile),
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
    };
  } catch (cause) {
    throw new EndpointError('endpoint-config', node, `cannot read TLS files for tcp://${host}`, { cause });
  }
}
