/**
 * What `/livez` and `/readyz` answer, decided from plain facts (pure: the caller brings the time).
 *
 * - live: the loop shows signs of life — a pass finished (well or not), a health probe ran, or a
 *   standby tried the lock — within `livenessBoundMs`. A loop stuck for longer is not live, and a
 *   supervisor should restart it.
 * - ready: the reconciler has decided what it is. A standby is ready (it waits by design and says
 *   who is active); an active one is ready once its first pass loaded the manifests and read the
 *   nodes, and as long as its latest pass did not fail outright.
 */
/** What a reconciler is doing about acting alone. */
export type ActorRole =
  | { role: 'starting' }
  | { role: 'standby'; waitingFor: string; holder: string | undefined }
  | { role: 'active' };

export interface HealthFacts {
  nowMs: number;
  /** When the process started serving: the bound also applies before the first heartbeat. */
  startedAtMs: number;
  /** The latest sign of life of the loop, if any. */
  heartbeatMs: number | undefined;
  livenessBoundMs: number;
  role: ActorRole;
  /** The latest pass finished (manifests loaded, nodes read). */
  passDone: boolean;
  /** Why the latest pass failed before it could plan (manifests unreadable, manager down). */
  passError: string | undefined;
}

export interface HealthVerdict {
  ok: boolean;
  reason: string;
}

export function liveness(facts: HealthFacts): HealthVerdict {
  const lastSign = Math.max(facts.startedAtMs, facts.heartbeatMs ?? facts.startedAtMs);
  const silentMs = facts.nowMs - lastSign;
  if (silentMs > facts.livenessBoundMs) {
    return {
      ok: false,
      reason: `no sign of life from the reconcile loop for ${Math.round(silentMs / 1000)} s (bound ${Math.round(facts.livenessBoundMs / 1000)} s)`,
    };
  }
  return { ok: true, reason: 'alive' };
}

export function readiness(facts: HealthFacts): HealthVerdict {
  const role = facts.role;
  switch (role.role) {
    case 'starting':
      return { ok: false, reason: 'starting: not yet known whether this reconciler is active or a standby' };
    case 'standby':
      return {
        ok: true,
        reason: `standby: the ${role.waitingFor} is held${role.holder ? ` by ${role.holder}` : ''}`,
      };
    case 'active':
      if (facts.passError)
        return { ok: false, reason: `active, but the latest pass failed: ${facts.passError}` };
      if (!facts.passDone) return { ok: false, reason: 'active, first pass not done yet' };
      return { ok: true, reason: 'active, manifests loaded, first pass done' };
  }
}
