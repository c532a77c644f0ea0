/**
 * A real OpenSSH server inside a node's network namespace, for `ssh://` Docker endpoints: the
 * node answers on `<node ipv4>:<port>`, and the client key may only run `docker system dial-stdio`
 * (the docker CLI's own remote command; `restrict,command=` in authorized_keys), which talks to that
 * node's engine socket. Keys are made
 * by ssh-keygen for this server only. Everything lives under the node's directory in the state
 * dir, and sshd runs in the node's namespace, so `down` kills it and removes its files even after
 * a crash.
 *
 * The session runs as root, but sshd sees a copy of /etc/passwd (bind-mounted in a private mount
 * namespace that only sshd has) in which root's shell is /bin/sh and its home is this directory:
 * sshd runs every command through the user's shell, and a developer's bash start-up files (pyenv,
 * nvm, ...) can take seconds per session and print text into the Docker stream.
 */
import { spawn } from 'node:child_process';
import { access, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterDescription, ClusterNodeDescription } from './description.js';
import { ClusterError } from './errors.js';
import { run } from './exec.js';
import { isRunning, terminate } from './processes.js';
import { waitFor } from './wait-for.js';

const SSHD = '/usr/sbin/sshd';

export interface NodeSshd {
  /** `ssh://root@<node ipv4>:<port>`: reachable only from inside the test namespaces. */
  url: string;
  host: string;
  port: number;
  /** The client's private key (in authorized_keys). */
  identityFile: string;
  /** A known_hosts file listing the server's real host key. */
  knownHostsFile: string;
  /** The server's host public key, `ssh-ed25519 AAAA…`. */
  hostPublicKey: string;
  dir: string;
  pid: number;
  /** A `known_hosts` line for this server with the given public key (`type base64`). */
  knownHostsLine(publicKey: string): string;
  /** SIGTERM sshd (its sessions end with it), bounded; then its directory is removed. */
  stop(): Promise<void>;
}

/** ssh-keygen's public half of a new ed25519 key at `file` (`type base64`, no comment). */
export async function makeSshKey(file: string): Promise<string> {
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file], { timeoutMs: 10_000 });
  return publicKeyOf(`${file}.pub`);
}

async function publicKeyOf(file: string): Promise<string> {
  const [type, base64] = (await readFile(file, 'utf8')).trim().split(/\s+/);
  if (!type || !base64) throw new ClusterError('command-failed', `no public key in ${file}`);
  return `${type} ${base64}`;
}

