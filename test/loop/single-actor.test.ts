/** The single-actor driver with scripted gates (pure scheduling logic; real gates are tested apart). */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActorRole } from '../../src/core/health.js';
import { SingleActor } from '../../src/loop/single-actor.js';
import type { ActorGate, GateAttempt } from '../../src/ports.js';

/** A gate that answers from scripts, and records what was asked of it. */
class ScriptedGate implements ActorGate {
  held = false;
  released = 0;
  constructor(
    readonly name: string,
    private readonly attempts: GateAttempt[],
    private readonly renewals: boolean[] = [],
  ) {}
  async tryAcquire(): Promise<GateAttempt> {
    const next = this.attempts.shift() ?? { acquired: true };
    this.held = next.acquired;
    return next;
  }
  async renew(): Promise<boolean> {
    const kept = this.renewals.shift() ?? true;
    if (!kept) this.held = false;
    return kept;
  }
  mayAct(): boolean {
    return this.held;
  }
  async release(): Promise<void> {
    this.held = false;
    this.released++;
  }
}

function actorWith(gates: ActorGate[]) {
  const roles: ActorRole[] = [];
  const actor = new SingleActor({
    gates,
    pollMs: 1,
    renewMs: 1,
    log: pino({ level: 'silent' }),
    sleep: () => new Promise<void>((resolve) => setImmediate(resolve)),
    onRole: (role) => roles.push(role),
  });
  return { actor, roles };
}

describe('SingleActor', () => {
  it('waits as a standby (naming the holder of the first gate not held), then acts', async () => {
    const lock = new ScriptedGate('host lock', [
      { acquired: false, holder: 'pid 1' },
      { acquired: false, holder: 'pid 1' },
    ]);
    const lease = new ScriptedGate('swarm lease', [{ acquired: false, holder: 'node-2' }]);
    const { actor, roles } = actorWith([lock, lease]);
    const stop = new AbortController();
    let mayActWhileActive = false;
    await actor.run(stop.signal, async () => {
      mayActWhileActive = actor.mayAct();
      stop.abort();
    });
    expect(roles).toEqual([
      { role: 'standby', waitingFor: 'host lock', holder: 'pid 1' },
      { role: 'standby', waitingFor: 'host lock', holder: 'pid 1' },
      { role: 'standby', waitingFor: 'swarm lease', holder: 'node-2' },
      { role: 'active' },
    ]);
    expect(mayActWhileActive).toBe(true);
    expect([lock.released, lease.released]).toEqual([1, 1]);
    expect(actor.mayAct()).toBe(false);
  });

  it('a failed renewal aborts the active phase (the loop must stop), then it goes back to standby', async () => {
    const lease = new ScriptedGate(
      'swarm lease',
      [{ acquired: true }, { acquired: false, holder: 'other' }],
      [true, false],
    );
    const { actor, roles } = actorWith([lease]);
    const stop = new AbortController();
    let phases = 0;
    let fencedWhenLost = false;
    await actor.run(stop.signal, async (lost) => {
      phases++;
      if (phases === 2) return stop.abort();
      await new Promise((resolve) => lost.addEventListener('abort', resolve, { once: true }));
      fencedWhenLost = !actor.mayAct();
    });
    expect(fencedWhenLost).toBe(true);
    expect(phases).toBe(2);
    expect(roles.map((r) => r.role)).toEqual(['active', 'standby', 'active']);
  });
});
