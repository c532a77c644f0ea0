import type { Action } from '../core/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { NodeRuntime } from '../ports.js';

export type ActionOutcome =
  | { action: Action; result: 'done' }
  | { action: Action; result: 'failed'; error: string }
  | { action: Action; result: 'skipped'; error: string };

/**
 * Carries out a plan. VIPs are worked in parallel; the steps of one VIP run in plan order (holder
 * last), each finished before the next begins, so a new container is running before the next old
 * one goes. After a failed step the rest of that VIP's rollout is skipped: going on could take
 * the holder down while no updated backup is ready.
 */
export async function applyPlan(
  actions: readonly Action[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<ActionOutcome[]> {
  const byVip = new Map<string, Action[]>();
  for (const action of actions) byVip.set(action.vip, [...(byVip.get(action.vip) ?? []), action]);
  const perVip = await Promise.all([...byVip.values()].map((steps) => applyInOrder(steps, runtimes, log)));
  return perVip.flat();
}

async function applyInOrder(
  steps: readonly Action[],
  runtimes: ReadonlyMap<string, NodeRuntime>,
  log: Logger,
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  let failure: string | undefined;
  for (const action of steps) {
    const actionLog = log.child({ vip: action.vip, node: action.node, container: action.container });
    if (failure) {
      outcomes.push({ action, result: 'skipped', error: `an earlier step of ${action.vip} failed` });
      continue;
    }
    try {
      actionLog.info({ action: action.kind, reason: action.reason }, `${action.kind} ${action.container}`);
      await runAction(action, runtimes);
      outcomes.push({ action, result: 'done' });
    } catch (error) {
      failure = describeError(error);
      actionLog.error({ action: action.kind, err: failure }, `${action.kind} ${action.container} failed`);
      outcomes.push({ action, result: 'failed', error: failure });
    }
  }
  return outcomes;
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
