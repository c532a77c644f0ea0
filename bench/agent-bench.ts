/**
 * `npm run bench:agents [-- --trials 5]`: what reaching nodes through `reconciler agent` (mutual
 * TLS, the allow-list checks, one container lookup per container call) costs against the nodes'
 * own unix sockets, in the same run on the same real three-node cluster. Two figures, each one
 * in-process pass of the real reconciler (no CLI start-up in the timing):
 *
 * - convergence: no containers → the VIP's keepalived created, filled, started and seen in VRRP
 *   on all three nodes;
 * - drift repair: one node's container removed behind the reconciler's back → put back.
 *
 * The agents are real `reconciler agent` processes, one per node. The cluster comes from
 * SWARM_VIP_TB_* (default bn / 9 / /run/swarm-vip-bn, as the other real-cluster bench) and is
 * taken down at the end unless SWARM_VIP_TB_KEEP=1.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { composePassDeps } from '../src/cli/compose.js';
import { toConfig } from '../src/config.js';
import { runPass } from '../src/loop/pass.js';
import { KEEPALIVED_TEST_IMAGE, dockerOf, down, up, type ClusterDescription } from '../test/cluster/index.js';
import {
  containersOnNodes,
  nodeEndpointYaml,
  removeManagedContainers,
  vipYaml,
} from '../test/e2e/reconciler-harness.js';
import { NodeAgent, makeCertificates } from '../test/e2e/tls-certificates.js';
import { benchClusterOptions } from './real-cluster-bench.js';
import { describeMachine, machineInfo } from './machine.js';
import { ms, ratio, summarise, type Stats } from './measure.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' } } });
const trials = Math.max(1, Math.min(20, Number(values.trials) || 5));
const NAME = 'keepalived-agentbench';
const log = pino({ level: 'silent' });

/** One in-process pass over `dir`; fails loudly when the pass did not converge. */
async function pass(dir: string): Promise<number> {
  const config = toConfig({ manifests: dir, lockFile: path.join(dir, '.lock') });
  const t0 = performance.now();
  const result = await runPass(composePassDeps(config, log));
  const elapsed = performance.now() - t0;
  const failed = result.outcomes.filter((o) => o.result !== 'done');
  const unreachable = result.actual.nodes.filter((n) => !n.reachable);
  if (failed.length > 0 || unreachable.length > 0) {
    throw new Error(`pass over ${dir} failed: ${JSON.stringify({ failed, unreachable })}`);
  }
  return elapsed;
}

async function converge(cluster: ClusterDescription, dir: string): Promise<number> {
  await removeManagedContainers(cluster);
  return pass(dir);
}

async function repair(cluster: ClusterDescription, dir: string): Promise<number> {
  const victim = (await containersOnNodes(cluster, NAME)).find((c) => c.node === cluster.nodes[1]?.name);
  const node = cluster.nodes[1];
  if (!victim || !node) throw new Error('nothing to remove');
  await dockerOf(node).getContainer(victim.id).remove({ force: true });
  return pass(dir);
}

async function main(): Promise<void> {
  const options = benchClusterOptions();
  const say = (m: string) => console.error(`[bench:agents] ${m}`);
  const cluster = await up(options, say);
  const work = await mkdtemp(path.join(tmpdir(), 'swarm-vip-bench-agents-'));
  const agents: NodeAgent[] = [];
  try {
    const certs = await makeCertificates(work, 'bench', 'IP:127.0.0.1');
    const direct = path.join(work, 'direct');
    const viaAgents = path.join(work, 'agents');
    const address = `${cluster.spareIpv4[19] ?? ''}/${cluster.ipv4PrefixLength}`;
    const priorities = Object.fromEntries(cluster.nodes.map((n, i) => [n.name, 200 - i * 50]));
    const vip = vipYaml({ name: 'agentbench', address, priorities, image: KEEPALIVED_TEST_IMAGE });
    for (const node of cluster.nodes) {
      const agent = new NodeAgent(node, certs);
      await agent.start();
      agents.push(agent);
    }
    for (const [dir, endpoint] of [
      [direct, (i: number) => (cluster.nodes[i] ? nodeEndpointYaml(cluster.nodes[i]) : '')],
      [viaAgents, (i: number) => agents[i]?.endpointYaml() ?? ''],
    ] as const) {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
      await writeFile(path.join(dir, 'vip.yaml'), vip);
      for (let i = 0; i < cluster.nodes.length; i++)
        await writeFile(path.join(dir, `node-${i}.yaml`), endpoint(i));
    }
    const timings = {
      convergeDirect: [] as number[],
      convergeAgents: [] as number[],
      repairDirect: [] as number[],
      repairAgents: [] as number[],
    };
    // Warm-up of both paths (module loading, first TLS handshakes), untimed.
    await converge(cluster, direct);
    await converge(cluster, viaAgents);
    for (let t = 0; t < trials; t++) {
      // Alternate which path goes first, so drift in the machine's load hits both alike.
      const order = t % 2 === 0 ? (['Direct', 'Agents'] as const) : (['Agents', 'Direct'] as const);
      for (const way of order) {
        const dir = way === 'Direct' ? direct : viaAgents;
        timings[`converge${way}`].push(await converge(cluster, dir));
        timings[`repair${way}`].push(await repair(cluster, dir));
        say(`trial ${t + 1}/${trials} ${way.toLowerCase()} done`);
      }
    }
    const refusals = agents.flatMap((a) => a.refusals());
    if (refusals.length > 0)
      throw new Error(`the agents refused a reconciler call: ${JSON.stringify(refusals)}`);
    console.log(report(timings));
  } finally {
    await Promise.all(agents.map((a) => a.process?.stop()));
    await removeManagedContainers(cluster).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
    if (process.env.SWARM_VIP_TB_KEEP !== '1') await down(options, say);
  }
}

function report(
  t: Record<'convergeDirect' | 'convergeAgents' | 'repairDirect' | 'repairAgents', number[]>,
): string {
  const row = (what: string, direct: Stats, agents: Stats) =>
    `| ${what} | ${direct.runs} | ${ms(direct.minMs)} / ${ms(direct.medianMs)} / ${ms(direct.maxMs)} | ` +
    `${ms(agents.minMs)} / ${ms(agents.medianMs)} / ${ms(agents.maxMs)} | ${ratio(agents.medianMs, direct.medianMs)} |`;
  return [
    `Machine: ${describeMachine(machineInfo())}`,
    '',
    '| one pass, 3 real nodes | trials | direct unix sockets, ms (min / median / max) | through agents (mTLS), ms | agents / direct (median) |',
    '|---|---|---|---|---|',
    row('convergence (nothing → VIP on 3 nodes)', summarise(t.convergeDirect), summarise(t.convergeAgents)),
    row('drift repair (1 container removed → back)', summarise(t.repairDirect), summarise(t.repairAgents)),
  ].join('\n');
}

await main();
