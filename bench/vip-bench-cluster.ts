/**
 * What the failover and chaos benchmarks share: their private test cluster (the same options as
 * the real-cluster bench: SWARM_VIP_TB_* or bn / 9, never the e2e defaults), VirtualIP manifests
 * that differ only in their advertisement interval, and a tear-down that proves nothing is left.
 */
import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  KEEPALIVED_TEST_IMAGE,
  down,
  findLeftovers,
  up,
  type ClusterDescription,
} from '../test/cluster/index.js';
import { manifestDir, removeManagedContainers, runCli } from '../test/e2e/reconciler-harness.js';
import { benchClusterOptions } from './real-cluster-bench.js';

/** One VIP of a side-by-side comparison: `interval` undefined means the product's default. */
export interface IntervalVip {
  label: string;
  name: string;
  address: string;
  routerId: number;
  interval: number | undefined;
}

/**
 * `default,0.1,1` → VIPs `<prefix>-default`, `<prefix>-0-1`, `<prefix>-1` on the cluster's spare
 * addresses from `firstSpare`, each with its own virtual router ID.
 */
export function intervalVips(
  cluster: ClusterDescription,
  spec: string,
  prefix: string,
  firstSpare: number,
): IntervalVip[] {
  return spec.split(',').map((raw, i) => {
    const label = raw.trim();
    const interval = label === 'default' ? undefined : Number(label);
    if (interval !== undefined && !(interval >= 0.01 && interval <= 255))
      throw new Error(`not an advertisement interval: ${label}`);
    const address = cluster.spareIpv4[firstSpare + i];
    if (!address) throw new Error(`the cluster has no spare address #${firstSpare + i}`);
    const name = `${prefix}-${label.replace(/\./g, '-')}`;
    return { label, name, address, routerId: 10 + firstSpare + i, interval };
  });
}

/** Priorities that put every VIP on the last node: 100, 150, 200, ... */
export function priorities(cluster: ClusterDescription): Record<string, number> {
  return Object.fromEntries(cluster.nodes.map((n, i) => [n.name, Math.min(100 + 50 * i, 254)]));
}

/** The VirtualIP manifest of one compared VIP (no advertInterval line for the default). */
export function intervalVipYaml(cluster: ClusterDescription, vip: IntervalVip): string {
  return [
    'apiVersion: swarm-vip/v1',
    'kind: VirtualIP',
    `metadata: { name: ${vip.name} }`,
    'spec:',
    `  addresses: [${vip.address}/${cluster.ipv4PrefixLength}]`,
    `  virtualRouterId: ${vip.routerId}`,
    ...(vip.interval === undefined ? [] : [`  advertInterval: ${vip.interval}`]),
    `  image: ${KEEPALIVED_TEST_IMAGE}`,
    '  nodes:',
    ...Object.entries(priorities(cluster)).map(([name, p]) => `    - { name: ${name}, priority: ${p} }`),
    '',
  ].join('\n');
}

/** Path of a VIP's manifest file in `dir`. */
export function vipFile(dir: string, vip: IntervalVip): string {
  return path.join(dir, `${vip.name}.yaml`);
}

/** Writes every VIP's manifest into `dir`. */
export async function writeVips(cluster: ClusterDescription, dir: string, vips: readonly IntervalVip[]) {
  for (const vip of vips) await writeFile(vipFile(dir, vip), intervalVipYaml(cluster, vip));
}

/**
 * `reconciler --once` over `dir` until it exits 0 (converged), at most `attempts` times: on a
 * saturated machine a Docker call of a first deploy may time out, and the next pass finishes it.
 */
export async function reconcileOnce(dir: string, lockFile: string, attempts = 4): Promise<void> {
  let last = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await runCli(['--once', '--manifests', dir, '--lock-file', lockFile], 120_000);
    if (result.code === 0) return;
    last = `exit ${result.code}:\n${result.stdout}\n${result.stderr.slice(-3000)}`;
  }
  throw new Error(`reconciler --once did not converge in ${attempts} runs; last ${last}`);
}

export interface BenchSession {
  cluster: ClusterDescription;
  dir: string;
  describe: string;
}

async function ourNamespaces(prefix: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'list']);
  const pattern = new RegExp(`^${prefix}(hub|node\\d+)\\b`);
  return stdout.split('\n').filter((line) => pattern.test(line));
}

/**
 * Brings the bench cluster up, runs `body` with a manifest directory holding its NodeEndpoints,
 * and always removes the managed containers and takes the cluster down again (unless
 * `keepCluster`). Returns what `body` returned and whatever was left behind.
 */
export async function withBenchCluster<T>(
  options: { keepCluster: boolean; log: (message: string) => void },
  body: (session: BenchSession) => Promise<T>,
): Promise<{ value: T; leftovers: string[] | undefined }> {
  const clusterOptions = benchClusterOptions();
  let inodes: number[] = [];
  let session: BenchSession | undefined;
  let value: T;
  const leftovers: string[] = [];
  try {
    const cluster = await up(clusterOptions, options.log);
    inodes = [cluster.hub.netnsInode, ...cluster.nodes.map((n) => n.netnsInode)];
    session = {
      cluster,
      dir: await manifestDir(cluster),
      describe: `prefix ${cluster.prefix}, 198.18.${cluster.subnet}.0/24, ${cluster.nodes.length} nodes`,
    };
    value = await body(session);
  } finally {
    if (session) {
      await removeManagedContainers(session.cluster).catch(() => undefined);
      await rm(session.dir, { recursive: true, force: true });
    }
    if (!options.keepCluster) {
      const report = await down(clusterOptions, options.log);
      leftovers.push(
        ...report.problems,
        ...(await findLeftovers(clusterOptions, inodes)),
        ...(await ourNamespaces(clusterOptions.prefix)).map((n) => `ip netns list: ${n}`),
      );
      options.log(leftovers.length === 0 ? 'down left nothing behind' : `LEFTOVERS: ${leftovers.join('; ')}`);
    }
  }
  return { value, leftovers: options.keepCluster ? undefined : leftovers };
}
