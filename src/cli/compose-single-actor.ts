import { setTimeout as sleep } from 'node:timers/promises';
import { HostLock } from '../adapters/host-lock.js';
import type { Config } from '../config.js';
import type { ActorRole } from '../core/health.js';
import type { Logger } from '../log.js';
import { SingleActor } from '../loop/single-actor.js';
import type { ActorGate } from '../ports.js';

/** How often a standby tries the lock again: a freed lock is taken within this. */
const STANDBY_POLL_MS = 500;

/** The gates a reconciler must hold to act (the host lock), wired into a SingleActor. */
export function composeSingleActor(
  config: Config,
  log: Logger,
  onRole: (role: ActorRole) => void,
): SingleActor {
  const gates: ActorGate[] = [new HostLock({ file: config.lockFile, timeoutMs: config.requestTimeoutMs })];
  return new SingleActor({
    gates,
    pollMs: STANDBY_POLL_MS,
    renewMs: STANDBY_POLL_MS * 4,
    log,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
    onRole,
  });
}
