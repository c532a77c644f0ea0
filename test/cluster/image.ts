/**
 * The keepalived test image, built without a registry: the host's keepalived and the libraries
 * `ldd` lists, a static busybox with its applet links, minimal /etc. Imported on every node by tag
 * (`docker import` gives each node its own image ID).
 */
import { createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { KEEPALIVED_TEST_IMAGE } from './description.js';
import { ClusterError, messageOf } from './errors.js';
import { run } from './exec.js';

export const HOST_KEEPALIVED = '/usr/sbin/keepalived';
export const HOST_BUSYBOX = '/bin/busybox';

/** busybox applets linked in /bin: enough for the reconciler's start script and for test probes. */
export const BUSYBOX_APPLETS = [
  'sh',
  'rm',
  'cat',
  'ip',
  'awk',
  'sed',
  'grep',
  'nc',
  'wget',
  'sleep',
  'kill',
  'echo',
  'printf',
  'mkdir',
  'ls',
  'test',
  '[',
  'true',
  'false',
  'cp',
  'mv',
  'chmod',
  'ps',
  'env',
  'touch',
  'head',
  'tail',
  'tr',
  'cut',
  'date',
  'ln',
  'id',
  'hostname',
  'pidof',
  'killall',
  'timeout',
  'ping',
  'sysctl',
] as const;

/** Shared libraries (and the loader) that `ldd` lists for `binary`, as absolute paths. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libraries: string[] = [];
  for (const line of stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match?.[1]) libraries.push(match[1]);
  }
  return libraries;
}

/** Copies `source` (following symlinks) to the same absolute path under `root` (or to `target`). */
export async function copyInto(root: string, source: string, target = source): Promise<void> {
  const destination = path.join(root, target);
  await mkdir(path.dirname(destination), { recursive: true });
  await copyFile(source, destination);
  await chmod(destination, 0o755);
}

/** Builds the image's root directory under `workDir` and packs it into a tar file; returns its path. */
export async function buildImageTar(workDir: string): Promise<string> {
  const root = path.join(workDir, 'rootfs');
  const tarFile = path.join(workDir, 'keepalived-test.tar');
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await copyInto(root, HOST_KEEPALIVED);
  for (const library of await sharedLibraries(HOST_KEEPALIVED)) await copyInto(root, library);
  // The host's /bin may be a symlink to usr/bin; in the image it is a real directory.
  await copyInto(root, HOST_BUSYBOX, '/bin/busybox');
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', path.join(root, 'bin', applet));
  for (const dir of ['etc/keepalived', 'run', 'tmp', 'root', 'proc', 'sys', 'dev', 'var']) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  await chmod(path.join(root, 'tmp'), 0o1777);
  await symlink('../run', path.join(root, 'var', 'run'));
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(path.join(root, 'etc', 'group'), 'root:x:0:\n');
  await run('tar', ['-C', root, '-cf', tarFile, '--numeric-owner', '--owner=0', '--group=0', '.'], {
    timeoutMs: 60_000,
  });
  return tarFile;
}

/** Imports the tar as {@link KEEPALIVED_TEST_IMAGE} on one engine and checks the tag is there. */
export async function importImage(docker: Docker, tarFile: string, node: string): Promise<void> {
  const [repo, tag] = KEEPALIVED_TEST_IMAGE.split(':') as [string, string];
  try {
    const progress = await docker.importImage(createReadStream(tarFile), {
      repo,
      tag,
      // An import has no command; this one matches what the tests run, for `docker run` by hand.
      changes: ['CMD ["/usr/sbin/keepalived", "-n", "-l", "-f", "/etc/keepalived/keepalived.conf"]'],
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve()));
    });
    await docker.getImage(KEEPALIVED_TEST_IMAGE).inspect();
  } catch (error) {
    throw new ClusterError(
      'image-failed',
      `cannot import ${KEEPALIVED_TEST_IMAGE} on ${node}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}
