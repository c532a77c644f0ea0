/**
 * Which manifest revision is applied, which was tried last, and why that one was not applied:
 * what an operator of a GitOps repository asks first. Pure: the caller passes the time.
 *
 * A revision is *applied* by a pass that found no problem in any of its manifests and whose every
 * planned action succeeded: the nodes then run what that revision says, in full. A pass that
 * found a broken manifest or had an action fail leaves the applied revision where it was (its
 * valid VIPs were still reconciled: the design keeps them going) and records the attempt with
 * its reasons. Nodes that could not be reached do not count against a revision: they are reported
 * per node, and a node that is down would otherwise hold every later revision back.
 */
import type { ManifestProblem } from './types.js';

/** How many reasons an attempt keeps (a revision with 10,000 broken files costs 20 lines). */
export const MAX_AUDIT_REASONS = 20;

export type AttemptOutcome =
  /** Every manifest valid, every action done. */
  | 'applied'
  /** Some manifest of the revision is invalid (its VIP was left as it was). */
  | 'invalid-manifests'
  /** The manifests are valid, but an action failed; the pass is retried with backoff. */
  | 'actions-failed';

export interface RevisionAttempt {
  revision: string;
  /** When the pass ended (epoch ms). */
  atMs: number;
  outcome: AttemptOutcome;
  /**
   * Why it is not applied: each manifest problem as `file@revision:line: message` (a git commit's
   * files are named `path@commit`), each failed action as `VIP on node: error`. At most
   * {@link MAX_AUDIT_REASONS}.
   */
  reasons: string[];
  /** How many reasons there were in all. */
  reasonCount: number;
}

export interface RevisionAudit {
  /** The latest revision applied in full, and when; absent until one was. */
  applied?: { revision: string; atMs: number };
  /** The latest revision a pass worked from. */
  attempted: RevisionAttempt;
}

/** What one pass tells about its revision. */
export interface PassFacts {
  revision: string;
  problems: readonly ManifestProblem[];
  failedActions: readonly { vip: string; node: string; error: string }[];
  atMs: number;
}

/** The audit after one more pass. */
export function auditPass(previous: RevisionAudit | undefined, pass: PassFacts): RevisionAudit {
  const reasons = [
    ...pass.problems.map((p) => `${problemLocation(p, pass.revision)}: ${p.message}`),
    ...pass.failedActions.map((a) => `${a.vip} on ${a.node}: ${a.error}`),
  ];
  const outcome: AttemptOutcome =
    pass.problems.length > 0
      ? 'invalid-manifests'
      : pass.failedActions.length > 0
        ? 'actions-failed'
        : 'applied';
  const attempted: RevisionAttempt = {
    revision: pass.revision,
    atMs: pass.atMs,
    outcome,
    reasons: reasons.slice(0, MAX_AUDIT_REASONS),
    reasonCount: reasons.length,
  };
  if (outcome === 'applied') {
    // A revision applied again keeps the time it was first applied.
    const since = previous?.applied?.revision === pass.revision ? previous.applied.atMs : pass.atMs;
    return { applied: { revision: pass.revision, atMs: since }, attempted };
  }
  return previous?.applied ? { applied: previous.applied, attempted } : { attempted };
}

/**
 * `file@revision:line`: a git source already names its files `path@commit` (12 hex digits); a
 * directory's files get the directory's content hash.
 */
export function problemLocation(problem: Pick<ManifestProblem, 'file' | 'line'>, revision: string): string {
  const named = problem.file.endsWith(`@${revision.slice(0, 12)}`);
  return `${named ? problem.file : `${problem.file}@${revision}`}:${problem.line}`;
}

/** Whether two audits say the same (apart from the time of the attempt). */
export function sameVerdict(a: RevisionAudit | undefined, b: RevisionAudit): boolean {
  return (
    a !== undefined &&
    a.applied?.revision === b.applied?.revision &&
    a.attempted.revision === b.attempted.revision &&
    a.attempted.outcome === b.attempted.outcome &&
    a.attempted.reasons.join('\n') === b.attempted.reasons.join('\n')
  );
}
