/**
 * The reconciler's own image (the repository's Dockerfile), built on a test node without a
 * registry: the base is this machine's Node runtime, `docker import`ed like the keepalived test
 * image, and the dependencies travel in the build context (`NPM_OFFLINE=true`), so the Dockerfile
 * itself is what gets built and run.
 */
import { spawn } from 'node:child_process';
import {
  access,
  chmod,
  cp,
  mkdir,
  readFile,
  readdir,
  readlink,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import type { ClusterDescription, ClusterNodeDescription } from './description.js';
import { dockerAt } from './docker-client.js';
import { ClusterError, messageOf } from './errors.js';
import { cleanEnv, run } from './exec.js';
import { BUSYBOX_APPLETS, HOST_BUSYBOX, copyInto, sharedLibraries } from './image.js';

/** The base image made from this machine's Node runtime: node, npm, busybox sh; like node:20-alpine. */
export const NODE_BASE_IMAGE = 'swarm-vip/node-base:test';
/** The reconciler image built from the Dockerfile on top of {@link NODE_BASE_IMAGE}. */
export const RECONCILER_TEST_IMAGE = 'swarm-vip/reconciler:test';

const HOST_FLOCK = '/usr/bin/flock';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What the Dockerfile's build needs from the repository, besides node_modules. */
export const BUILD_CONTEXT = [
  'Dockerfile',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'src',
  'schemas',
] as const;

interface LockPackage {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Where Node would find `name` for the package installed at `from` (a package-lock path). */
function resolveInLock(
  packages: Record<string, LockPackage>,
  from: string,
  name: string,
): string | undefined {
  for (let dir = from; ;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut < 0 ? '' : dir.slice(0, cut);
  }
}

/**
 * The installed packages (package-lock paths) that the image build uses: the production
 * dependencies and what `tsc` needs (typescript, the @types packages), each with its own
 * dependencies. Sending only these keeps the offline build context small; the Dockerfile's
 * `npm prune --omit=dev` then removes the build-only ones as usual.
 */
export function packagesForBuild(lock: { packages: Record<string, LockPackage> }): string[] {
  const packages = lock.packages;
  const root = packages[''] ?? {};
  const buildOnly = Object.keys(root.devDependencies ?? {}).filter(
    (name) => name === 'typescript' || name.startsWith('@types/'),
  );
  const seen = new Set<string>();
  const queue = [...Object.keys(root.dependencies ?? {}), ...buildOnly]
    .map((name) => resolveInLock(packages, '', name))
    .filter((found): found is string => found !== undefined);
  while (queue.length > 0) {
    const at = queue.pop() as string;
    if (seen.has(at)) continue;
    seen.add(at);
    const entry = packages[at] ?? {};
    for (const name of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
      const found = resolveInLock(packages, at, name);
      if (found !== undefined) queue.push(found);
    }
  }
  // A package's directory holds its nested node_modules: name each directory once.
  const sorted = [...seen].sort();
  return sorted.filter((at) => !sorted.some((other) => at.startsWith(`${other}/`)));
}

/** The npm package directory of the npm on PATH (its bin script is a symlink into it). */
async function hostNpmDir(): Promise<string> {
  const { stdout } = await run('sh', ['-c', 'command -v npm']);
  const script = await realpath(stdout.trim());
  // .../node_modules/npm/bin/npm-cli.js
  return path.dirname(path.dirname(script));
}

/**
 * Builds the base image's root under `workDir` and packs it; returns the tar's path. Layout as in
 * the official node images: /usr/local/bin/node, npm under /usr/local/lib/node_modules.
 */
export async function buildNodeBaseTar(workDir: string): Promise<string> {
  const root = path.join(workDir, 'rootfs');
  const tarFile = path.join(workDir, 'node-base.tar');
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await copyInto(root, process.execPath, '/usr/local/bin/node');
  for (const library of await sharedLibraries(process.execPath)) await copyInto(root, library);
  await cp(await hostNpmDir(), path.join(root, 'usr/local/lib/node_modules/npm'), { recursive: true });
  await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'usr/local/bin/npm'));
  await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'usr/local/bin/npx'));
  // The reconciler's host lock runs `flock`: busybox has it in node:*-alpine, Debian's static
  // busybox does not, so the base takes util-linux's.
  await copyInto(root, HOST_FLOCK, '/usr/bin/flock');
  for (const library of await sharedLibraries(HOST_FLOCK)) await copyInto(root, library);
  await copyInto(root, HOST_BUSYBOX, '/bin/busybox');
  for (const applet of BUSYBOX_APPLETS) await symlink('busybox', path.join(root, 'bin', applet));
  await mkdir(path.join(root, 'usr/bin'), { recursive: true });
  // npm's scripts start with `#!/usr/bin/env node`.
  await symlink('/bin/busybox', path.join(root, 'usr/bin/env'));
  for (const dir of ['etc', 'tmp', 'root', 'proc', 'sys', 'dev', 'run', 'home/node']) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  await chmod(path.join(root, 'tmp'), 0o1777);
  await writeFile(
    path.join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n',
  );
  await writeFile(path.join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  await run('tar', ['-C', root, '-cf', tarFile, '--numeric-owner', '--owner=0', '--group=0', '.'], {
    timeoutMs: 60_000,
  });
  return tarFile;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * The node_modules/.bin links that point into `packages`: without them `npm prune` counts those
 * packages as changed and wants their tarballs from the registry.
 */
async function binLinksInto(packages: readonly string[]): Promise<string[]> {
  const binDir = path.join(repo, 'node_modules/.bin');
  const names = await readdir(binDir).catch(() => []);
  const links: string[] = [];
  for (const name of names) {
    const target = path.relative(repo, path.resolve(binDir, await readlink(path.join(binDir, name))));
    if (packages.some((at) => target.startsWith(`${at}/`))) links.push(`node_modules/.bin/${name}`);
  }
  return links;
}

async function hasImage(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

async function importBase(docker: Docker, tarFile: string, node: string): Promise<void> {
  const [repoName, tag] = NODE_BASE_IMAGE.split(':') as [string, string];
  try {
    const progress = await docker.importImage(createReadStream(tarFile), {
      repo: repoName,
      tag,
      changes: ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'],
    });
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  } catch (error) {
    throw new ClusterError(
      'image-failed',
      `cannot import ${NODE_BASE_IMAGE} on ${node}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** Makes sure {@link NODE_BASE_IMAGE} is on `node` (built once per cluster state dir). */
export async function ensureNodeBase(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
): Promise<void> {
  const docker = dockerAt(node.socketPath);
  if (await hasImage(docker, NODE_BASE_IMAGE)) return;
  const tarFile = await buildNodeBaseTar(path.join(cluster.stateDir, 'node-base'));
  await importBase(docker, tarFile, node.name);
}

/** Runs `tar -c <context> | docker -H <node> build ... -`, bounded; throws with the build's tail. */
function buildFromTar(
  node: ClusterNodeDescription,
  context: readonly string[],
  args: readonly string[],
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', repo, '-c', ...context], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The classic builder: the node engines are Docker 20.10, and a newer CLI may lack buildx.
    const env = { ...cleanEnv(), DOCKER_BUILDKIT: '0' };
    const docker = spawn('docker', ['-H', node.dockerUrl, 'build', ...args, '-'], {
      env,
      stdio: [tar.stdout, 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => (output = `${output}${chunk.toString()}`.slice(-8_000));
    docker.stdout?.on('data', keep);
    docker.stderr?.on('data', keep);
    tar.stderr?.on('data', keep);
    const timer = setTimeout(() => {
      tar.kill('SIGKILL');
      docker.kill('SIGKILL');
    }, timeoutMs);
    docker.on('error', (error) =>
      reject(new ClusterError('image-failed', `cannot run docker build: ${error.message}`)),
    );
    docker.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else
        reject(
          new ClusterError(
            'image-failed',
            `docker build on ${node.name} failed (${signal ?? `exit ${code}`}):\n${output}`,
          ),
        );
    });
  });
}

/**
 * Builds the repository's Dockerfile on `node` as `tag`, on {@link NODE_BASE_IMAGE}, offline.
 * Needs `npm ci` done in the repository (node_modules goes into the context). Returns the build log.
 */
export async function buildReconcilerImage(
  cluster: ClusterDescription,
  node: ClusterNodeDescription,
  {
    tag = RECONCILER_TEST_IMAGE,
    timeoutMs = 180_000,
    extraArgs = [],
  }: { tag?: string; timeoutMs?: number; extraArgs?: readonly string[] } = {},
): Promise<string> {
  await ensureNodeBase(cluster, node);
  const lock = JSON.parse(await readFile(path.join(repo, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };
  // Optional packages for another platform are in the lock but not on disk.
  const installed = await Promise.all(
    packagesForBuild(lock).map(async (at) => ((await exists(path.join(repo, at))) ? at : undefined)),
  );
  const packages = installed.filter((at): at is string => at !== undefined);
  return buildFromTar(
    node,
    [...BUILD_CONTEXT, ...packages, ...(await binLinksInto(packages))],
    [
      '--build-arg',
      `NODE_IMAGE=${NODE_BASE_IMAGE}`,
      '--build-arg',
      'NPM_OFFLINE=true',
      '--force-rm',
      '-t',
      tag,
      ...extraArgs,
    ],
    timeoutMs,
  );
}

/** Copies an image by tag from one node to others (`docker save | docker load`, no registry). */
export async function copyImage(
  from: ClusterNodeDescription,
  to: readonly ClusterNodeDescription[],
  tag: string,
): Promise<void> {
  for (const node of to) {
    const stream = await dockerAt(from.socketPath).getImage(tag).get();
    const target = dockerAt(node.socketPath);
    const progress = await target.loadImage(stream);
    await new Promise<void>((resolve, reject) => {
      target.modem.followProgress(progress, (error: Error | null) => (error ? reject(error) : resolve()));
    });
  }
}
