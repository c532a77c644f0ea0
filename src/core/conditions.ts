/**
 * Per-VIP conditions, in the spirit of Kubernetes status conditions: `Ready` (every target node
 * runs the current keepalived, nothing blocks it) and `Degraded` (something is wrong that an
 * operator should look at), each with a CamelCase reason and a message. Pure.
 */
import { compareStrings } from './compare-strings.js';
import type { DesiredState, ManifestProblem, NodeObservation } from './types.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: 'Ready' | 'Degraded';
  status: ConditionStatus;
  /** CamelCase, stable: scripts may match on it. */
  reason: ConditionReason;
  message: string;
}

export type ConditionReason =
  | 'Converged'
  | 'AsExpected'
  | 'Suspended'
  | 'InvalidManifest'
  | 'ActionFailed'
  | 'NodeUnreachable'
  | 'ForeignKeepalived'
  | 'OutOfDate'
  | 'NotHeld'
  | 'HeldByMany';

/** Where a VIP is declared: the file and line of its `metadata.name`. */
export interface DeclaredAt {
  file: string;
  line: number;
}

export interface VipConditions {
  vip: string;
  /** Where it is declared, when it is (a VIP only left in containers has no manifest). */
  declaredAt?: DeclaredAt;
  conditions: [ready: Condition, degraded: Condition];
}

export interface ConditionsInput {
  /** Every VIP a manifest declares (valid or not), with where. */
  declared: ReadonlyMap<string, DeclaredAt>;
  suspended: ReadonlySet<string>;
  desired: DesiredState;
  /** Problems that froze a VIP (those with `vip` set count). */
  problems: readonly ManifestProblem[];
  nodes: readonly NodeObservation[];
  failedActions: readonly { vip: string; node: string; error: string }[];
  /** VIPs left alone because an unmanaged keepalived claims their address (without --adopt). */
  blockedByForeign: ReadonlyMap<string, string>;
  /** Nodes that hold each VIP's address, when probed; absent when no probe was made. */
  holders?: ReadonlyMap<string, readonly string[]>;
  /** VIPs whose containers are not yet as desired (a read without apply), and where. */
  outOfDate?: ReadonlyMap<string, string>;
}

type Verdict = { reason: ConditionReason; message: string };

/** Conditions of every declared VIP, by name. */
export function vipConditions(input: ConditionsInput): VipConditions[] {
  return [...input.declared.keys()].sort(compareStrings).map((vip) => {
    const verdict = firstProblem(vip, input);
    const declaredAt = input.declared.get(vip);
    const at = declaredAt ? { declaredAt } : {};
    if (!verdict) {
      const nodes = input.desired.containers.filter((c) => c.vip === vip).length;
      return {
        vip,
        ...at,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Converged',
            message: `current on ${nodes} node${nodes === 1 ? '' : 's'}`,
          },
          { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' },
        ],
      };
    }
    const suspended = verdict.reason === 'Suspended';
    return {
      vip,
      ...at,
      conditions: [
        { type: 'Ready', status: suspended ? 'Unknown' : 'False', ...verdict },
        suspended
          ? { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' }
          : { type: 'Degraded', status: 'True', ...verdict },
      ],
    };
  });
}

/** The first thing wrong with a VIP, most fundamental first. */
function firstProblem(vip: string, input: ConditionsInput): Verdict | undefined {
  if (input.suspended.has(vip))
    return { reason: 'Suspended', message: 'spec.suspend: containers left as they are' };
  const problem = input.problems.find((p) => p.vip === vip);
  if (problem) {
    return {
      reason: 'InvalidManifest',
      message: `${problem.file}:${problem.line}: ${problem.message} (its containers are left as they are)`,
    };
  }
  const claim = input.blockedByForeign.get(vip);
  if (claim !== undefined) return { reason: 'ForeignKeepalived', message: claim };
  const failed = input.failedActions.find((a) => a.vip === vip);
  if (failed) return { reason: 'ActionFailed', message: `${failed.node}: ${failed.error}` };
  const unreachable = unreachableTargets(vip, input);
  if (unreachable.length > 0) {
    return { reason: 'NodeUnreachable', message: unreachable.map((n) => `${n.node}: ${n.error}`).join('; ') };
  }
  const outOfDate = input.outOfDate?.get(vip);
  if (outOfDate !== undefined) return { reason: 'OutOfDate', message: outOfDate };
  return holderProblem(vip, input.holders?.get(vip));
}

function unreachableTargets(vip: string, input: ConditionsInput): { node: string; error: string }[] {
  const targets = new Set(input.desired.containers.filter((c) => c.vip === vip).map((c) => c.node));
  return input.nodes.flatMap((n) =>
    !n.reachable && targets.has(n.node) ? [{ node: n.node, error: n.error }] : [],
  );
}

function holderProblem(vip: string, holders: readonly string[] | undefined): Verdict | undefined {
  if (holders === undefined || holders.length === 1) return undefined;
  if (holders.length === 0) return { reason: 'NotHeld', message: `no node holds the address of ${vip}` };
  return { reason: 'HeldByMany', message: `held by ${holders.join(', ')} at once` };
}

/** Whether a VIP's Ready condition is True. */
export function isReady(vip: VipConditions): boolean {
  return vip.conditions[0].status === 'True';
}
