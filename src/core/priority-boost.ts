/**
 * The hand-over from a holder that nobody outranks. When a rollout takes the VIP's holder away
 * (replace, remove) and no new keepalived outranks it (see markTakeOver), the holder's goodbye is
 * a priority-0 advert, after which the best backup waits out its skew time ((256 - priority) /
 * 256 x advert interval: 609 ms for priority 100 at 1 s) before it adds the address. VRRP has no
 * faster hand-over to a lower priority, so the plan makes the successor a higher one first:
 *
 * 1. `raise-priority` on the best running managed keepalived on another target node: its running
 *    config gets priority {@link BOOST_PRIORITY} and is reloaded; it preempts the holder, adding
 *    the address before the holder lets go;
 * 2. the holder's steps (now a backup: taking it away moves nothing);
 * 3. `restore-priority`: the successor's running config gets the manifest's priority back and is
 *    reloaded; the new keepalived on the top node preempts it in turn (no moment unheld either).
 *
 * The raised priority lives only in the running config: every container start writes the config
 * from the delivered template again, so a restart brings back the manifest's priority.
 */
import { compareStrings } from './compare-strings.js';
import type { Action, ActualContainer, DesiredContainer } from './types.js';

/**
 * The raised priority: the highest a manifest allows (255 means "address owner" in VRRP). Not the
 * holder's priority + 1, because the priority the holder runs is not always the manifest's: a
 * hand-run keepalived being adopted, or an older spec being replaced, may run another one.
 */
export const BOOST_PRIORITY = 254;

/**
 * Adds the raise before the first step that takes the holder's keepalived away and the restore
 * after the VIP's last step, when that hand-over would otherwise leave the address unheld; when it
 * cannot (the holder's priority cannot be outranked, no successor is ready), the holder's step
 * says why in its reason; with preemption off (`preempt: false`) nothing is added. `actions` are one VIP's, in plan order (holder last).
 */
export function planPriorityBoost(
  actions: readonly Action[],
  holder: string | undefined,
  wanted: readonly DesiredContainer[],
  existing: readonly ActualContainer[],
): Action[] {
  const holderStep = actions.findIndex(
    (a) => a.node === holder && (a.kind === 'replace' || a.kind === 'remove'),
  );
  // A deleted VIP's address goes away with it: no hand-over to protect.
  if (holder === undefined || holderStep < 0 || wanted.length === 0) return [...actions];
  if (actions.some((a) => (a.kind === 'create' || a.kind === 'replace') && a.takeOver)) return [...actions];
  const withReason = (why: string): Action[] =>
    actions.map((a, i) => (i === holderStep ? { ...a, reason: `${a.reason}; ${why}` } : a));
  const holderPriority = wanted.find((c) => c.node === holder)?.priority;
  if (holderPriority !== undefined && holderPriority >= BOOST_PRIORITY) {
    return withReason(
      `no hand-over boost: the holder's priority ${holderPriority} cannot be outranked, the address is unheld for a backup's skew time`,
    );
  }
  const before = actions.slice(0, holderStep);
  const successor = wanted
    .filter((c) => c.node !== holder && c.preemptWithinMs !== undefined && readyBefore(c, before, existing))
    .sort((a, b) => b.priority - a.priority || compareStrings(a.node, b.node))[0];
  // With preemption off (preempt: false) no backup would take the address from a holder: the
  // operator chose the priority-0 hand-over, and nothing is added to say so.
  if (wanted.every((c) => c.preemptWithinMs === undefined)) return [...actions];
  if (successor?.preemptWithinMs === undefined) {
    return withReason(
      "no hand-over boost: no current keepalived of this VIP runs on another node, the address is unheld for a backup's skew time",
    );
  }
  const at = { node: successor.node, vip: successor.vip, container: successor.name };
  // A restore left over from an unfinished hand-over of the successor: the one at the end does it.
  const rest = actions.filter(
    (a) => !(a.kind === 'restore-priority' && a.node === at.node && a.container === at.container),
  );
  const holderAt = rest.findIndex((a) => a.node === holder && (a.kind === 'replace' || a.kind === 'remove'));
  const raise: Action = {
    kind: 'raise-priority',
    ...at,
    reason:
      `hand-over: ${holder} holds the address and no new keepalived outranks it` +
      `${holderPriority === undefined ? '' : ` (priority ${holderPriority})`}; raised from ` +
      `${successor.priority} to ${BOOST_PRIORITY} so this node takes the address over before ${holder} lets go`,
    boost: { priority: BOOST_PRIORITY, holder, withinMs: successor.preemptWithinMs },
  };
  const restore: Action = {
    kind: 'restore-priority',
    ...at,
    reason: `hand-over done: back to the manifest's priority ${successor.priority}`,
    priority: successor.priority,
  };
  return [...rest.slice(0, holderAt), raise, ...rest.slice(holderAt), restore];
}

/**
 * Whether `c`'s keepalived runs the current spec once `before` has run: an earlier step creates,
 * replaces or starts it (if it fails, the rollout stops there), or it runs already, healthy.
 */
function readyBefore(
  c: DesiredContainer,
  before: readonly Action[],
  existing: readonly ActualContainer[],
): boolean {
  if (before.some((a) => a.node === c.node && a.container === c.name && a.kind !== 'remove')) return true;
  return existing.some(
    (e) =>
      e.node === c.node &&
      e.name === c.name &&
      e.running &&
      e.specHash === c.specHash &&
      e.sick === undefined &&
      e.crashLoopBackoff === undefined,
  );
}
