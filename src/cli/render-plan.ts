import type { ForeignClaim } from '../core/foreign-claims.js';
import type { Action, DesiredState, ManifestProblem, NodeObservation } from '../core/types.js';
import { formatProblems, plural } from './validate-command.js';

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

/** What `plan` found: the steps, and what kept it from planning everything. */
export interface PlanFindings {
  actions: readonly Action[];
  problems: readonly ManifestProblem[];
  nodes: readonly NodeObservation[];
  desired: Pick<DesiredState, 'containers'>;
  /** VIPs held back by an unmanaged keepalived claiming their address (without --adopt). */
  blockedVips: number;
}

/**
 * Text form of `plan`: steps in the order a pass applies them (per VIP), then what could not be
 * planned: each unreachable node with the engine's own reason and the VIPs targeting it, then
 * the manifest problems. "Nothing to do" is said only when nothing stood in the way.
 */
export function planText(findings: PlanFindings): string {
  const { actions, problems, nodes, desired } = findings;
  const lines: string[] = [];
  for (const action of actions) {
    lines.push(
      `${action.vip.padEnd(16)} ${action.node.padEnd(12)} ${action.kind.padEnd(8)} ${action.container}  (${action.reason})`,
    );
  }
  const unreachable = nodes.filter((node) => !node.reachable);
  if (actions.length === 0) lines.push(nothingPlanned(findings, unreachable.length));
  for (const node of unreachable) {
    const vips = [...new Set(desired.containers.filter((c) => c.node === node.node).map((c) => c.vip))];
    const targets = vips.length === 0 ? '' : ` (target of VirtualIP ${vips.join(', ')})`;
    lines.push(`node ${node.node} unreachable: ${node.error}; nothing could be planned for it${targets}`);
  }
  lines.push(...formatProblems(problems, process.cwd()));
  return lines.join('\n');
}

/** The line of an empty plan: nothing to do, or nothing to do as far as the plan could see and why it saw no further. */
function nothingPlanned(findings: PlanFindings, unreachable: number): string {
  const { problems, blockedVips } = findings;
  const gaps = [
    ...(unreachable > 0 ? [`${plural(unreachable, 'node')} could not be read`] : []),
    ...(problems.length > 0
      ? [`${plural(problems.length, 'manifest problem')}, whose VIPs are left as they are`]
      : []),
    ...(blockedVips > 0 ? [`${plural(blockedVips, 'VIP')} held back by a hand-run keepalived`] : []),
  ];
  if (gaps.length === 0) return 'Nothing to do: every node runs what the manifests say.';
  return `The plan is incomplete: ${gaps.join('; ')} (below). Nothing to do for the rest.`;
}
