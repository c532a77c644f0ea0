/**
 * The reconcile contract. A pass is level-triggered: it never asks which event woke it. It reads
 * the world (desired state from the manifests, actual state from every node), compares the two,
 * and acts on the difference. Planning is pure and idempotent: applying a plan and planning again
 * against the resulting world yields no actions, so a pass that is interrupted, repeated or
 * triggered twice converges all the same.
 *
 * Rules, per VIP and node:
 * - only managed containers are seen (ActualState holds nothing else), so nothing else is touched;
 * - frozen VIPs (suspended, unloadable, or unrenderable) get no action at all; when the names of a
 *   broken file are unknown, containers of VIPs missing from the manifests are frozen too;
 * - unreachable (or unobserved) nodes get no action: their state is unknown;
 * - missing → create; stopped with the right spec hash → start; other spec hash → replace;
 * - marked sick by the loop (stuck in FAULT, restarting in a loop) → replace;
 * - running with a priority a hand-over raised and never restored (seen by the loop) → restore;
 * - waiting out its crash-loop backoff (set by the loop) → nothing, not even a start;
 * - a container of a VIP no longer declared, or on a node no longer targeted → remove;
 * - another managed container of the same VIP on the same node (other name) → remove;
 * - an unmanaged keepalived claiming the VIP's address: without `adopt` the VIP gets no action
 *   (starting a second VRRP group for one address would make them fight); with `adopt` it is
 *   replaced by the managed container on its node, or removed where the VIP has no target.
 *
 * Order within a VIP: the node holding the VIP last, so backups roll first and the VIP moves at
 * most once; before that, creates and starts, then replaces, then removes (new capacity before
 * old goes), then by node and container name. The holder is taken away only once another node has
 * taken the address over: a new keepalived that outranks it preempts it first (markTakeOver), or
 * else the best ready backup is raised above it for the hand-over (priority-boost.ts). VIPs come in name order; the apply layer may run
 * them in parallel but must keep each VIP's order.
 */
import { compareStrings } from './compare-strings.js';
import { foreignClaims, type ForeignClaim } from './foreign-claims.js';
import { planPriorityBoost } from './priority-boost.js';
import type {
  Action,
  ActionKind,
  ActualContainer,
  ActualState,
  DesiredContainer,
  DesiredState,
} from './types.js';

/** Rank of each kind among one VIP's actions on non-holder nodes (and again on the holder). */
const KIND_ORDER: Readonly<Record<ActionKind, number>> = {
  create: 0,
  start: 1,
  replace: 2,
  remove: 3,
  // A hand-over's raise and restore are placed by planPriorityBoost after ordering, around the
  // holder's steps; a restore left over from an unfinished hand-over goes first.
  'raise-priority': 4,
  'restore-priority': -1,
};

export interface PlanOptions {
  /** Replace unmanaged keepalived containers that claim a declared VIP's address. */
  adopt?: boolean;
}

/** The actions that take `actual` to `desired`, in the order they must run. */
export function planActions(desired: DesiredState, actual: ActualState, options: PlanOptions = {}): Action[] {
  const observed = reachableContainers(actual);
  const claimsByVip = groupBy(foreignClaims(desired, actual.nodes), (c) => c.vip);
  const desiredByVip = groupBy(desired.containers, (c) => c.vip);
  const actualByVip = groupBy([...observed.values()].flat(), (c) => c.vip);
  const vips = [...new Set([...desiredByVip.keys(), ...actualByVip.keys()])].sort(compareStrings);
  const actions: Action[] = [];
  for (const vip of vips) {
    const wanted = desiredByVip.get(vip) ?? [];
    const claims = claimsByVip.get(vip) ?? [];
    if (isFrozen(desired, vip, wanted.length > 0) || (claims.length > 0 && !options.adopt)) continue;
    const planned = planVip(vip, wanted, actualByVip.get(vip) ?? [], observed);
    const adopted = adopt(planned, claims);
    const holder = actual.holders[vip];
    const ordered = markTakeOver(orderVipActions(adopted, holder), holder, wanted);
    actions.push(...planPriorityBoost(ordered, holder, wanted, actualByVip.get(vip) ?? []));
  }
  return actions;
}

/** Actions grouped by VIP, VIPs in first-appearance order, each VIP's actions in plan order. */
export function groupActionsByVip(actions: readonly Action[]): Map<string, Action[]> {
  return groupBy(actions, (a) => a.vip);
}

function isFrozen(desired: DesiredState, vip: string, isDesired: boolean): boolean {
  return desired.frozen.names.has(vip) || (desired.frozen.unknownNames && !isDesired);
}

/** Containers by node, for reachable nodes only. */
function reachableContainers(actual: ActualState): Map<string, readonly ActualContainer[]> {
  const byNode = new Map<string, readonly ActualContainer[]>();
  for (const observation of actual.nodes) {
    if (observation.reachable) byNode.set(observation.node, observation.containers);
  }
  return byNode;
}

