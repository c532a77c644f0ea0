import type { CrashLoopSnapshot, CrashLoopView } from '../core/crash-loops.js';
import type { CrashLoopRecord } from '../ports.js';
import { JsonRecordFile } from './json-record-file.js';

/**
 * The sick containers the acting reconciler replaced (crash loops, FAULT), with their reasons
 * and backoff, in a JSON file beside the lock file: written by the daemon whenever they change,
 * read by `reconciler status`, which has no memory of its own across runs.
 */
export class CrashLoopRecordFile extends JsonRecordFile<CrashLoopSnapshot> implements CrashLoopRecord {
  constructor(file: string) {
    super(file, snapshotOf);
  }
}

/** The record, if it has the snapshot's shape; anything else is no record. */
function snapshotOf(value: unknown): CrashLoopSnapshot | undefined {
  const v = value as Partial<Record<keyof CrashLoopSnapshot, unknown>> | null;
  if (typeof v !== 'object' || v === null || typeof v.recordedAtMs !== 'number') return undefined;
  if (!Array.isArray(v.crashLoops) || !v.crashLoops.every(isView)) return undefined;
  return { recordedAtMs: v.recordedAtMs, crashLoops: v.crashLoops };
}

function isView(value: unknown): value is CrashLoopView {
  const v = value as Record<string, unknown> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    ['vip', 'node', 'container', 'reason'].every((key) => typeof v[key] === 'string') &&
    typeof v.replacements === 'number' &&
    (v.backoffUntil === undefined || typeof v.backoffUntil === 'string')
  );
}
