import { auditPass, sameVerdict, type RevisionAudit } from '../core/revision-audit.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RevisionRecord } from '../ports.js';
import type { PassResult } from './pass.js';

export interface RevisionTrackerDeps {
  log: Logger;
  /** Wall clock (epoch ms). */
  nowMs: () => number;
  record?: RevisionRecord;
}

/**
 * Keeps the revision audit across passes (`src/core/revision-audit.ts`), logs each change of
 * verdict once (`revision applied`, or `revision not applied` with the reasons, each at
 * `file@revision:line`) and writes it to the record when it changed, so no-op passes write nothing.
 */
export class RevisionTracker {
  /** Record writes, one at a time, in order. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly deps: RevisionTrackerDeps,
    private audit: RevisionAudit | undefined,
  ) {}

  /** A tracker that starts from the record of an earlier run, if there is one. */
  static async open(deps: RevisionTrackerDeps): Promise<RevisionTracker> {
    return new RevisionTracker(deps, await deps.record?.read().catch(() => undefined));
  }

  current(): RevisionAudit | undefined {
    return this.audit;
  }

  /** The audit after `result`; logged and recorded when its verdict changed. */
  afterPass(result: Pick<PassResult, 'revision' | 'problems' | 'outcomes'>): RevisionAudit {
    const previous = this.audit;
    const next = auditPass(previous, {
      revision: result.revision.manifests,
      problems: result.problems,
      failedActions: result.outcomes.flatMap((o) =>
        o.result === 'done' ? [] : [{ vip: o.action.vip, node: o.action.node, error: o.error }],
      ),
      atMs: this.deps.nowMs(),
    });
    this.audit = next;
    if (!sameVerdict(previous, next)) {
      this.logVerdict(next);
      this.writing = this.writing.then(() => this.write(next));
    }
    return next;
  }

  /** Resolves once every record write asked for so far is done. */
  flush(): Promise<void> {
    return this.writing;
  }

  private async write(audit: RevisionAudit): Promise<void> {
    await this.deps.record?.write(audit).catch((error: unknown) => {
      this.deps.log.warn({ err: describeError(error) }, 'cannot record the revision audit');
    });
  }

  private logVerdict(audit: RevisionAudit): void {
    const { attempted, applied } = audit;
    if (attempted.outcome === 'applied') {
      this.deps.log.info({ revision: attempted.revision }, 'revision applied');
      return;
    }
    this.deps.log.warn(
      {
        revision: attempted.revision,
        outcome: attempted.outcome,
        applied: applied?.revision ?? null,
        reasons: attempted.reasons,
        reasonCount: attempted.reasonCount,
      },
      `revision not applied (${attempted.outcome}); still applied: ${applied?.revision ?? 'none'}`,
    );
  }
}
