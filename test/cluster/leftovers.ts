/** What a cluster can leave behind, found from the outside: namespaces, processes, mounts, cgroups. */
import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { listNamespaces, ownedNamespaces } from './network.js';
import { listProcesses, type ProcessInfo } from './processes.js';
import type { ClusterOptions } from './options.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** Namespace names of a cluster with this prefix: tbhub, tbnode1, tbnode2, ... */
export function clusterNamePattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}(hub|node\\d+)$`);
}

/** Mount points in this mount namespace, with the kernel's octal escapes decoded. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    );
}

export function isUnder(child: string, parent: string): boolean {
  return child === parent || child.startsWith(parent.endsWith('/') ? parent : `${parent}/`);
}

/** Mounts under `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return (await mountPoints())
    .filter((mount) => isUnder(mount, dir))
    .sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/**
 * Cgroup directories named `name` (the cgroup-parent of a node): /sys/fs/cgroup/<name> on a
 * cgroup v2 host, /sys/fs/cgroup/<controller>/<name> on v1 (symlinked controllers skipped).
 */
export async function cgroupDirs(name: string): Promise<string[]> {
  const candidates = [path.join(CGROUP_ROOT, name)];
  for (const entry of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    candidates.push(path.join(CGROUP_ROOT, entry, name));
  }
  const found: string[] = [];
  for (const candidate of candidates) {
    const info = await lstat(candidate).catch(() => undefined);
    if (info?.isDirectory()) found.push(candidate);
  }
  return found;
}

/** A process is the cluster's if it sits in one of its network namespaces or names its state dir. */
export function isClusterProcess(
  info: ProcessInfo,
  stateDir: string,
  netnsInodes: ReadonlySet<number>,
): boolean {
  if (info.zombie || info.pid === process.pid || info.pid === process.ppid) return false;
  if (info.netnsInode !== undefined && netnsInodes.has(info.netnsInode)) return true;
  return info.cmdline.includes(`${stateDir}/`);
}

/**
 * Everything of the cluster described by `options` that still exists, one line each; empty when
 * clean. `netnsInodes` are the namespaces' inodes, read while they existed (cluster.json has them).
 */
export async function findLeftovers(
  options: Pick<ClusterOptions, 'prefix' | 'stateDir'>,
  netnsInodes: Iterable<number> = [],
): Promise<string[]> {
  const found: string[] = [];
  const pattern = clusterNamePattern(options.prefix);
  const names = (await listNamespaces()).filter((name) => pattern.test(name));
  for (const name of names) found.push(`network namespace ${name}`);
  for (const name of await ownedNamespaces(options.stateDir)) found.push(`ownership marker for ${name}`);
  const inodes = new Set(netnsInodes);
  for (const info of await listProcesses()) {
    if (isClusterProcess(info, options.stateDir, inodes))
      found.push(`process ${info.pid} ${info.comm}: ${info.cmdline}`);
  }
  for (const mount of await mountsUnder(options.stateDir)) found.push(`mount ${mount}`);
  for (const mount of await mountPoints()) {
    const name = path.basename(mount);
    if (path.dirname(mount) === '/run/netns' && pattern.test(name) && !names.includes(name)) {
      found.push(`mount ${mount}`);
    }
  }
  const cgroupNames = new Set<string>();
  for (const entry of await readdir(CGROUP_ROOT).catch(() => [] as string[])) {
    if (pattern.test(entry)) cgroupNames.add(entry);
    for (const sub of await readdir(path.join(CGROUP_ROOT, entry)).catch(() => [] as string[])) {
      if (pattern.test(sub)) cgroupNames.add(sub);
    }
  }
  for (const name of cgroupNames) for (const dir of await cgroupDirs(name)) found.push(`cgroup ${dir}`);
  return found;
}
