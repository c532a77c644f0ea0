import { open, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { RevisionAudit } from '../core/revision-audit.js';
import type { RevisionRecord } from '../ports.js';

/** A record is a few kilobytes; anything much bigger is not ours. */
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * The revision audit in a JSON file beside the lock file (one per manifest source and swarm):
 * written by the acting reconciler whenever the verdict changes (a new file renamed over the old,
 * so a reader never sees half of it), read by `reconciler status` and by the next run.
 */
export class RevisionRecordFile implements RevisionRecord {
  constructor(private readonly file: string) {}

  async read(): Promise<RevisionAudit | undefined> {
    let text: string;
    try {
      const handle = await open(this.file, 'r');
      try {
        const buffer = Buffer.alloc(MAX_RECORD_BYTES + 1);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
        if (bytesRead > MAX_RECORD_BYTES) return undefined;
        text = buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch {
      return undefined;
    }
    return parseRecord(text);
  }

  async write(audit: RevisionAudit): Promise<void> {
    const temp = `${this.file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, `${JSON.stringify(audit)}\n`, { mode: 0o600 });
    await rename(temp, this.file);
  }
}

/** The record, if it has the audit's shape; anything else is no record. */
export function parseRecord(text: string): RevisionAudit | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
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
