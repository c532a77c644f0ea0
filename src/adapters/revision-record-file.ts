import type { RevisionAudit } from '../core/revision-audit.js';
import type { RevisionRecord } from '../ports.js';
import { JsonRecordFile } from './json-record-file.js';

/**
 * The revision audit in a JSON file beside the lock file (one per manifest source and swarm):
 * written by the acting reconciler whenever the verdict changes, read by `reconciler status` and
 * by the next run.
 */
export class RevisionRecordFile extends JsonRecordFile<RevisionAudit> implements RevisionRecord {
  constructor(file: string) {
    super(file, auditOf);
  }
}

/** The record, if it has the audit's shape; anything else is no record. */
function auditOf(value: unknown): RevisionAudit | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { applied, attempted } = value as Partial<Record<'applied' | 'attempted', unknown>>;
  if (!isAttempt(attempted)) return undefined;
  if (applied !== undefined && !isStamp(applied)) return undefined;
  return applied === undefined ? { attempted } : { applied, attempted };
}

function isStamp(value: unknown): value is { revision: string; atMs: number } {
  const v = value as { revision?: unknown; atMs?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.revision === 'string' && typeof v.atMs === 'number';
}

function isAttempt(value: unknown): value is RevisionAudit['attempted'] {
  if (!isStamp(value)) return false;
  const v = value as unknown as Record<string, unknown>;
  return (
    ['applied', 'invalid-manifests', 'actions-failed'].includes(String(v.outcome)) &&
    Array.isArray(v.reasons) &&
    v.reasons.every((r) => typeof r === 'string') &&
    typeof v.reasonCount === 'number'
  );
}
