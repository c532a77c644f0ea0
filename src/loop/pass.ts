import { randomUUID } from 'node:crypto';
import {
  vipConditions,
  type ConditionsInput,
  type DeclaredAt,
  type VipConditions,
} from '../core/conditions.js';
import { describeClaim, foreignClaims, type ForeignClaim } from '../core/foreign-claims.js';
import { planActions } from '../core/plan.js';
import { isOutOfDate, type VipStatus } from '../core/status.js';
import { positionOf } from '../core/problem-location.js';
import type { Action, ActualState, NodeObservation } from '../core/types.js';
import { applyPlan, type ActionOutcome } from './apply.js';
import { findHolders, observeNodes } from './observe.js';
import { PassInputsCache, type PassInputs, type PassInputsDeps } from './pass-inputs.js';
import type { StartGuard } from './start-guard.js';

export interface PassDeps extends PassInputsDeps {
  /** Replace unmanaged keepalived containers that claim a declared VIP's address (--adopt). */
  adopt: boolean;
  /** Adds what the loop knows about the observed containers (sick ones, to be replaced). */
  annotate?: (nodes: readonly NodeObservation[]) => NodeObservation[];
  /** Keeps the starts of this pass apart from the VRRP watch's removals through siblings. */
  startGuard?: Pick<StartGuard, 'aroundStart'>;
}

/** Everything one pass read and decided. */
export interface WorldView extends PassInputs {
  passId: string;
  actual: ActualState;
  /** Unmanaged keepalived containers claiming a declared VIP's address. */
  claims: ForeignClaim[];
  plan: Action[];
}

/**
 * When the pass wants to run again without a new trigger: `backoff` after something failed that
 * may heal by itself (an action, a node, a rival keepalived), with the runner's capped exponential
 * delay; `none` when it converged, or when only a manifest is wrong (nothing heals that but a new
 * revision, which triggers a pass by itself).
 */
export type Requeue = { kind: 'none' } | { kind: 'backoff'; reason: string };

/** What a pass did and found: the CLI maps it to exit codes, the loop to requeues and /status. */
export interface PassResult extends WorldView {
  outcomes: ActionOutcome[];
  conditions: VipConditions[];
  requeue: Requeue;
}

/**
 * Reads actual state (managed containers on every node) and plans against the inputs' desired
 * state. Changes nothing. Holders are looked up only when the plan replaces or removes something,
 * since only then does the rollout order depend on them.
 */
export async function readWorld(
  deps: PassDeps,
  cache: PassInputsCache = new PassInputsCache(deps),
  passId = randomUUID().slice(0, 8),
): Promise<WorldView> {
  const inputs = await cache.current();
  const observed = await observeNodes(inputs.runtimes);
  const nodes: NodeObservation[] = deps.annotate ? deps.annotate(observed) : observed;
  let actual: ActualState = { nodes, holders: {} };
  const planOptions = { adopt: deps.adopt };
  let plan = planActions(inputs.desired, actual, planOptions);
  if (plan.some((a) => a.kind === 'replace' || a.kind === 'remove')) {
    actual = { nodes, holders: await findHolders(inputs.desired, nodes, inputs.runtimes, deps.adopt) };
    plan = planActions(inputs.desired, actual, planOptions);
  }
  const claims = foreignClaims(inputs.desired, nodes);
  return { ...inputs, passId, actual, claims, plan };
}

/** How many manifest problems one pass logs one by one. */
const MAX_LOGGED_PROBLEMS = 100;

