/** Checks, before anything is created, that this machine can run the cluster at all. */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { ClusterError } from './errors.js';
import { run } from './exec.js';
import { HOST_BUSYBOX, HOST_KEEPALIVED } from './image.js';

export const INSTALL_HINT = 'apt-get install -y docker.io keepalived iproute2 iptables busybox-static';

/** Commands `up` runs, and the Debian package of each. */
const REQUIRED_COMMANDS: Record<string, string> = {
  dockerd: 'docker.io',
  containerd: 'docker.io (containerd)',
  runc: 'docker.io (runc)',
  iptables: 'iptables',
  ip: 'iproute2',
  nsenter: 'util-linux',
  unshare: 'util-linux',
  mount: 'mount',
  umount: 'mount',
  tar: 'tar',
  ldd: 'libc-bin',
};

// root's PATH without a login shell may lack the sbin directories where dockerd and ip live.
const EXTRA_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of `command` on PATH (plus the sbin directories), or undefined. */
export async function findCommand(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = path.join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isStatic(binary: string): Promise<boolean> {
  // ldd exits 1 with "not a dynamic executable" for a static binary.
  const { stdout, stderr, code } = await run('ldd', [binary], { allowFailure: true });
  return code !== 0 || /not a dynamic executable|statically linked/.test(stdout + stderr);
}

/** Throws {@link ClusterError} `not-root` or `missing-binary`, saying what to run. */
export async function preflight(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new ClusterError(
      'not-root',
      'the test cluster needs root (network namespaces, mounts, dockerd): run it as root, e.g. `sudo npm run cluster:up`',
    );
  }
  const missing: string[] = [];
  for (const [command, pkg] of Object.entries(REQUIRED_COMMANDS)) {
    if (!(await findCommand(command))) missing.push(`${command} (${pkg})`);
  }
  if (!(await isExecutable(HOST_KEEPALIVED))) missing.push(`${HOST_KEEPALIVED} (keepalived)`);
  if (!(await isExecutable(HOST_BUSYBOX))) missing.push(`${HOST_BUSYBOX} (busybox-static)`);
  else if (missing.every((entry) => !entry.startsWith('ldd')) && !(await isStatic(HOST_BUSYBOX))) {
    missing.push(`a static ${HOST_BUSYBOX} (busybox-static replaces the dynamic busybox)`);
  }
  if (missing.length > 0) {
    throw new ClusterError(
      'missing-binary',
      `missing: ${missing.join(', ')}; install with: apt-get update && ${INSTALL_HINT}`,
    );
  }
}
