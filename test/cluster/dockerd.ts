/**
 * One dockerd per node, inside the node's network namespace, launched so that it can never use
 * a system containerd (tmpfs over /run/containerd) nor leak mounts into the root namespace
 * (private mount namespace).
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dockerAt } from './docker-client.js';
import { ClusterError, messageOf } from './errors.js';
import { cleanEnv } from './exec.js';
import { isRunning, processInfo, terminate } from './processes.js';
import { ipv4, nodeAddressPool, nodeDir, socketPath, type ClusterOptions } from './options.js';
import { waitFor } from './wait-for.js';

export const DOCKER_TCP_PORT = 2375;

export interface NodePaths {
  dir: string;
  config: string;
  dataRoot: string;
  execRoot: string;
  pidFile: string;
  /** Pid of the launched process (which execs into dockerd), recorded before dockerd writes its own. */
  launchPidFile: string;
  log: string;
  socket: string;
  keyFile: string;
}

export function nodePaths(options: Pick<ClusterOptions, 'stateDir'>, name: string): NodePaths {
  const dir = nodeDir(options, name);
  return {
    dir,
    config: path.join(dir, 'daemon.json'),
    dataRoot: path.join(dir, 'data'),
    execRoot: path.join(dir, 'exec'),
    pidFile: path.join(dir, 'dockerd.pid'),
    launchPidFile: path.join(dir, 'launch.pid'),
    log: path.join(dir, 'dockerd.log'),
    socket: socketPath(options, name),
    keyFile: path.join(dir, 'key.json'),
  };
}

/** The daemon.json of node `index` (named `name`). */
export function daemonConfig(options: ClusterOptions, index: number, name: string): Record<string, unknown> {
  const paths = nodePaths(options, name);
  return {
    'data-root': paths.dataRoot,
    'exec-root': paths.execRoot,
    pidfile: paths.pidFile,
    hosts: [`unix://${paths.socket}`, `tcp://${ipv4(options, index)}:${DOCKER_TCP_PORT}`],
    'cgroup-parent': name,
    // A cgroup-parent that is not a systemd slice needs the cgroupfs driver; dockerd would pick
    // systemd on a cgroup v2 host where systemd runs.
    'exec-opts': ['native.cgroupdriver=cgroupfs'],
    // Else all engines share /etc/docker/key.json and the swarm sees one engine twice.
    'deprecated-key-path': paths.keyFile,
    // Without it, a tcp host makes dockerd wait ~15 s on its "insecure" warning.
    tls: false,
    // Else docker0, docker_gwbridge and ingress take 172.17/16, 172.18/16 and 10.0.0/24.
    'default-address-pools': [nodeAddressPool(index)],
  };
}

/** Writes the config and starts dockerd detached (it outlives this process). Returns its pid. */
export async function launchDockerd(options: ClusterOptions, index: number, name: string): Promise<number> {
  const paths = nodePaths(options, name);
  return launchDockerdIn({ netns: name, hostname: name, paths, config: daemonConfig(options, index, name) });
}

/**
 * Starts a dockerd with `config` in network namespace `netns` (a node's own engine, or a second
 * one beside it), detached. Returns its pid.
 */
export async function launchDockerdIn({
  netns,
  hostname,
  paths,
  config,
}: {
  netns: string;
  hostname: string;
  paths: Pick<NodePaths, 'dir' | 'config' | 'log' | 'launchPidFile'>;
  config: Record<string, unknown>;
}): Promise<number> {
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.config, `${JSON.stringify(config, null, 2)}\n`);
  const log = await open(paths.log, 'a');
  // Each step execs the next, so the spawned pid ends up being dockerd's own. Not `ip netns exec`:
  // it remounts /sys and dockerd fails with "Devices cgroup isn't mounted".
  const script =
    'mkdir -p /run/containerd && mount -t tmpfs -o size=1m,mode=700 tbrun /run/containerd && ' +
    'hostname "$1" && exec dockerd --config-file "$2"';
  try {
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        'unshare',
        '--uts',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        hostname,
        paths.config,
      ],
      {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        // Swarm tasks otherwise try to pull their image from Docker Hub before using the local one:
        // a DNS query outside the test ranges and a ~30 s wait for nothing.
        env: { ...cleanEnv(), PATH: defaultPath(), DOCKER_SERVICE_PREFER_OFFLINE_IMAGE: '1' },
      },
    );
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new ClusterError('dockerd-failed', `cannot launch dockerd in ${netns}`, { cause: error })),
      );
      child.once('spawn', () => resolve(child.pid ?? -1));
    });
    child.unref();
    await writeFile(paths.launchPidFile, `${pid}\n`);
    return pid;
  } finally {
    await log.close();
  }
}

function defaultPath(): string {
  return process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
}

async function lastLines(file: string, count: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until the engine answers `/_ping`; fails early, with its log, if dockerd exits. */
export async function waitForDockerd(
  options: Pick<ClusterOptions, 'stateDir'>,
  name: string,
  pid: number,
  timeoutMs = 30_000,
): Promise<void> {
  const paths = nodePaths(options, name);
  const docker = dockerAt(paths.socket, { timeoutMs: 2_000 });
  try {
    await waitFor(
      async () => {
        if (!(await isRunning(pid))) throw new ClusterError('dockerd-failed', `dockerd of ${name} exited`);
        await docker.ping();
        return true;
      },
      { timeoutMs, intervalMs: 100, description: `dockerd of ${name} to answer /_ping` },
    );
  } catch (error) {
    const tail = await lastLines(paths.log, 15);
    throw new ClusterError('dockerd-failed', `${messageOf(error)}\n--- ${paths.log} (tail) ---\n${tail}`, {
      cause: error,
    });
  }
}

/**
 * Pids of this node's dockerd as recorded in the state dir, kept only if the process still runs
 * and its command line names this node's directory (a recycled pid is left alone).
 */
export async function recordedDockerdPids(
  options: Pick<ClusterOptions, 'stateDir'>,
  name: string,
): Promise<number[]> {
  const paths = nodePaths(options, name);
  const pids = new Set<number>();
  for (const file of [paths.pidFile, paths.launchPidFile]) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 1) pids.add(pid);
  }
  const ours: number[] = [];
  for (const pid of pids) {
    const info = await processInfo(pid);
    if (info && !info.zombie && (info.cmdline.includes(`${paths.dir}/`) || info.cmdline.includes(name))) {
      ours.push(pid);
    }
  }
  return ours;
}

/**
 * SIGTERM the node's dockerd and wait (in a swarm it waits 4-5 s for the gossip "leave"), then
 * SIGKILL. Returns pids that survived.
 */
export async function stopDockerd(
  options: Pick<ClusterOptions, 'stateDir'>,
  name: string,
  { graceMs = 20_000, killMs = 5_000 } = {},
): Promise<number[]> {
  return terminate(await recordedDockerdPids(options, name), { graceMs, killMs });
}