function planVip(
  vip: string,
  wanted: readonly DesiredContainer[],
  existing: readonly ActualContainer[],
  observed: ReadonlyMap<string, readonly ActualContainer[]>,
): Action[] {
  const actions: Action[] = [];
  const wantedByNode = new Map(wanted.map((d) => [d.node, d]));
  const vipDeclared = wanted.length > 0;
  for (const desiredContainer of wanted) {
    if (!observed.has(desiredContainer.node)) continue;
    const current = existing.find(
      (c) => c.node === desiredContainer.node && c.name === desiredContainer.name,
    );
    const action = converge(desiredContainer, current);
    if (action) actions.push(action);
  }
  for (const container of existing) {
    const want = wantedByNode.get(container.node);
    // One that its engine is removing already is going: nothing to do.
    if (want?.name === container.name || container.removing) continue;
    const reason = !vipDeclared
      ? 'VIP deleted'
      : want
        ? `duplicate of ${want.name}`
        : 'node no longer targeted';
    actions.push({
      kind: 'remove',
      ...base(container.node, vip, container.name, reason),
      existingId: container.id,
    });
  }
  return actions;
}

/**
 * Folds adoption into a VIP's actions: where the managed container is to be created on a node
 * whose unmanaged keepalived claims the address, the create becomes a replace of that container
 * (stop it, then start ours: never both on one node); a claiming container anywhere else goes.
 */
function adopt(actions: Action[], claims: readonly ForeignClaim[]): Action[] {
  const adopted = [...actions];
  for (const claim of claims) {
    const { container } = claim;
    const why = `adopt: unmanaged ${container.name} (${container.image}) claims ${claim.addresses.join(', ')}`;
    const i = adopted.findIndex((a) => a.kind === 'create' && a.node === container.node);
    const create = adopted[i];
    if (create?.kind === 'create') {
      adopted[i] = { ...create, kind: 'replace', existingId: container.id, reason: why };
    } else {
      adopted.push({
        kind: 'remove',
        ...base(container.node, claim.vip, container.name, why),
        existingId: container.id,
      });
    }
  }
  return adopted;
}

function converge(desired: DesiredContainer, current: ActualContainer | undefined): Action | undefined {
  const at = (reason: string) => base(desired.node, desired.vip, desired.name, reason);
  if (!current) return { kind: 'create', ...at('missing'), desired };
  if (current.removing) return { kind: 'create', ...at('being removed'), desired };
  if (current.specHash !== desired.specHash) {
    const stopped = current.running ? '' : ' (container stopped)';
    return {
      kind: 'replace',
      ...at(`spec hash ${current.specHash || '(none)'} → ${desired.specHash}${stopped}`),
      existingId: current.id,
      desired,
    };
  }
  if (current.sick !== undefined) {
    return { kind: 'replace', ...at(`sick: ${current.sick}`), existingId: current.id, desired };
  }
  if (current.crashLoopBackoff !== undefined) return undefined;
  if (!current.running) return { kind: 'start', ...at('container stopped'), existingId: current.id };
  if (current.reloadedPriority !== undefined && current.reloadedPriority !== desired.priority) {
    return {
      kind: 'restore-priority',
      ...at(
        `runs priority ${current.reloadedPriority} since a hand-over that did not finish; back to the manifest's priority ${desired.priority}`,
      ),
      priority: desired.priority,
    };
  }
  return undefined;
}

function base(node: string, vip: string, container: string, reason: string) {
  return { node, vip, container, reason };
}

function orderVipActions(actions: Action[], holder: string | undefined): Action[] {
  const onHolder = (a: Action): number => (holder !== undefined && a.node === holder ? 1 : 0);
  return actions.sort(
    (a, b) =>
      onHolder(a) - onHolder(b) ||
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      compareStrings(a.node, b.node) ||
      compareStrings(a.container, b.container),
  );
}

/**
 * When a later step takes the holder's keepalived away, the first new keepalived that outranks it
 * (by the manifest's priorities; preemption on) is to preempt it first: the address then moves
 * without a moment unheld. Without one, the holder would hand over by priority 0 and the best
 * backup would wait out its skew time (VRRP has no faster way to a lower priority): planPriorityBoost
 * raises that backup above the holder for the hand-over instead.
 */
export function markTakeOver(
  actions: Action[],
  holder: string | undefined,
  wanted: readonly DesiredContainer[],
): Action[] {
  if (holder === undefined) return actions;
  const holderTouched = actions.some(
    (a) => a.node === holder && (a.kind === 'replace' || a.kind === 'remove'),
  );
  if (!holderTouched) return actions;
  const holderPriority = wanted.find((c) => c.node === holder)?.priority ?? 0;
  const index = actions.findIndex(
    (a) =>
      (a.kind === 'create' || a.kind === 'replace') &&
      a.node !== holder &&
      a.desired.preemptWithinMs !== undefined &&
      a.desired.priority > holderPriority,
  );
  const chosen = actions[index];
  if (!chosen || (chosen.kind !== 'create' && chosen.kind !== 'replace')) return actions;
  const marked = [...actions];
  marked[index] = { ...chosen, takeOver: { holder, withinMs: chosen.desired.preemptWithinMs ?? 0 } };
  return marked;
}

function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