/** One level-triggered pass: read, plan, apply. It never asks what woke it. */
export async function runPass(
  deps: PassDeps,
  cache: PassInputsCache = new PassInputsCache(deps),
): Promise<PassResult> {
  const passId = randomUUID().slice(0, 8);
  const log = deps.log.child({ pass: passId });
  log.debug('pass started');
  const world = await readWorld({ ...deps, log }, cache, passId);
  log.debug({ actions: world.plan.length }, 'world read');
  // Capped like the CLI's list: 10,000 broken documents must not write 10,000 log lines per pass.
  for (const problem of world.problems.slice(0, MAX_LOGGED_PROBLEMS)) {
    log.warn({ file: problem.file, line: problem.line, path: problem.path }, problem.message);
  }
  if (world.problems.length > MAX_LOGGED_PROBLEMS) {
    log.warn(
      { problems: world.problems.length },
      `${world.problems.length - MAX_LOGGED_PROBLEMS} more manifest problems not logged`,
    );
  }
  for (const node of world.actual.nodes) {
    if (!node.reachable) log.warn({ node: node.node, err: node.error }, `node ${node.node} unreachable`);
  }
  if (!deps.adopt) {
    for (const claim of world.claims)
      log.warn({ vip: claim.vip, node: claim.container.node }, describeClaim(claim));
  }
  const outcomes = await applyPlan(
    world.plan,
    world.runtimes,
    log,
    deps.startGuard ? { startGuard: deps.startGuard } : {},
  );
  const result = passResult(world, outcomes, deps.adopt);
  log.info(
    {
      revision: world.revision,
      actions: world.plan.length,
      failed: outcomes.filter((o) => o.result !== 'done').length,
      requeue: result.requeue.kind,
    },
    world.plan.length === 0 ? 'converged, nothing to do' : 'pass applied',
  );
  return result;
}

/**
 * A pass's conditions and requeue from what it read and did. `probed`: the status rows of a probe
 * (`reconciler status`), which add who holds each address and which containers are not current.
 */
export function passResult(
  world: WorldView,
  outcomes: ActionOutcome[],
  adopt: boolean,
  probed?: readonly VipStatus[],
): PassResult {
  const blocked = adopt ? [] : world.claims;
  const failedActions = outcomes.flatMap((o) =>
    o.result === 'done' ? [] : [{ vip: o.action.vip, node: o.action.node, error: o.error }],
  );
  const conditions = vipConditions({
    declared: declaredVips(world),
    suspended: new Set(
      world.manifests.documents.virtualIPs
        .filter((v) => v.manifest.spec.suspend === true)
        .map((v) => v.manifest.metadata.name),
    ),
    desired: world.desired,
    problems: world.problems,
    nodes: world.actual.nodes,
    failedActions,
    blockedByForeign: new Map(blocked.map((claim) => [claim.vip, describeClaim(claim)])),
    ...(probed ? probedFacts(probed) : {}),
  });
  const unreachable = world.actual.nodes.filter((n) => !n.reachable).map((n) => n.node);
  const why = [
    ...(failedActions.length > 0 ? [`${failedActions.length} action(s) failed`] : []),
    ...(unreachable.length > 0 ? [`unreachable: ${unreachable.join(', ')}`] : []),
    ...(blocked.length > 0 ? ['a VIP is blocked by an unmanaged keepalived'] : []),
  ];
  const requeue: Requeue = why.length > 0 ? { kind: 'backoff', reason: why.join('; ') } : { kind: 'none' };
  return { ...world, outcomes, conditions, requeue };
}

function probedFacts(vips: readonly VipStatus[]): Pick<ConditionsInput, 'holders' | 'outOfDate'> {
  const outOfDate = new Map<string, string>();
  for (const vip of vips) {
    const stale = vip.nodes.filter(isOutOfDate);
    if (!vip.frozen && stale.length > 0) {
      outOfDate.set(vip.vip, stale.map((n) => `${n.node}: ${n.running ? n.spec : 'not running'}`).join(', '));
    }
  }
  return { holders: new Map(vips.map((v) => [v.vip, v.holders])), outOfDate };
}

/** Every VIP the revision declares, with the place of its name (its origin travels with it). */
function declaredVips(world: WorldView): Map<string, DeclaredAt> {
  const declared = new Map<string, DeclaredAt>();
  for (const { manifest, origin } of world.manifests.documents.virtualIPs) {
    if (declared.has(manifest.metadata.name)) continue;
    declared.set(manifest.metadata.name, {
      file: origin.file,
      line: positionOf(origin, '/metadata/name').line,
    });
  }
  for (const problem of world.problems) {
    if (problem.vip !== undefined && !declared.has(problem.vip)) {
      declared.set(problem.vip, { file: problem.file, line: problem.line });
    }
  }
  return declared;
}
