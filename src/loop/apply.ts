import pLimit, { type LimitFunction } from 'p-limit';
import type { Action } from '../core/types.js';
import { groupActionsByVip } from '../core/plan.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CreateOptions, NodeRuntime } from '../ports.js';
import type { StartGuard } from './start-guard.js';

export type ActionOutcome =
  | { action: Action; result: 'done' }
  | { action: Action; result: 'failed'; error: string }
  | { action: Action; result: 'skipped'; error: string };

/**
 * Carries out a plan. VIPs are worked in parallel. Within a VIP the plan's order holds: steps
 * that only add keepalived instances (create, start) and stand next to each other run together,
 * since they take nothing away; every replace or remove runs alone, after everything before it
 * has finished, so a new container is running before the next old one goes and the holder goes
 * last. After a failed step the rest of that VIP's rollout is skipped: going on could take the
 * holder down while no updated backup is ready (only a restore-priority step still runs).
 *
 * At most `maxParallelActions` actions are in flight at once over all VIPs and nodes (the
 * reconciler's own sockets, memory and CPU), and at most `maxParallelActionsPerNode` on one node
 * (its engine, and its SSH server or agent): from an empty cluster of hundreds of nodes, a pass
 * would otherwise open one request (and build one archive) per container at the same moment. An
 * action waits for its node's slot before it takes one of the global slots, so a busy node holds
 * no global slot idle. The caps never reorder a VIP's rollout.
 */
export async function applyPlan(
  actions: readonly Action[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
  options: ApplyOptions = {},
): Promise<ActionOutcome[]> {
  const global = pLimit(options.maxParallelActions ?? DEFAULT_MAX_PARALLEL_ACTIONS);
  const perNode = new Map<string, LimitFunction>();
  const limit: NodeLimit = (node, fn) => {
    let nodeLimit = perNode.get(node);
    if (!nodeLimit) {
      nodeLimit = pLimit(options.maxParallelActionsPerNode ?? DEFAULT_MAX_PARALLEL_ACTIONS_PER_NODE);
      perNode.set(node, nodeLimit);
    }
    return nodeLimit(() => global(fn));
  };
  const perVip = await Promise.all(
    [...groupActionsByVip(actions).values()].map((steps) =>
      applyInOrder(steps, { runtimes, log, limit, startGuard: options.startGuard }),
    ),
  );
  return perVip.flat();
}

/**
 * How many actions one pass runs at once, at most, over all nodes (see applyPlan). Chosen with the
 * scale simulator (BENCHMARKS.md): at 500 nodes the global cap, not the engines, sets the pace of
 * a pass from empty; an action in flight costs the reconciler one request and a few KiB.
 */
export const DEFAULT_MAX_PARALLEL_ACTIONS = 256;

/** How many actions one pass runs at once on one node, at most (see applyPlan). */
export const DEFAULT_MAX_PARALLEL_ACTIONS_PER_NODE = 8;

export interface ApplyOptions {
  maxParallelActions?: number;
  maxParallelActionsPerNode?: number;
  /** Each create, replace and start of a VIP's keepalived on a node runs through it (start-guard.ts). */
  startGuard?: Pick<StartGuard, 'aroundStart'>;
}

/** Runs `fn` once a slot of `node` and then a global slot are free. */
type NodeLimit = <T>(node: string, fn: () => Promise<T>) => Promise<T>;

interface ApplyContext {
  runtimes: ReadonlyMap<string, NodeRuntime>;
  log: Logger;
  limit: NodeLimit;
  startGuard: Pick<StartGuard, 'aroundStart'> | undefined;
}

/**
 * Whether the keepalived that step `index` starts must take part in VRRP before the rollout goes
 * on: only when a later step of the same VIP takes a keepalived away (replace, remove), since
 * that may be the holder. A fresh VIP's creates have no holder to protect and need no wait.
 */
export function mustJoinVrrpFirst(steps: readonly Action[], index: number): boolean {
  return steps.slice(index + 1).some((later) => later.kind === 'replace' || later.kind === 'remove');
}

/**
 * Consecutive create/start steps form one batch; every other step is a batch of its own. When a
 * VIP's steps are all removes (the VIP was deleted), nothing new is coming and no holder is to be
 * protected: they form one batch, so a deletion takes one stop, not one per node.
 */
export function rolloutBatches(steps: readonly Action[]): Action[][] {
  if (steps.length > 0 && steps.every((s) => s.kind === 'remove')) return [[...steps]];
  const batches: Action[][] = [];
  for (const step of steps) {
    const last = batches.at(-1);
    if (last && addsOnly(step) && last.every(addsOnly)) last.push(step);
    else batches.push([step]);
  }
  return batches;
}

/**
 * A restore-priority step runs even after a failed step: it undoes a raise that may have happened
 * (else that node would keep the raised priority until its container restarts), and changes
 * nothing where none did.
 */
function undoesBoost(action: Action): boolean {
  return action.kind === 'restore-priority';
}

/** Whether the action starts a keepalived of its VIP on its node (whose start clears the VIP's addresses). */
function startsKeepalived(action: Action): boolean {
  return action.kind === 'create' || action.kind === 'replace' || action.kind === 'start';
}

function addsOnly(action: Action): boolean {
  return action.kind === 'create' || action.kind === 'start';
}

async function applyInOrder(steps: readonly Action[], context: ApplyContext): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  let done = 0;
  for (const batch of rolloutBatches(steps)) {
    if (outcomes.some((o) => o.result !== 'done') && !batch.every(undoesBoost)) {
      const error = `an earlier step of ${batch[0]?.vip ?? 'this VIP'} failed`;
      outcomes.push(...batch.map((action) => ({ action, result: 'skipped' as const, error })));
      continue;
    }
    const first = done;
    done += batch.length;
    outcomes.push(
      ...(await Promise.all(
        batch.map((action, i) =>
          context.limit(action.node, () => applyOne(action, mustJoinVrrpFirst(steps, first + i), context)),
        ),
      )),
    );
  }
  return outcomes;
}

