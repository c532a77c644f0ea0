import type { ActorRole } from '../core/health.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ActorGate } from '../ports.js';

export type { ActorRole };

export interface SingleActorDeps {
  /** Taken in order (the host lock before the swarm lease); all must be held to act. */
  gates: readonly ActorGate[];
  /** How often a standby tries again. */
  pollMs: number;
  /** How often the active replica renews its gates. */
  renewMs: number;
  log: Logger;
  /** Resolves after `ms`, or early (without throwing) when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  onRole: (role: ActorRole) => void;
}

/**
 * Runs `whileActive` only while this reconciler holds every gate. Until then it is a standby: it
 * tries again every `pollMs` and reports who holds the gate. While active it renews the gates
 * every `renewMs`; when a renewal fails (the lease was taken, the manager is gone) it aborts the
 * signal given to `whileActive`, which must stop acting, and goes back to standby. The gates are
 * released when `signal` aborts, so a standby elsewhere takes over at once.
 */
export class SingleActor {
  constructor(private readonly deps: SingleActorDeps) {}

  async run(signal: AbortSignal, whileActive: (lost: AbortSignal) => Promise<void>): Promise<void> {
    try {
      // Bounded by the caller's signal: each round either waits pollMs or runs until the lease is lost.
      while (!signal.aborted) {
        if (!(await this.acquireAll(signal))) break;
        this.deps.onRole({ role: 'active' });
        const lost = new AbortController();
        const renewing = this.renewUntilLost(signal, lost);
        await whileActive(AbortSignal.any([signal, lost.signal]));
        lost.abort();
        await renewing;
      }
    } finally {
      await this.releaseAll();
    }
  }

  /** Gives every gate up (the last taken first), so a standby can take over at once. */
  async releaseAll(): Promise<void> {
    for (const gate of [...this.deps.gates].reverse()) {
      await gate.release().catch((error: unknown) => {
        this.deps.log.warn({ gate: gate.name, err: describeError(error) }, 'could not release');
      });
    }
  }

  /** Whether every gate allows acting right now (the fence checked before each change). */
  mayAct(): boolean {
    return this.deps.gates.every((gate) => gate.mayAct());
  }

  /** Tries each gate once, in order; undefined when all are held, else who holds the first one not held. */
  async tryOnce(): Promise<{ gate: string; holder: string | undefined } | undefined> {
    for (const gate of this.deps.gates) {
      const attempt = await gate.tryAcquire();
      if (!attempt.acquired) return { gate: gate.name, holder: attempt.holder };
    }
    return undefined;
  }

  private async acquireAll(signal: AbortSignal): Promise<boolean> {
    let reported = '';
    while (!signal.aborted) {
      let waiting: { gate: string; holder: string | undefined } | undefined;
      try {
        waiting = await this.tryOnce();
      } catch (error) {
        waiting = { gate: 'gates', holder: undefined };
        this.deps.log.warn({ err: describeError(error) }, 'cannot tell who acts; trying again');
      }
      if (!waiting) return true;
      this.deps.onRole({ role: 'standby', waitingFor: waiting.gate, holder: waiting.holder });
      const said = `${waiting.gate} ${waiting.holder ?? ''}`;
      if (said !== reported) {
        this.deps.log.info(
          { gate: waiting.gate, holder: waiting.holder },
          `standby: the ${waiting.gate} is held${waiting.holder ? ` by ${waiting.holder}` : ''}; taking over when it is free`,
        );
        reported = said;
      }
      await this.deps.sleep(this.deps.pollMs, signal);
    }
    return false;
  }

  private async renewUntilLost(signal: AbortSignal, lost: AbortController): Promise<void> {
    const both = AbortSignal.any([signal, lost.signal]);
    while (!both.aborted) {
      await this.deps.sleep(this.deps.renewMs, both);
      if (both.aborted) return;
      const failed = await this.firstFailedRenewal();
      if (failed) {
        this.deps.log.warn({ gate: failed }, `lost the ${failed}: stopping, back to standby`);
        lost.abort();
        return;
      }
    }
  }

  private async firstFailedRenewal(): Promise<string | undefined> {
    for (const gate of this.deps.gates) {
      const kept = await gate.renew().catch((error: unknown) => {
        this.deps.log.warn({ gate: gate.name, err: describeError(error) }, 'renewal failed');
        return false;
      });
      if (!kept) return gate.name;
    }
    return undefined;
  }
}