/** Starts sshd on `<node ipv4>:<port>` in the node's namespace and waits until it listens. */
export async function startSshd(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  port = 2222,
): Promise<NodeSshd> {
  await access(SSHD).catch((cause: unknown) => {
    throw new ClusterError('missing-binary', `${SSHD} is missing: apt-get install openssh-server`, { cause });
  });
  const dir = path.join(cluster.stateDir, node.netns, 'sshd');
  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'home'), { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(dir, name);
  const hostPublicKey = await makeSshKey(file('host_key'));
  // As the README tells operators: the key may run the one command and nothing else (restrict).
  const clientKey = await makeSshKey(file('client_key'));
  await writeFile(file('authorized_keys'), `restrict,command="${file('dial-stdio')}" ${clientKey}\n`, {
    mode: 0o600,
  });
  const knownHostsLine = (publicKey: string) => `[${node.ipv4}]:${port} ${publicKey}`;
  await writeFile(file('known_hosts'), `${knownHostsLine(hostPublicKey)}\n`);
  // As on a real node: `docker` on PATH, pointed at this node's engine. Anything else is refused.
  await writeFile(
    file('dial-stdio'),
    [
      '#!/bin/sh',
      `[ "$SSH_ORIGINAL_COMMAND" = 'docker system dial-stdio' ] || { echo "only docker system dial-stdio" >&2; exit 1; }`,
      `export DOCKER_HOST='unix://${node.socketPath}' PATH=/usr/local/bin:/usr/bin:/bin`,
      'exec docker system dial-stdio',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const passwd = (await readFile('/etc/passwd', 'utf8'))
    .split('\n')
    .map((line) => (line.startsWith('root:') ? `root:x:0:0:root:${file('home')}:/bin/sh` : line))
    .join('\n');
  await writeFile(file('passwd'), passwd);
  await writeFile(
    file('sshd_config'),
    [
      `ListenAddress ${node.ipv4}:${port}`,
      `HostKey ${file('host_key')}`,
      'PidFile none',
      `AuthorizedKeysFile ${file('authorized_keys')}`,
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  // sshd (even `-t`) refuses to run without its privilege separation directory, which only
  // Debian's service creates: a fresh machine whose package install started no service has none.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  await run(SSHD, ['-t', '-f', file('sshd_config')], { timeoutMs: 10_000 });
  const pid = await launch(node, dir);
  const stop = async (): Promise<void> => {
    await terminate([pid], { graceMs: 5_000, killMs: 5_000 });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!(await isRunning(pid))) {
          const log = await readFile(file('sshd.log'), 'utf8').catch(() => '');
          throw new ClusterError(
            'command-failed',
            `sshd of ${node.name} exited: ${log.trim().split('\n').slice(-3).join(' | ')}`,
          );
        }
        return (await readFile(file('sshd.log'), 'utf8')).includes(
          `Server listening on ${node.ipv4} port ${port}`,
        );
      },
      {
        timeoutMs: 15_000,
        intervalMs: 100,
        description: `sshd of ${node.name} to listen (log: ${file('sshd.log')})`,
      },
    );
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return {
    url: `ssh://root@${node.ipv4}:${port}`,
    host: node.ipv4,
    port,
    identityFile: file('client_key'),
    knownHostsFile: file('known_hosts'),
    hostPublicKey,
    dir,
    pid,
    knownHostsLine,
    stop,
  };
}

/** `nsenter` into the node's network, a private mount namespace for the passwd copy, exec sshd. */
function launch(node: ClusterNodeDescription, dir: string): Promise<number> {
  // Each step execs the next, so the pid is sshd's own.
  const script = 'mount --bind "$1/passwd" /etc/passwd && exec "$2" -D -e -f "$1/sshd_config"';
  return launchInNode(
    node,
    ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, SSHD],
    path.join(dir, 'sshd.log'),
  );
}

/**
 * A real ssh-agent holding `keyFile`, its socket at `<dir>/agent.sock`. It runs in the node's
 * network namespace only so that `down` finds and kills it after a crash (a unix socket works
 * across network namespaces).
 */
export async function startSshAgent(
  node: ClusterNodeDescription,
  dir: string,
  keyFile: string,
): Promise<{ socket: string; stop(): Promise<void> }> {
  const socket = path.join(dir, 'agent.sock');
  await rm(socket, { force: true });
  const pid = await launchInNode(node, ['ssh-agent', '-D', '-a', socket], path.join(dir, 'agent.log'));
  const stop = async () => {
    await terminate([pid], { graceMs: 5_000, killMs: 5_000 });
    await rm(socket, { force: true });
  };
  try {
    await waitFor(
      async () =>
        access(socket).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 10_000,
        intervalMs: 50,
        description: 'ssh-agent to create its socket',
      },
    );
    await run('ssh-add', ['-q', keyFile], { timeoutMs: 10_000, env: { SSH_AUTH_SOCK: socket } });
  } catch (error) {
    await stop();
    throw error;
  }
  return { socket, stop };
}

async function launchInNode(node: ClusterNodeDescription, argv: string[], logFile: string): Promise<number> {
  const log = await open(logFile, 'a');
  try {
    const child = spawn('nsenter', [`--net=/run/netns/${node.netns}`, ...argv], {
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (cause) =>
        reject(new ClusterError('command-failed', `cannot launch ${argv[0]} in ${node.netns}`, { cause })),
      );
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}
