/**
 * A second, standalone dockerd inside a node's network namespace, configured as a test needs
 * (e.g. `--tlsverify` on the node's address), beside the node's own swarm engine. Containers it
 * runs with `--net=host` share the node's network, so keepalived there does real VRRP with the
 * other nodes. Its state lives under the node's directory, so `down` cleans up after a crash.
 */
import path from 'node:path';
import { rm } from 'node:fs/promises';
import type Docker from 'dockerode';
import type { ClusterDescription, ClusterNodeDescription } from './description.js';
import { dockerAt } from './docker-client.js';
import { launchDockerdIn } from './dockerd.js';
import { ClusterError } from './errors.js';
import { importImage } from './image.js';
import { isRunning, terminate } from './processes.js';
import { waitFor } from './wait-for.js';

export interface SecondEngineTls {
  caFile: string;
  certFile: string;
  keyFile: string;
}

export interface SecondEngineOptions {
  /** Short name of this engine's directory under the node's (`tls`). */
  tag: string;
  /** The engine also listens on tcp://<node ipv4>:<tcpPort>. */
  tcpPort: number;
  /** With TLS files: `--tlsverify`, clients need a certificate from `caFile`. */
  tls?: SecondEngineTls;
}

export interface SecondEngine {
  /** tcp://<node ipv4>:<port>; reachable only from inside the test namespaces. */
  tcpUrl: string;
  /** Its unix socket, for the test's own checks. */
  socketPath: string;
  docker: Docker;
  pid: number;
  /** SIGTERM (its containers stop with it), bounded; then its directory is removed. */
  stop(): Promise<void>;
}

/** Starts the engine, waits for `/_ping` and imports the cluster's keepalived test image. */
export async function startSecondEngine(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  options: SecondEngineOptions,
): Promise<SecondEngine> {
  if (!/^[a-z0-9]{1,8}$/.test(options.tag)) throw new ClusterError('bad-option', `bad tag ${options.tag}`);
  const dir = path.join(cluster.stateDir, node.netns, options.tag);
  const socketPath = path.join(dir, 'docker.sock');
  const tcpUrl = `tcp://${node.ipv4}:${options.tcpPort}`;
  const tls = options.tls
    ? {
        tls: true,
        tlsverify: true,
        tlscacert: options.tls.caFile,
        tlscert: options.tls.certFile,
        tlskey: options.tls.keyFile,
      }
    : { tls: false };
  const pid = await launchDockerdIn({
    netns: node.netns,
    hostname: node.name,
    paths: {
      dir,
      config: path.join(dir, 'daemon.json'),
      log: path.join(dir, 'dockerd.log'),
      launchPidFile: path.join(dir, 'launch.pid'),
    },
    config: {
      'data-root': path.join(dir, 'data'),
      'exec-root': path.join(dir, 'exec'),
      pidfile: path.join(dir, 'dockerd.pid'),
      hosts: [`unix://${socketPath}`, tcpUrl],
      'cgroup-parent': node.netns,
      'exec-opts': ['native.cgroupdriver=cgroupfs'],
      'deprecated-key-path': path.join(dir, 'key.json'),
      // The node's own engine manages the namespace's bridges and iptables rules.
      bridge: 'none',
      iptables: false,
      ...tls,
    },
  });
  const docker = dockerAt(socketPath, { timeoutMs: 10_000 });
  const stop = async (): Promise<void> => {
    const survivors = await terminate([pid], { graceMs: 15_000, killMs: 5_000 });
    if (survivors.length > 0)
      throw new ClusterError('dockerd-failed', `second dockerd of ${node.name} survived SIGKILL`);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (!(await isRunning(pid)))
          throw new ClusterError('dockerd-failed', `second dockerd of ${node.name} exited`);
        return (await docker.ping()) !== undefined;
      },
      {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: `second dockerd of ${node.name} to answer /_ping (log: ${dir}/dockerd.log)`,
      },
    );
    await importImage(docker, path.join(cluster.stateDir, 'image', 'keepalived-test.tar'), node.name);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { tcpUrl, socketPath, docker, pid, stop };
}
