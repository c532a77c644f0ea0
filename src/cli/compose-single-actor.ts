import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerClientFor } from '../adapters/docker/connect.js';
import { SwarmLease } from '../adapters/docker/swarm-lease.js';
import { HostLock } from '../adapters/host-lock.js';
import type { Config } from '../config.js';
import type { ActorRole } from '../core/health.js';
import type { Logger } from '../log.js';
import { SingleActor } from '../loop/single-actor.js';
import type { ActorGate } from '../ports.js';

/** How often a standby tries the lock again: a freed lock is taken within this. */
const STANDBY_POLL_MS = 500;

/**
 * The gates a reconciler must hold to act — the host lock, then (with --leader-election) the
 * swarm lease — wired into a SingleActor. The lease is renewed four times per duration and the
 * holder stops acting a quarter duration before a standby could take over.
 */
export function composeSingleActor(
  config: Config,
  log: Logger,
  onRole: (role: ActorRole) => void,
): SingleActor {
  const gates: ActorGate[] = [new HostLock({ file: config.lockFile, timeoutMs: config.requestTimeoutMs })];
  const election = config.leaderElection;
  if (election && config.swarmUrl) {
    gates.push(
      new SwarmLease({
        manager: dockerClientFor(
          'swarm manager',
          {
            url: config.swarmUrl,
            tls: config.swarmUrl.startsWith('tcp://') ? config.discoveredTls : undefined,
            ssh: config.swarmUrl.startsWith('ssh://') ? config.ssh : undefined,
          },
          5000,
        ),
        name: election.leaseName,
        me: `${hostname()}/pid ${process.pid}`,
        durationMs: election.leaseDurationMs,
        marginMs: election.leaseDurationMs / 4,
        nowMs: () => performance.now(),
      }),
    );
  }
  return new SingleActor({
    gates,
    pollMs: STANDBY_POLL_MS,
    renewMs: election ? election.leaseDurationMs / 4 : STANDBY_POLL_MS * 4,
    log,
    sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
    onRole,
  });
}
