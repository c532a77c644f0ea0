/**
 * Tears a test cluster down from whatever state it is in (healthy, half-up, after a crash), and
 * touches only what its state dir says it created.
 */
import { readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDescription } from './description.js';
import { stopDockerd } from './dockerd.js';
import { messageOf } from './errors.js';
import { run } from './exec.js';
import { cgroupDirs, clusterNamePattern, isClusterProcess, mountsUnder } from './leftovers.js';
import { deleteNamespace, listNamespaces, ownedNamespaces } from './network.js';
import { descriptionPath, hubName, type ClusterOptions } from './options.js';
import { listProcesses, namespaceInode, terminate } from './processes.js';

export interface DownReport {
  /** Namespaces deleted. */
  namespaces: string[];
  /** What could not be removed; empty on a clean tear-down. */
  problems: string[];
  durationMs: number;
}

export type Log = (message: string) => void;

/** Node names this state dir knows: from ownership markers and from node directories holding a daemon config. */
async function knownNodes(
  options: Pick<ClusterOptions, 'stateDir' | 'prefix'>,
  owned: string[],
): Promise<string[]> {
  const names = new Set(owned.filter((name) => name !== hubName(options)));
  for (const entry of await readdir(options.stateDir).catch(() => [] as string[])) {
    const hasConfig = await stat(path.join(options.stateDir, entry, 'daemon.json')).catch(() => undefined);
    if (hasConfig) names.add(entry);
  }
  return [...names].sort();
}

/** Namespace inodes from the live namespaces and from cluster.json (the namespaces may be gone already). */
async function knownInodes(options: Pick<ClusterOptions, 'stateDir'>, owned: string[]): Promise<Set<number>> {
  const inodes = new Set<number>();
  for (const name of owned) {
    const inode = await namespaceInode(`/run/netns/${name}`);
    if (inode !== undefined) inodes.add(inode);
  }
  try {
    const description = parseDescription(await readFile(descriptionPath(options), 'utf8'));
    inodes.add(description.hub.netnsInode);
    for (const node of description.nodes) inodes.add(node.netnsInode);
  } catch {
    // No usable cluster.json (half-finished up): the live namespaces are all we can know.
  }
  return inodes;
}

/** Processes of the cluster: in its namespaces (`ip netns pids` and by inode), its cgroups, or naming its state dir. */
async function clusterPids(
  stateDir: string,
  owned: string[],
  inodes: Set<number>,
  cgroups: string[],
): Promise<number[]> {
  const pids = new Set<number>();
  const live = await listNamespaces();
  for (const name of owned.filter((candidate) => live.includes(candidate))) {
    const { stdout } = await run('ip', ['netns', 'pids', name], { allowFailure: true });
    for (const pid of stdout.split(/\s+/).filter(Boolean)) pids.add(Number(pid));
  }
  for (const dir of cgroups) {
    const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split(/\s+/).filter(Boolean)) pids.add(Number(pid));
  }
  for (const info of await listProcesses()) if (isClusterProcess(info, stateDir, inodes)) pids.add(info.pid);
  pids.delete(process.pid);
  pids.delete(process.ppid);
  return [...pids];
}

async function unmountAll(dir: string, problems: string[]): Promise<void> {
  // Deepest first: nsfs mounts under exec-root/netns and overlays under data-root.
  for (const mount of await mountsUnder(dir)) {
    const { code } = await run('umount', [mount], { allowFailure: true, timeoutMs: 10_000 });
    if (code === 0) continue;
    const lazy = await run('umount', ['-l', mount], { allowFailure: true, timeoutMs: 10_000 });
    if (lazy.code !== 0) problems.push(`cannot unmount ${mount}: ${lazy.stderr.trim()}`);
  }
}

async function subdirectories(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const dirs: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const child = path.join(dir, entry.name);
    dirs.push(...(await subdirectories(child)), child);
  }
  return dirs;
}

/** rmdir a cgroup tree deepest first; dockerd never removes its cgroup-parent. Retries briefly on EBUSY. */
async function removeCgroupTree(dir: string, problems: string[]): Promise<void> {
  for (const target of [...(await subdirectories(dir)), dir]) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 30; attempt++) {
      try {
        await rmdir(target);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        await sleep(100);
      }
    }
    if (lastError && (lastError as NodeJS.ErrnoException).code !== 'ENOENT') {
      problems.push(`cannot remove cgroup ${target}: ${messageOf(lastError)}`);
    }
  }
}

/**
 * Removes the cluster: dockerds first (SIGTERM, bounded), then every process left in its
 * namespaces, mounts under the state dir, cgroup-parent directories, namespaces, and finally the
 * node directories and cluster.json. Safe to run any number of times.
 */
export async function down(options: ClusterOptions, log: Log = () => undefined): Promise<DownReport> {
  const started = Date.now();
  const problems: string[] = [];
  const owned = await ownedNamespaces(options.stateDir);
  const nodes = await knownNodes(options, owned);
  const inodes = await knownInodes(options, owned);
  const pattern = clusterNamePattern(options.prefix);
  const foreign = (await listNamespaces()).filter((name) => pattern.test(name) && !owned.includes(name));
  if (foreign.length > 0)
    log(`not touching namespaces not created from ${options.stateDir}: ${foreign.join(', ')}`);

  const survivors = (await Promise.all(nodes.map((name) => stopDockerd(options, name)))).flat();
  if (survivors.length > 0) problems.push(`dockerd still running after SIGKILL: ${survivors.join(', ')}`);
  log(`dockerds stopped (${Date.now() - started} ms)`);

  const cgroups = (await Promise.all(nodes.map((name) => cgroupDirs(name)))).flat();
  const leftover = await clusterPids(options.stateDir, owned, inodes, cgroups);
  // Shims and keepalived survive their dockerd.
  const stubborn = await terminate(leftover, { graceMs: 3_000, killMs: 3_000 });
  for (const pid of stubborn) problems.push(`process ${pid} survived SIGKILL`);

  await unmountAll(options.stateDir, problems);
  for (const dir of cgroups) await removeCgroupTree(dir, problems);
  for (const name of owned) {
    try {
      await deleteNamespace(options.stateDir, name);
    } catch (error) {
      problems.push(`cannot delete namespace ${name}: ${messageOf(error)}`);
    }
  }
  // Deleting data roots while something is still mounted below them could reach into the mount.
  if ((await mountsUnder(options.stateDir)).length === 0) {
    for (const name of nodes) await rm(path.join(options.stateDir, name), { recursive: true, force: true });
    await rm(path.join(options.stateDir, 'image'), { recursive: true, force: true });
    await rm(descriptionPath(options), { force: true });
  } else {
    problems.push(`mounts remain under ${options.stateDir}; node directories kept`);
  }
  const durationMs = Date.now() - started;
  log(
    `down: ${owned.length} namespaces removed in ${durationMs} ms${problems.length ? `, problems: ${problems.join('; ')}` : ''}`,
  );
  return { namespaces: owned, problems, durationMs };
}
