/** Finding and ending the cluster's processes through /proc, bounded in time. */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProcessInfo {
  pid: number;
  /** Short name from /proc/<pid>/comm. */
  comm: string;
  /** Arguments joined by spaces. */
  cmdline: string;
  /** Inode of its network namespace, when readable. */
  netnsInode?: number;
  /** Exited but not yet reaped: holds nothing any more. */
  zombie: boolean;
}

async function readOr(file: string, fallback: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Process state letter from /proc/<pid>/stat (after the parenthesised comm, which may hold spaces). */
async function stateOf(pid: number): Promise<string | undefined> {
  const text = await readOr(`/proc/${pid}/stat`, '');
  const afterComm = text.slice(text.lastIndexOf(')') + 2);
  return afterComm[0];
}

export async function processInfo(pid: number): Promise<ProcessInfo | undefined> {
  const state = await stateOf(pid);
  if (state === undefined) return undefined;
  const comm = (await readOr(`/proc/${pid}/comm`, '')).trim();
  const cmdline = (await readOr(`/proc/${pid}/cmdline`, '')).split('\0').join(' ').trim();
  let netnsInode: number | undefined;
  try {
    // "net:[4026532281]"
    const match = /\[(\d+)\]/.exec(await readlink(`/proc/${pid}/ns/net`));
    netnsInode = match ? Number(match[1]) : undefined;
  } catch {
    netnsInode = undefined;
  }
  return { pid, comm, cmdline, netnsInode, zombie: state === 'Z' || state === 'X' };
}

/** Every process visible in /proc right now. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry)).map(Number);
  const infos = await Promise.all(pids.map((pid) => processInfo(pid)));
  return infos.filter((info): info is ProcessInfo => info !== undefined);
}

/** Inode of a namespace file such as /run/netns/tbnode1, or undefined if it is not there. */
export async function namespaceInode(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).ino;
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (a zombie counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  const state = await stateOf(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: that is what we wanted.
  }
}

/** Waits until none of `pids` runs or `timeoutMs` passes; returns those still running. */
export async function waitForExit(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = [...pids];
  for (let round = 0; round < Math.ceil(timeoutMs / 50) + 1; round++) {
    const states = await Promise.all(alive.map((pid) => isRunning(pid)));
    alive = alive.filter((_, i) => states[i]);
    if (alive.length === 0 || Date.now() >= deadline) break;
    await sleep(50);
  }
  return alive;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL and wait up to `killMs`. Returns pids that survived both. */
export async function terminate(
  pids: readonly number[],
  { graceMs, killMs }: { graceMs: number; killMs: number },
): Promise<number[]> {
  const targets = pids.filter((pid) => pid > 1 && pid !== process.pid);
  for (const pid of targets) signal(pid, 'SIGTERM');
  const stubborn = await waitForExit(targets, graceMs);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  return waitForExit(stubborn, killMs);
}

/**
 * The keepalived processes of a container, from the host's /proc: `rootPid` (its process 1) and
 * its descendants named keepalived. Bounded: a container's tree, at most 1000 processes.
 */
export async function keepalivedPids(rootPid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [rootPid];
  for (let seen = 0; queue.length > 0 && seen < 1000; seen++) {
    const pid = queue.shift() as number;
    if ((await readOr(`/proc/${pid}/comm`, '')).trim() === 'keepalived') found.push(pid);
    for (const task of await readdir(`/proc/${pid}/task`).catch(() => [])) {
      const children = await readOr(`/proc/${pid}/task/${task}/children`, '');
      queue.push(...children.split(' ').filter(Boolean).map(Number));
    }
  }
  return found;
}
