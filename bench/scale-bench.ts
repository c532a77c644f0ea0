/**
 * Scale simulator: the pure core and whole passes over hundreds of simulated nodes (see
 * simulated-cluster.ts, with per-call costs measured on the real cluster), each pass from empty
 * set against the engines' own limit in the same run: every container created and started on
 * its node, all at once, with nothing else (no listing, no files, no cap).
 */
import { pino } from 'pino';
import { desiredState } from '../src/core/desired-state.js';
import { planActions } from '../src/core/plan.js';
import type { Action, ActualState, ClusterNode, DesiredState, NodeObservation } from '../src/core/types.js';
import { runPass, type PassDeps } from '../src/loop/pass.js';
import { PassInputsCache } from '../src/loop/pass-inputs.js';
import { parseManifests, parseSnapshot } from '../src/manifest/parse-manifests.js';
import { validateAgainstNodes } from '../src/manifest/validate-against-nodes.js';
import type { ManifestFile } from '../src/manifest/parse-documents.js';
import type { ManifestSet } from '../src/ports.js';
import { sample, type SampleBounds, type Stats } from './measure.js';
import type { OperationCosts } from './simulated-costs.js';
import { SimulatedNodeDirectory, StaticManifestSource, type CallCounts } from './simulated-cluster.js';
import { simulatedNodes, vipFiles } from './scale-scenario.js';

/** One cell of the matrix. */
export interface ScaleCase {
  nodes: number;
  vips: number;
}

/** Simulated cost of each Docker call, and the sample bounds of core and pass timings. */
export interface ScaleOptions {
  costs: OperationCosts;
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
  /** The engines' own limit: every container created + started on its node, all at once. */
  engineLimit: Stats;
  passNoop: Stats;
  /** What one no-op pass did: calls by kind over all nodes, manifest reads and parses. */
  noop: NoopCounts;
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

/** The engines' own limit: createContainer + start of every desired container, all at once. */
async function engineLimit(desired: DesiredState, directory: SimulatedNodeDirectory): Promise<void> {
  await Promise.all(
    desired.containers.map((c) => {
      const runtime = directory.runtimes.get(c.node);
      if (!runtime) throw new Error(`no runtime for ${c.node}`);
      return runtime.rawCreateStart();
    }),
  );
}

/** Calls of one pass by kind over all nodes, and what it read and parsed of the manifests. */
export interface NoopCounts extends CallCounts {
  reads: number;
  parses: number;
}

interface CountingDeps extends PassDeps {
  manifests: StaticManifestSource;
  parses: () => number;
}

function passDeps(files: readonly ManifestFile[], directory: SimulatedNodeDirectory): CountingDeps {
  let parses = 0;
  return {
    manifests: new StaticManifestSource(files),
    parse: (snapshot) => {
      parses++;
      return parseSnapshot(snapshot);
    },
    parses: () => parses,
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

  const fresh = () => new SimulatedNodeDirectory(nodes, options.costs);
  await checkConverges(files, fresh, desired.containers.length);
  const passFromEmpty = await sample(options.pass, fresh, (d) => runPass(passDeps(files, d)));
  const engine = await sample(options.pass, fresh, (d) => engineLimit(desired, d));
  // A converged cluster and the inputs the loop keeps between passes: a no-op pass is what a pass
  // woken by a Docker event or a probe does when nothing changed.
  const done = fresh();
  const kept = passDeps(files, done);
  const cache = new PassInputsCache(kept);
  await runPass(kept, cache);
  const passNoop = await sample(
    options.pass,
    () => done,
    () => runPass(kept, cache),
  );
  const noop = await countNoopPass(kept, cache, done);

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
    engineLimit: engine,
    passNoop,
    noop,
  };
}

/** A pass from empty must create every container without failure, and the next plan nothing. */
async function checkConverges(
  files: readonly ManifestFile[],
  fresh: () => SimulatedNodeDirectory,
  containers: number,
): Promise<void> {
  const ours = fresh();
  const result = await runPass(passDeps(files, ours));
  const failed = result.outcomes.filter((o) => o.result !== 'done');
  if (result.plan.length !== containers || failed.length > 0) {
    throw new Error(`pass from empty: ${result.plan.length} actions, ${failed.length} failed`);
  }
  if ((await runPass(passDeps(files, ours))).plan.length !== 0) throw new Error('second pass not a no-op');
}

/** Runs one more no-op pass with the kept inputs on the converged cluster and counts what it did. */
async function countNoopPass(
  deps: CountingDeps,
  cache: PassInputsCache,
  directory: SimulatedNodeDirectory,
): Promise<NoopCounts> {
  const before = { ...directory.totalCounts(), reads: deps.manifests.reads, parses: deps.parses() };
  const result = await runPass(deps, cache);
  if (result.plan.length !== 0) throw new Error('the converged cluster is not converged');
  const after = directory.totalCounts();
  return {
    lists: after.lists - before.lists,
    writes: after.writes - before.writes,
    probes: after.probes - before.probes,
    reads: deps.manifests.reads - before.reads,
    parses: deps.parses() - before.parses,
  };
}
