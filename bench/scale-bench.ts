/**
 * Scale simulator: the pure core and whole passes over hundreds of simulated nodes (see
 * simulated-cluster.ts), each pass compared with the same work done one node and one action at a
 * time, in the same run.
 */
import { pino } from 'pino';
import { desiredState } from '../src/core/desired-state.js';
import { planActions } from '../src/core/plan.js';
import type { Action, ActualState, ClusterNode, DesiredState, NodeObservation } from '../src/core/types.js';
import { runPass, type PassDeps } from '../src/loop/pass.js';
import { parseManifests } from '../src/manifest/parse-manifests.js';
import type { ManifestFile } from '../src/manifest/parse-documents.js';
import { validateAgainstNodes } from '../src/manifest/validate-against-nodes.js';
import type { ManifestSet, NodeRuntime } from '../src/ports.js';
import { sample, type SampleBounds, type Stats } from './measure.js';
import { SimulatedNodeDirectory, StaticManifestSource } from './simulated-cluster.js';
import { simulatedNodes, vipFiles } from './scale-scenario.js';

/** One cell of the matrix. */
export interface ScaleCase {
  nodes: number;
  vips: number;
}

/** Simulated latency of every NodeRuntime call, and the sample bounds of core and pass timings. */
export interface ScaleOptions {
  latencyMs: number;
  core: SampleBounds;
  pass: SampleBounds;
}

/** Every figure of one case, in milliseconds. */
export interface ScaleResult extends ScaleCase {
  containers: number;
  /** Largest number of nodes one VIP targets: the longest chain of steps in one VIP's rollout. */
  largestVip: number;
  parse: Stats;
  coreEmpty: Stats;
  coreConverged: Stats;
  /** desiredState + planActions on the converged cluster, without parsing: the core of a no-op pass. */
  desiredAndPlan: Stats;
  passFromEmpty: Stats;
  baselineFromEmpty: Stats;
  passNoop: Stats;
  baselineNoop: Stats;
  /** NodeRuntime calls of one pass from empty, ours and the baseline's (they must match). */
  calls: { pass: number; baseline: number };
}

const silent = pino({ level: 'silent' });
const noPasswords = { env: {}, envPrefix: 'VRRP_PASSWORD', dirs: [] };

function desiredOf(set: ManifestSet, nodes: readonly ClusterNode[]): DesiredState {
  return desiredState({
    virtualIPs: set.virtualIPs.map((v) => v.manifest),
    nodes,
    passwords: new Map(),
    frozen: set.frozen,
  });
}

function core(files: readonly ManifestFile[], nodes: readonly ClusterNode[], actual: ActualState): Action[] {
  return planActions(desiredOf(validateAgainstNodes(parseManifests(files), nodes), nodes), actual);
}

/** The actual state of a cluster that runs exactly what `desired` says. */
function convergedActual(desired: DesiredState, nodes: readonly ClusterNode[]): ActualState {
  const observations: NodeObservation[] = nodes.map((node) => ({
    node: node.name,
    reachable: true,
    containers: desired.containers
      .filter((c) => c.node === node.name)
      .map((c) => ({
        id: `${c.node}/${c.name}`,
        name: c.name,
        node: c.node,
        vip: c.vip,
        specHash: c.specHash,
        running: true,
      })),
  }));
  return { nodes: observations, holders: {} };
}

async function runAction(action: Action, runtimes: ReadonlyMap<string, NodeRuntime>): Promise<void> {
  const runtime = runtimes.get(action.node);
  if (!runtime) throw new Error(`no runtime for ${action.node}`);
  if (action.kind === 'create') return runtime.create(action.desired);
  if (action.kind === 'start') return runtime.start(action.existingId);
  await runtime.remove(action.existingId);
  if (action.kind === 'replace') await runtime.create(action.desired);
}

/**
 * The baseline: the same pass, but every node listed one after the other, then every action run
 * one after the other. Same manifests, same pure core, same simulated runtimes.
 */