async function applyOne(action: Action, awaitVrrp: boolean, context: ApplyContext): Promise<ActionOutcome> {
  const actionLog = context.log.child({ vip: action.vip, node: action.node, container: action.container });
  try {
    actionLog.info({ action: action.kind, reason: action.reason }, `${action.kind} ${action.container}`);
    const run = () => runAction(action, awaitVrrp, context.runtimes, actionLog);
    await (context.startGuard && startsKeepalived(action)
      ? context.startGuard.aroundStart(action.vip, action.node, run)
      : run());
    actionLog.debug({ action: action.kind }, `${action.kind} ${action.container} done`);
    return { action, result: 'done' };
  } catch (error) {
    const message = describeError(error);
    actionLog.error({ action: action.kind, err: message }, `${action.kind} ${action.container} failed`);
    return { action, result: 'failed', error: message };
  }
}

function createOptions(action: Action & { kind: 'create' | 'replace' }, awaitVrrp: boolean): CreateOptions {
  return action.takeOver ? { awaitVrrp, takeOverWithinMs: action.takeOver.withinMs } : { awaitVrrp };
}

async function runAction(
  action: Action,
  awaitVrrp: boolean,
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<void> {
  const runtime = runtimes.get(action.node);
  if (!runtime) throw new Error(`node ${action.node} has no Docker endpoint`);
  switch (action.kind) {
    case 'create':
      return runtime.create(action.desired, createOptions(action, awaitVrrp));
    case 'replace':
      // Same name, same VRRP instance: the old one must be gone before the new one starts.
      await runtime.remove(action.existingId);
      return runtime.create(action.desired, createOptions(action, awaitVrrp));
    case 'start':
      return runtime.start(action.existingId);
    case 'remove':
      return runtime.remove(action.existingId);
    case 'raise-priority':
      return raisePriority(runtime, action, log);
    case 'restore-priority': {
      const { reloaded } = await runtime.reloadWithPriority(action.container, action.priority);
      log.info(
        { action: action.kind, priority: action.priority, reloaded },
        `${action.container} ${reloaded ? 'reloaded with' : 'already runs'} priority ${action.priority}`,
      );
      return;
    }
    default: {
      const unknown: never = action;
      throw new Error(`unknown action ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * Raises the successor's priority and waits until it has preempted the holder. A successor that
 * does not become MASTER in time is no failure: the holder then hands over by priority 0, as it
 * would without the raise (the address unheld for a skew time), and the log says so.
 */
async function raisePriority(
  runtime: NodeRuntime,
  action: Action & { kind: 'raise-priority' },
  log: Logger,
): Promise<void> {
  const { boost } = action;
  const result = await runtime.reloadWithPriority(action.container, boost.priority, {
    awaitMasterWithinMs: boost.withinMs,
  });
  const fields = { action: action.kind, priority: boost.priority, holder: boost.holder, ...result };
  if (result.master === true) {
    log.info(fields, `${action.container} took the address over at priority ${boost.priority}`);
  } else {
    log.warn(
      fields,
      `${action.container} did not become MASTER within ${boost.withinMs} ms at priority ${boost.priority}; ` +
        `${boost.holder} hands over by priority 0 (the address is unheld for a backup's skew time)`,
    );
  }
}
