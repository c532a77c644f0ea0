/**
 * Docker over ssh, as the docker CLI does it: an ssh session per connection runs
 * `docker system dial-stdio` on the node, and the engine's HTTP API flows over that channel.
 *
 * docker-modem has an ssh mode, but it takes its ssh options partly from DOCKER_HOST and
 * SSH_AUTH_SOCK (which the reconciler must ignore), verifies no host key, and reports every failure
 * as ssh2's bare message. This http.Agent is handed to docker-modem instead (protocol http), so the
 * request code stays the library's and only the connection is ours: host keys checked against
 * known_hosts, credentials only from the endpoint's settings, errors that say what to fix.
 */
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:http';
import type { Duplex } from 'node:stream';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import {
  parseKnownHosts,
  verifyHostKey,
  wireKeyType,
  type HostKeyVerdict,
  type KnownHostEntry,
} from '../../core/known-hosts.js';
import { EndpointError, describeError } from '../../errors.js';
import { readBoundedFile } from '../bounded-file.js';

/** Where the credentials and the known host keys of `ssh://` endpoints live (reconciler's host). */
export interface SshSettings {
  /** Private key (OpenSSH or PEM, unencrypted). */
  identityFile?: string | undefined;
  /** ssh-agent socket: its keys are offered after the identity file. */
  agentSocket?: string | undefined;
  /** known_hosts in OpenSSH format; a host missing there, or with another key, is refused. */
  knownHostsFile: string;
}

export interface SshTarget {
  host: string;
  port: number;
  user: string;
}

/** The command the node runs for each connection (the docker CLI's own). */
export const DIAL_STDIO_COMMAND = 'docker system dial-stdio';
const IDENTITY_MAX_BYTES = 64 * 1024;
const KNOWN_HOSTS_MAX_BYTES = 4 * 1024 * 1024;

/** `SHA256:…` as ssh-keygen -l prints it. */
export function keyFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** At most this many channels at once on one ssh connection (OpenSSH's MaxSessions is 10). */
const MAX_CHANNELS = 8;
/** An ssh connection without channels is closed after this long. */
const IDLE_CLOSE_MS = 30_000;
/** ssh keepalives find a dead connection instead of waiting for TCP. */
const KEEPALIVE_INTERVAL_MS = 5000;

/**
 * An http.Agent whose connections are channels on one shared ssh connection to `target` (a
 * handshake costs far more than a request, so it is made once and kept while in use). The identity
 * file is read now (an unreadable one makes this node's endpoint unusable, reported every pass);
 * known_hosts is read on every handshake, so a corrected file takes effect without a restart.
 */
export function sshHttpAgent(
  node: string,
  target: SshTarget,
  settings: SshSettings,
  connectTimeoutMs: number,
): Agent {
  const where = `ssh://${target.user}@${target.host}:${target.port}`;
  if (!settings.identityFile && !settings.agentSocket) {
    throw new EndpointError(
      'endpoint-config',
      node,
      `${where}: no ssh credentials: give spec.ssh.identityFile or spec.ssh.agentSocket in its NodeEndpoint, or --ssh-identity / --ssh-agent`,
    );
  }
  if (!settings.knownHostsFile) {
    throw new EndpointError(
      'endpoint-config',
      node,
      `${where}: no known_hosts file to verify the host key with`,
    );
  }
  const privateKey = settings.identityFile ? readIdentity(node, where, settings.identityFile) : undefined;
  const connection = new SshConnection(node, where, target, { ...settings, privateKey }, connectTimeoutMs);
  // http queues requests beyond maxSockets: channels stay under the server's session limit.
  const agent = new Agent({ keepAlive: false, maxSockets: MAX_CHANNELS } satisfies AgentOptions);
  // http.Agent calls createConnection(options, callback) and waits for the callback when nothing
  // is returned; that is how a socket that needs a handshake first is handed over.
  (agent as unknown as { createConnection: unknown }).createConnection = (
    _options: unknown,
    callback: (error: Error | null, socket?: Duplex) => void,
  ) => {
    connection.channel().then(
      (channel) => callback(null, asSocket(channel)),
      (error: Error) => callback(error),
    );
  };
  return agent;
}

function readIdentity(node: string, where: string, file: string): Buffer {
  try {
    return readBoundedFile(file, IDENTITY_MAX_BYTES);
  } catch (cause) {
    // The cause names the file and the reason (missing, too large, not a file), never its content.
    throw new EndpointError(
      'endpoint-config',
      node,
      `${where}: cannot read the ssh identity file: ${describeError(cause)}`,
      { cause },
    );
  }
}

type Credentials = SshSettings & { privateKey: Buffer | undefined };

/** One ssh connection, dialled on demand, shared by the channels, redialled after it ends. */
class SshConnection {
  private client: Promise<Client> | undefined;
  private open = 0;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly node: string,
    private readonly where: string,
    private readonly target: SshTarget,
    private readonly credentials: Credentials,
    private readonly connectTimeoutMs: number,
  ) {}

  async channel(): Promise<ClientChannel> {
    clearTimeout(this.idleTimer);
    if (!this.client) {
      const dialled: Promise<Client> = this.dial(() => {
        if (this.client === dialled) this.client = undefined;
      });
      this.client = dialled;
    }
    const pending = this.client;
    const client = await pending;
    const channel = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(DIAL_STDIO_COMMAND, (error, opened) => {
        if (!error) return resolve(opened);
        // A connection that cannot open a channel is not reused.
        this.forget(pending, client);
        reject(
          this.error(`the node refused to run \`${DIAL_STDIO_COMMAND}\`: ${describeError(error)}`, error),
        );
      });
    });
    this.open += 1;
    channel.once('close', () => {
      this.open -= 1;
      if (this.open === 0) this.closeWhenIdle(pending, client);
    });
    return channel;
  }

  private closeWhenIdle(pending: Promise<Client>, client: Client): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.forget(pending, client), IDLE_CLOSE_MS);
    this.idleTimer.unref();
  }

  private forget(pending: Promise<Client>, client: Client): void {
    if (this.client === pending) this.client = undefined;
    client.end();
  }

  private error(message: string, cause?: unknown): EndpointError {
    return new EndpointError('endpoint-unreachable', this.node, `${this.where}: ${message}`, { cause });
  }

  /** Connects and authenticates; `gone` is called once the connection is of no further use. */
  private dial(gone: () => void): Promise<Client> {
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let verdict: HostKeyVerdict | undefined;
      let presented: Buffer | undefined;
      const fail = (message: string, cause?: unknown) => {
        gone();
        client.end();
        reject(this.error(message, cause));
      };
      let knownHosts: KnownHostEntry[];
      try {
        const text = readBoundedFile(this.credentials.knownHostsFile, KNOWN_HOSTS_MAX_BYTES).toString('utf8');
        knownHosts = parseKnownHosts(text);
      } catch (cause) {
        fail(`cannot read known_hosts (host keys must be verified): ${describeError(cause)}`, cause);
        return;
      }
      client.on('ready', () => resolve(client));
      client.on('error', (error) => {
        if (verdict && verdict.kind !== 'match' && presented) {
          return fail(
            hostKeyProblem(verdict, presented, this.credentials.knownHostsFile, this.target),
            error,
          );
        }
        fail(`ssh failed: ${describeError(error)}`, error);
      });
      // After `ready` a close only drops the connection: the next channel dials again.
      client.on('close', () => fail('ssh connection closed'));
      const config: ConnectConfig = {
        host: this.target.host,
        port: this.target.port,
        username: this.target.user,
        privateKey: this.credentials.privateKey,
        agent: this.credentials.agentSocket,
        readyTimeout: this.connectTimeoutMs,
        keepaliveInterval: KEEPALIVE_INTERVAL_MS,
        hostVerifier: (key: Buffer) => {
          presented = key;
          verdict = verifyHostKey(knownHosts, this.target.host, this.target.port, key);
          return verdict.kind === 'match';
        },
      };
      try {
        client.connect(config);
      } catch (cause) {
        // e.g. an identity file that is not a private key (ssh2 checks it here; no key in the message).
        fail(`cannot use the ssh credentials: ${describeError(cause)}`, cause);
      }
    });
  }
}