export async function sequentialPass(deps: Pick<PassDeps, 'manifests' | 'directory'>): Promise<Action[]> {
  const loaded = parseManifests((await deps.manifests.snapshot()).files);
  const { nodes, runtimes } = await deps.directory.nodes(loaded);
  const desired = desiredOf(validateAgainstNodes(loaded, nodes), nodes);
  const observations: NodeObservation[] = [];
  for (const runtime of runtimes.values()) {
    observations.push({
      node: runtime.node,
      reachable: true,
      containers: (await runtime.listContainers()).managed,
    });
  }
  const plan = planActions(desired, { nodes: observations, holders: {} });
  for (const action of plan) await runAction(action, runtimes);
  return plan;
}

function passDeps(files: readonly ManifestFile[], directory: SimulatedNodeDirectory): PassDeps {
  return {
    manifests: new StaticManifestSource(files),
    adopt: false,
    directory,
    passwords: noPasswords,
    log: silent,
  };
}

/** Measures one case: the core, a pass from empty and a no-op pass, each beside its baseline. */
export async function benchScaleCase(c: ScaleCase, options: ScaleOptions): Promise<ScaleResult> {
  const nodes = simulatedNodes(c.nodes);
  const files = vipFiles(c.vips, nodes);
  const set = validateAgainstNodes(parseManifests(files), nodes);
  if (set.problems.length > 0 || set.virtualIPs.length !== c.vips) {
    throw new Error(`generated manifests are invalid: ${set.problems.map((p) => p.message).join('; ')}`);
  }
  const desired = desiredOf(set, nodes);
  const empty: ActualState = {
    nodes: nodes.map((n) => ({ node: n.name, reachable: true, containers: [] })),
    holders: {},
  };
  const converged = convergedActual(desired, nodes);
  if (core(files, nodes, converged).length !== 0) throw new Error('converged actual state is not converged');

  const parse = await sample(
    options.core,
    () => undefined,
    () => validateAgainstNodes(parseManifests(files), nodes),
  );
  const coreEmpty = await sample(
    options.core,
    () => undefined,
    () => core(files, nodes, empty),
  );
  const coreConverged = await sample(
    options.core,
    () => undefined,
    () => core(files, nodes, converged),
  );
  const desiredAndPlan = await sample(
    options.core,
    () => undefined,
    () => planActions(desiredOf(set, nodes), converged),
  );

  const fresh = () => new SimulatedNodeDirectory(nodes, options.latencyMs);
  const calls = await checkEquivalent(files, fresh, desired.containers.length);
  const passFromEmpty = await sample(options.pass, fresh, (d) => runPass(passDeps(files, d)));
  const baselineFromEmpty = await sample(options.pass, fresh, (d) => sequentialPass(passDeps(files, d)));
  const done = fresh();
  await runPass(passDeps(files, done));
  const passNoop = await sample(
    options.pass,
    () => done,
    (d) => runPass(passDeps(files, d)),
  );
  const baselineNoop = await sample(
    options.pass,
    () => done,
    (d) => sequentialPass(passDeps(files, d)),
  );

  const perVip = new Map<string, number>();
  for (const container of desired.containers) perVip.set(container.vip, (perVip.get(container.vip) ?? 0) + 1);
  return {
    ...c,
    containers: desired.containers.length,
    largestVip: Math.max(...perVip.values()),
    parse,
    coreEmpty,
    coreConverged,
    desiredAndPlan,
    passFromEmpty,
    baselineFromEmpty,
    passNoop,
    baselineNoop,
    calls,
  };
}

/** Both ways of passing must converge a fresh cluster with the same calls; returns the call counts. */
async function checkEquivalent(
  files: readonly ManifestFile[],
  fresh: () => SimulatedNodeDirectory,
  containers: number,
): Promise<{ pass: number; baseline: number }> {
  const ours = fresh();
  const result = await runPass(passDeps(files, ours));
  const failed = result.outcomes.filter((o) => o.result !== 'done');
  if (result.plan.length !== containers || failed.length > 0) {
    throw new Error(`pass from empty: ${result.plan.length} actions, ${failed.length} failed`);
  }
  if ((await runPass(passDeps(files, ours))).plan.length !== 0) throw new Error('second pass not a no-op');
  const theirs = fresh();
  const plan = await sequentialPass(passDeps(files, theirs));
  if (plan.length !== containers) throw new Error(`baseline: ${plan.length} actions`);
  const pass = ours.totalCalls() - ours.runtimes.size;
  return { pass, baseline: theirs.totalCalls() };
}
