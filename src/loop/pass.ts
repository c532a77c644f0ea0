import { randomUUID } from 'node:crypto';
import { desiredState } from '../core/desired-state.js';
import { describeClaim, foreignClaims, type ForeignClaim } from '../core/foreign-claims.js';
import { planActions } from '../core/plan.js';
import { problemAt } from '../core/problem-location.js';
import type {
  Action,
  ActualState,
  ClusterNode,
  DesiredState,
  LoadedVirtualIP,
  ManifestProblem,
  NodeObservation,
} from '../core/types.js';
import { validateAgainstNodes } from '../manifest/validate-against-nodes.js';
import { readVrrpPasswords, type PasswordSources } from '../adapters/vrrp-passwords.js';
import type { Logger } from '../log.js';
import type { ManifestSet, ManifestSource, NodeDirectory, NodeRuntime } from '../ports.js';
import { applyPlan, type ActionOutcome } from './apply.js';
import { findHolders, observeNodes } from './observe.js';

export interface PassDeps {
  manifests: Pick<ManifestSource, 'load'>;
  /** Replace unmanaged keepalived containers that claim a declared VIP's address (--adopt). */
  adopt: boolean;
  directory: NodeDirectory;
  passwords: PasswordSources;
  log: Logger;
  /** Adds what the loop knows about the observed containers (sick ones, to be replaced). */
  annotate?: (nodes: readonly NodeObservation[]) => NodeObservation[];
}

/** Everything one pass read and decided. */
export interface WorldView {
  passId: string;
  manifests: ManifestSet;
  /** Manifest problems plus those only visible with the nodes known (missing address, password). */
  problems: ManifestProblem[];
  clusterNodes: ClusterNode[];
  runtimes: Map<string, NodeRuntime>;
  desired: DesiredState;
  actual: ActualState;
  /** Unmanaged keepalived containers claiming a declared VIP's address. */
  claims: ForeignClaim[];
  plan: Action[];
}

export interface PassResult extends WorldView {
  outcomes: ActionOutcome[];
}

/**
 * Reads desired state (manifests) and actual state (managed containers on every node), and plans.
 * Changes nothing. Holders are looked up only when the plan replaces or removes something, since
 * only then does the rollout order depend on them.
 */
export async function readWorld(deps: PassDeps, passId = randomUUID().slice(0, 8)): Promise<WorldView> {
  const loaded = await deps.manifests.load();
  const { nodes: clusterNodes, runtimes } = await deps.directory.nodes(loaded);
  // Nodes discovered from a swarm are only known now: check the manifests against them too.
  const manifests = validateAgainstNodes(loaded, clusterNodes);
  const secrets = readVrrpPasswords(manifests.virtualIPs, deps.passwords);
  const computed = desiredState({
    virtualIPs: manifests.virtualIPs.map((v) => v.manifest),
    nodes: clusterNodes,
    passwords: secrets.passwords,
    frozen: manifests.frozen,
  });
  const problems = [
    ...manifests.problems,
    // A missing password is reported once, by where it was looked for, not again by desiredState.
    ...[
      ...secrets.problems,
      ...computed.problems.filter((p) => !secrets.problems.some((s) => s.vip === p.vip)),
    ].map((p) => locateVipProblem(manifests.virtualIPs, p)),
  ];
  const observed = await observeNodes(runtimes);
  const nodes: NodeObservation[] = deps.annotate ? deps.annotate(observed) : observed;
  let actual: ActualState = { nodes, holders: {} };
  const planOptions = { adopt: deps.adopt };
  let plan = planActions(computed.state, actual, planOptions);
  if (plan.some((a) => a.kind === 'replace' || a.kind === 'remove')) {
    actual = { nodes, holders: await findHolders(computed.state, nodes, runtimes, deps.adopt) };

    plan = planActions(computed.state, actual, planOptions);
  }
  const claims = foreignClaims(computed.state, nodes);
  return {
    passId,
    manifests,
    problems,
    clusterNodes,
    runtimes,
    desired: computed.state,
    actual,
    claims,
    plan,
  };
}

/** One level-triggered pass: read, plan, apply. It never asks what woke it. */
export async function runPass(deps: PassDeps): Promise<PassResult> {
  const passId = randomUUID().slice(0, 8);
  const log = deps.log.child({ pass: passId });
  log.debug('pass started');
  const world = await readWorld({ ...deps, log }, passId);
  for (const problem of world.problems) {
    log.warn({ file: problem.file, line: problem.line, path: problem.path }, problem.message);
  }
  for (const node of world.actual.nodes) {
    if (!node.reachable) log.warn({ node: node.node, err: node.error }, `node ${node.node} unreachable`);
  }
  if (!deps.adopt) {
    for (const claim of world.claims)
      log.warn({ vip: claim.vip, node: claim.container.node }, describeClaim(claim));
  }
  const outcomes = await applyPlan(world.plan, world.runtimes, log);
  log.info(
    { actions: world.plan.length, failed: outcomes.filter((o) => o.result !== 'done').length },
    world.plan.length === 0 ? 'converged, nothing to do' : 'pass applied',
  );
  return { ...world, outcomes };
}

/**
 * What `reconciler --once` exits with: 0 converged, 1 an action or endpoint failed (or a VIP is
 * blocked by an unmanaged keepalived claiming its address), 2 manifests invalid.
 */
export function onceExitCode(result: PassResult, adopt: boolean): 0 | 1 | 2 {
  const blocked = !adopt && result.claims.length > 0;
  const failed =
    blocked ||
    result.outcomes.some((o) => o.result !== 'done') ||
    result.actual.nodes.some((n) => !n.reachable);

  if (failed) return 1;
  return result.problems.length > 0 ? 2 : 0;
}

function locateVipProblem(
  vips: readonly LoadedVirtualIP[],
  problem: { vip: string; node?: string | undefined; path?: string | undefined; message: string },
): ManifestProblem {
  const loaded = vips.find((v) => v.manifest.metadata.name === problem.vip);
  const path = problem.path ?? '/spec';
  const where = problem.node ? ` on node ${problem.node}` : '';
  const message = `VirtualIP ${problem.vip}${where}: ${problem.message}`;
  // Located like every validation problem, so the two kinds read alike in one list.
  if (loaded) return problemAt(loaded.origin, path, 'unrenderable', message);
  return { code: 'unrenderable', file: '(unknown)', line: 1, col: 1, path, message };
}
