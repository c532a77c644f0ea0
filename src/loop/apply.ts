import type { Action } from '../core/types.js';
import { groupActionsByVip } from '../core/plan.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NodeRuntime } from '../ports.js';

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
 * holder down while no updated backup is ready.
 */
export async function applyPlan(
  actions: readonly Action[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<ActionOutcome[]> {
  const perVip = await Promise.all(
    [...groupActionsByVip(actions).values()].map((steps) => applyInOrder(steps, runtimes, log)),
  );
  return perVip.flat();
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

function addsOnly(action: Action): boolean {
  return action.kind === 'create' || action.kind === 'start';
}

async function applyInOrder(
  steps: readonly Action[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  for (const batch of rolloutBatches(steps)) {
    if (outcomes.some((o) => o.result !== 'done')) {
      const error = `an earlier step of ${batch[0]?.vip ?? 'this VIP'} failed`;
      outcomes.push(...batch.map((action) => ({ action, result: 'skipped' as const, error })));
      continue;
    }
    outcomes.push(...(await Promise.all(batch.map((action) => applyOne(action, runtimes, log)))));
  }
  return outcomes;
}

async function applyOne(
  action: Action,
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<ActionOutcome> {
  const actionLog = log.child({ vip: action.vip, node: action.node, container: action.container });
  try {
    actionLog.info({ action: action.kind, reason: action.reason }, `${action.kind} ${action.container}`);
    await runAction(action, runtimes);
    return { action, result: 'done' };
  } catch (error) {
    const message = describeError(error);
    actionLog.error({ action: action.kind, err: message }, `${action.kind} ${action.container} failed`);
    return { action, result: 'failed', error: message };
  }
}

async function runAction(action: Action, runtimes: ReadonlyMap<string, NodeRuntime>): Promise<void> {
  const runtime = runtimes.get(action.node);
  if (!runtime) throw new Error(`node ${action.node} has no Docker endpoint`);
  switch (action.kind) {
    case 'create':
      return runtime.create(action.desired);
    case 'replace':
      // Same name, same VRRP instance: the old one must be gone before the new one starts.
      await runtime.remove(action.existingId);
      return runtime.create(action.desired);
    case 'start':
      return runtime.start(action.existingId);
    case 'remove':
      return runtime.remove(action.existingId);
    default: {
      const unknown: never = action;
      throw new Error(`unknown action ${JSON.stringify(unknown)}`);
    }
  }
}
