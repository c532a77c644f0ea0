/**
 * The lease that elects one active reconciler among replicas (pure: no I/O, no clock).
 *
 * The lease is a record kept on a swarm object whose version index is a compare-and-swap: a write
 * names the version it read, and the manager refuses it if anyone wrote in between. Clocks of
 * different hosts are never compared. A standby judges expiry on its own clock: a record whose
 * version has not changed for `durationMs` since this standby first saw it is expired. The holder
 * judges its own right on its own clock too: it may act until `durationMs - marginMs` after it
 * *sent* its latest successful write. Since a standby first sees a version no earlier than that
 * write was sent, the holder always stops before any standby can take over.
 */

/** The lease as read from the swarm. `holder` undefined: nobody (never held, or released). */
export interface LeaseRecord {
  version: number;
  holder: string | undefined;
  durationMs: number;
}

/** What a replica remembers of the record between reads: when it first saw this version. */
export interface LeaseSighting {
  version: number;
  firstSeenMs: number;
}

export type LeaseDecision =
  /** No lease object yet: create it, held by us. */
  | { kind: 'create' }
  /** Ours: write it again (same holder) at this version. */
  | { kind: 'renew'; version: number }
  /** Free (released or expired): write ourselves as holder at this version. */
  | { kind: 'take'; version: number; previousHolder: string | undefined }
  /** Someone else holds it and it has not expired on our clock. */
  | { kind: 'wait'; holder: string; expiresInMs: number };

export interface LeaseInput {
  me: string;
  record: LeaseRecord | undefined;
  /** Our previous sighting of the record, if any. */
  sighting: LeaseSighting | undefined;
  nowMs: number;
}

/** The sighting to remember after this read: kept while the version is the same, else now. */
export function nextSighting(
  record: LeaseRecord,
  sighting: LeaseSighting | undefined,
  nowMs: number,
): LeaseSighting {
  return sighting?.version === record.version ? sighting : { version: record.version, firstSeenMs: nowMs };
}

export function decideLease(input: LeaseInput): LeaseDecision {
  const { me, record, nowMs } = input;
  if (!record) return { kind: 'create' };
  if (record.holder === me) return { kind: 'renew', version: record.version };
  if (record.holder === undefined)
    return { kind: 'take', version: record.version, previousHolder: undefined };
  const seen = nextSighting(record, input.sighting, nowMs);
  const expiresInMs = seen.firstSeenMs + record.durationMs - nowMs;
  if (expiresInMs <= 0) return { kind: 'take', version: record.version, previousHolder: record.holder };
  return { kind: 'wait', holder: record.holder, expiresInMs };
}

/**
 * Until when (our clock) the holder may act after a successful write sent at `sentAtMs`: the
 * lease's duration less a margin for clock-rate differences and for an action already on its way.
 */
export function actUntilMs(sentAtMs: number, durationMs: number, marginMs: number): number {
  return sentAtMs + durationMs - marginMs;
}
