/**
 * `npm run demo`: the reconciler on a real three-node cluster on this machine.
 * Brings the test cluster up (network namespaces, one dockerd per node, a real swarm), declares
 * one VirtualIP, runs the reconciler in watch mode, shows who holds the address, kills that
 * node's keepalived, shows the address move and the reconciler restore the container, and cleans
 * up. Needs root and the Debian packages listed in the README. Traffic stays inside the cluster's
 * namespaces (198.18.<subnet>.0/24).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  down,
  holderOf,
  holdersOf,
  nodeByName,
  nodeNames,
  optionsFromEnv,
  readCluster,
  up,
  waitFor,
} from '../test/cluster/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => console.log(`demo: ${line}`);
const elapsed = (sinceMs: number) => `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const options = optionsFromEnv();
  const wasUp = await readCluster().then(
    () => true,
    () => false,
  );
  say('bringing up three Docker engines in network namespaces, joined into a swarm ...');
  const cluster = await up(options, () => undefined);
  const [name1, name2, name3] = nodeNames(cluster, 3);
  const address = cluster.spareIpv4[0];
  if (!address) throw new Error('the test cluster has no spare address for the VIP');
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-demo-'));
  const lockFile = path.join(dir, '.lock');
  const log = path.join(dir, 'reconciler.log');
  let reconciler: ReturnType<typeof spawn> | undefined;
  try {
    for (const node of cluster.nodes) {
      await writeFile(
        path.join(dir, `${node.name}.yaml`),
        `apiVersion: swarm-vip/v1\nkind: NodeEndpoint\nmetadata: { name: ${node.name} }\nspec:\n  docker: ${node.dockerUrl}\n  address: ${node.ipv4}\n`,
      );
    }
    const manifest = [
      'apiVersion: swarm-vip/v1',
      'kind: VirtualIP',
      'metadata: { name: demo }',
      'spec:',
      `  addresses: [${address}/${cluster.ipv4PrefixLength}]`,
      '  advertInterval: 0.1',
      `  image: ${KEEPALIVED_TEST_IMAGE}`,
      '  nodes:',
      `    - { name: ${name1}, priority: 200 }`,
      `    - { name: ${name2}, priority: 100 }`,
      `    - { name: ${name3}, priority: 50 }`,
      '',
    ].join('\n');
    await writeFile(path.join(dir, 'demo.yaml'), manifest);
    say(`manifest ${path.join(dir, 'demo.yaml')}:\n${manifest.replace(/^/gm, '    ')}`);

    const started = Date.now();
    const logFile = await import('node:fs').then((fs) => fs.openSync(log, 'w'));
    reconciler = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repo, 'src/cli/main.ts'),
        '--manifests',
        dir,
        '--lock-file',
        lockFile,
        '--log-format',
        'json',
      ],
      { cwd: repo, stdio: ['ignore', 'ignore', logFile] },
    );
    say('reconciler started in watch mode (its JSON log: ' + log + ')');
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 30_000,
      description: `${name1} to hold the VIP`,
    });
    say(`${address} is held by ${name1} (priority 200), ${elapsed(started)} after the reconciler started`);

    const docker = dockerOf(nodeByName(cluster, name1));
    const killedAt = Date.now();
    await docker.getContainer('keepalived-demo').kill();
    say(`killed keepalived on ${name1} (SIGKILL: no goodbye to its peers)`);
    const holders = await waitFor(
      async () => {
        const now = await holdersOf(cluster, address);
        return now.some((h) => h !== name1) ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 20, description: 'another node to take the VIP' },
    );
    const next = holders.filter((h) => h !== name1).join(', ');
    say(`${address} taken over by ${next} after ${elapsed(killedAt)} (VRRP master-down timer)`);
    if (holders.includes(name1)) {
      say(`${name1} still carries the address as well: a SIGKILLed keepalived cannot remove it`);
    }
    await waitFor(
      async () =>
        (await docker.getContainer('keepalived-demo').inspect()).State.Running &&
        (await holdersOf(cluster, address)).join() === name1,
      { timeoutMs: 30_000, description: `the reconciler to restart keepalived on ${name1}` },
    );
    say(
      `the reconciler saw the container die and started it again; ${name1} took the VIP back after ${elapsed(killedAt)}`,
    );

    const status = await runStatus(dir, lockFile);
    say(`reconciler status:\n${status.replace(/^/gm, '    ')}`);
    say('what happened: one manifest became one keepalived container per node; VRRP kept the address on');
    say('the highest-priority healthy node; when its keepalived died another node took over within a');
    say('second, and the reconciler restored the dead container from the Docker event stream.');
  } finally {
    reconciler?.kill('SIGTERM');
    await new Promise((r) => reconciler?.once('close', r) ?? r(undefined));
    say('cleaning up ...');
    await cleanup(cluster, dir, wasUp, options);
  }
}

function runStatus(dir: string, lockFile: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repo, 'src/cli/main.ts'),
        'status',
        '--manifests',
        dir,
        '--lock-file',
        lockFile,
      ],
      {
        cwd: repo,
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('close', () => resolve(out.trimEnd()));
  });
}

async function cleanup(
  cluster: Awaited<ReturnType<typeof up>>,
  dir: string,
  wasUp: boolean,
  options: ReturnType<typeof optionsFromEnv>,
): Promise<void> {
  for (const node of cluster.nodes) {
    const docker = dockerOf(node);
    await docker
      .getContainer('keepalived-demo')
      .stop({ t: 5 })
      .catch(() => undefined);
    await docker
      .getContainer('keepalived-demo')
      .remove({ force: true })
      .catch(() => undefined);
  }
  await rm(dir, { recursive: true, force: true });
  if (wasUp) {
    say('the test cluster was already up before the demo: left running');
    return;
  }
  await down(options, () => undefined);
  say('test cluster down');
}

try {
  await main();
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
