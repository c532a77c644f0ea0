import type { ForeignClaim } from '../core/foreign-claims.js';
import type { Action, ManifestProblem, NodeObservation } from '../core/types.js';
import { formatProblems } from './validate-command.js';

/** A plan step as shown to people and programs: never the rendered files (they may hold a password). */
export interface PlanStepView {
  kind: Action['kind'];
  node: string;
  vip: string;
  container: string;
  reason: string;
  specHash?: string;
}

export function planStepView(action: Action): PlanStepView {
  const { kind, node, vip, container, reason } = action;
  const specHash =
    action.kind === 'create' || action.kind === 'replace' ? action.desired.specHash : undefined;
  return specHash ? { kind, node, vip, container, reason, specHash } : { kind, node, vip, container, reason };
}

/** An unmanaged keepalived's claim, as JSON output shows it. */
export function claimView(claim: ForeignClaim) {
  const { container } = claim;
  return {
    vip: claim.vip,
    node: container.node,
    container: container.name,
    image: container.image,
    addresses: claim.addresses,
  };
}

/** Text form of `plan`: steps in the order a pass applies them (per VIP), then problems. */
export function planText(
  actions: readonly Action[],
  problems: readonly ManifestProblem[],
  nodes: readonly NodeObservation[],
): string {
  const lines: string[] = [];
  for (const action of actions) {
    lines.push(
      `${action.vip.padEnd(16)} ${action.node.padEnd(12)} ${action.kind.padEnd(8)} ${action.container}  (${action.reason})`,
    );
  }
  if (actions.length === 0) lines.push('Nothing to do: every node runs what the manifests say.');
  for (const node of nodes) if (!node.reachable) lines.push(`node ${node.node} unreachable: ${node.error}`);
  lines.push(...formatProblems(problems, process.cwd()));
  return lines.join('\n');
}