function hostKeyProblem(verdict: HostKeyVerdict, key: Buffer, file: string, target: SshTarget): string {
  const offered = `${wireKeyType(key) ?? 'unknown type'} ${keyFingerprint(key)}`;
  const scan = `ssh-keyscan -p ${target.port} ${target.host}`;
  switch (verdict.kind) {
    case 'mismatch':
      return (
        `HOST KEY MISMATCH: the server offered ${offered}, but ${file} (line ${verdict.lines.join(', ')}) ` +
        `lists another ${verdict.knownTypes.join('/')} key for this host; refusing to connect ` +
        `(a changed key may mean an attack: check the node, then fix that line)`
      );
    case 'revoked':
      return `host key ${offered} is marked @revoked in ${file} (line ${verdict.line}); refusing to connect`;
    case 'unknown':
      return (
        `host key ${offered} is unknown: ${file} has no entry for this host; ` +
        `add one after checking the fingerprint (e.g. ${scan} >> ${file})`
      );
    case 'match':
      return 'host key accepted';
    default: {
      const never: never = verdict;
      return String(never);
    }
  }
}

/**
 * An ssh channel standing in for a net.Socket under http: ClientRequest calls setTimeout (and
 * sometimes setNoDelay/setKeepAlive/ref/unref) on its socket, which a channel lacks. The timeout
 * fires after `ms` without data either way, as a socket's would.
 */
function asSocket(channel: ClientChannel): Duplex {
  const socket = channel as ClientChannel & Record<string, unknown>;
  let timer: NodeJS.Timeout | undefined;
  let idleMs = 0;
  const arm = () => {
    clearTimeout(timer);
    if (idleMs > 0) timer = setTimeout(() => channel.emit('timeout'), idleMs);
  };
  channel.on('data', arm);
  channel.on('close', () => clearTimeout(timer));
  socket.setTimeout = (ms: number, onTimeout?: () => void) => {
    idleMs = ms;
    if (onTimeout) channel.once('timeout', onTimeout);
    arm();
    return channel;
  };
  socket.setNoDelay = () => channel;
  socket.setKeepAlive = () => channel;
  socket.ref = () => channel;
  socket.unref = () => channel;
  return channel;
}
