import { setTimeout as sleep } from 'node:timers/promises';
import { describeAnomaly } from '../core/anomalies.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { fencedDirectory } from '../loop/fenced-directory.js';
import { foreignClaims } from '../core/foreign-claims.js';
import { observeNodes } from '../loop/observe.js';
import { runPass, type PassResult } from '../loop/pass.js';
import { vipTraits } from '../loop/anomaly-facts.js';
import { describeRepair, probeAnomalies, repairStaleAddresses } from '../loop/probe-anomalies.js';
import { ReconcileLoop } from '../loop/reconcile-loop.js';
import type { RevisionTracker } from '../loop/revision-tracker.js';
import type { SingleActor } from '../loop/single-actor.js';
import { CrashLoopRecorder } from '../loop/crash-loop-recorder.js';
import { composePassDeps, composeRevisionTracker, crashLoopRecord } from './compose.js';
import { composeSingleActor } from './compose-single-actor.js';
import { EXIT, onceExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';
import { planStepView } from './render-plan.js';
import { formatProblems } from './validate-command.js';

/** `--once` found another reconciler acting: nothing was done (design contract). */
const EXIT_NOT_ACTING = EXIT.run.lockHeld;

/**
 * `reconciler` (watch mode) and `reconciler --once`. Both act only while they hold the lock (see
 * SingleActor), so two overlapping cron runs (or a cron run beside the daemon) never both change
 * the cluster. `--once` that finds it held does nothing and exits 3; the daemon waits as a standby.
 */
export async function runCommand(config: Config, once: boolean, log: Logger, io: CommandIo): Promise<number> {
  return once ? runOnceAlone(config, log, io) : watchUntilSignal(config, log);
}

async function runOnceAlone(config: Config, log: Logger, io: CommandIo): Promise<number> {
  const actor = composeSingleActor(config, log, () => undefined);
  try {
    const waiting = await actor.tryOnce();
    if (waiting) {
      io.stdout(
        `not acting: another reconciler is acting on the same manifests (the ${waiting.gate} is held` +
          `${waiting.holder ? ` by ${waiting.holder}` : ''}); nothing was done`,
      );
      return EXIT_NOT_ACTING;
    }
    return await runOnce(config, log, io, actor);
  } finally {
    await actor.releaseAll();
  }
}

async function runOnce(config: Config, log: Logger, io: CommandIo, actor: SingleActor): Promise<number> {
  const deps = composePassDeps(config, log);
  const result = await runPass({ ...deps, directory: fencedDirectory(deps.directory, () => actor.mayAct()) });
  for (const outcome of result.outcomes) {
    const step = planStepView(outcome.action);
    const detail = outcome.result === 'done' ? '' : `: ${outcome.error}`;
    io.stdout(
      `${outcome.result.padEnd(7)} ${step.kind} ${step.container} on ${step.node} (${step.reason})${detail}`,
    );
  }
  for (const node of result.actual.nodes)
    if (!node.reachable) io.stdout(`failed  node ${node.node} unreachable: ${node.error}`);
  for (const line of formatProblems(result.problems, process.cwd())) io.stderr(line);
  const notApplied = await recordRevision(config, log, result);
  // After changes VRRP needs its master-down time before the addresses say anything, and the
  // containers are looked at afresh: the pass's own observation predates what it started.
  const world = result.outcomes.length > 0 ? await settledWorld(result) : result;
  const { anomalies } = await probeAnomalies(world);
  const repairs = await repairStaleAddresses(world, anomalies);
  for (const anomaly of anomalies) {
    io.stdout(`anomaly ${anomaly.kind}: ${describeAnomaly(anomaly)}${describeRepair(repairs.get(anomaly))}`);
  }
  // Exit 1 even when every stale address was removed: for a moment a node answered for an address
  // it should not have (clients saw it), and a cron job must hear of it.
  const code = anomalies.length > 0 ? EXIT.run.failed : onceExitCode(result);
  io.stdout(`${ONCE_SUMMARY[code] ?? 'done'} (revision ${result.revision.manifests})`);
  if (notApplied) io.stdout(notApplied);
  return code;
}

/** The pass's world, its nodes observed again once VRRP has had its master-down time. */
async function settledWorld(result: PassResult): Promise<PassResult> {
  await sleep(settleMs(result));
  const nodes = await observeNodes(result.runtimes);
  return { ...result, actual: { nodes, holders: {} }, claims: foreignClaims(result.desired, nodes) };
}

/** Records the pass in the revision audit; says so when its revision is not applied. */
async function recordRevision(
  config: Config,
  log: Logger,
  result: Parameters<RevisionTracker['afterPass']>[0],
): Promise<string | undefined> {
  const revisions = await composeRevisionTracker(config, log);
  const { attempted, applied } = revisions.afterPass(result);
  await revisions.flush();
  if (attempted.outcome === 'applied') return undefined;
  return `revision ${attempted.revision} not applied (${attempted.outcome}); applied: ${applied?.revision ?? 'none'}`;
}

/** Master-down time of the slowest VIP and a margin, at most 5 s. */
function settleMs(world: Parameters<typeof vipTraits>[0]): number {
  const slowest = Math.max(0, ...vipTraits(world).map((t) => t.advertIntervalSeconds));
  return Math.min(5000, Math.round(slowest * 4000) + 500);
}

const ONCE_SUMMARY: Record<number, string> = {
  [EXIT.run.converged]: 'converged',
  [EXIT.run.failed]: 'something failed or an address is held wrongly (see above)',
  [EXIT.run.invalidManifests]: 'valid VIPs converged, but some manifests are invalid (see above)',
};

async function watchUntilSignal(config: Config, log: Logger): Promise<number> {
  const server = config.listen
    ? new (await import('./status-server.js')).StatusServer({ livenessBoundMs: livenessBoundMs(config) })
    : undefined;
  if (server && config.listen) {
    const address = await server.listen(config.listen.host, config.listen.port);
    log.info({ address }, `serving /status, /metrics, /livez, /readyz and /healthz on http://${address}`);
  }
  const stop = new AbortController();
  const onSignal = (signal: string) => {
    log.info({ signal }, 'stopping: finishing the pass in flight');
    stop.abort();
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  const actor = composeSingleActor(config, log, (role) => server?.setRole(role));
  await actor.run(stop.signal, async (lost) => {
    const deps = composePassDeps(config, log);
    server?.setSource(() => deps.manifests.status?.());
    const crashLoops = new CrashLoopRecorder({ record: crashLoopRecord(config), log, nowMs: Date.now });
    const loop = new ReconcileLoop({
      ...deps,
      revisions: await composeRevisionTracker(config, log),
      directory: fencedDirectory(deps.directory, () => actor.mayAct()),
      resyncIntervalMs: config.resyncIntervalMs,
      healthIntervalMs: config.healthIntervalMs,
      settleMs: config.healthSettleMs,
      watch: { faultReplaceMs: config.faultReplaceMs },
      requeue: { baseMs: config.requeueBaseMs, maxMs: config.requeueMaxMs },
      onStatus: (status) => {
        server?.update(status);
        crashLoops.note(status.crashLoops);
      },
      onPassError: (error) => server?.passFailed(error),
      onHeartbeat: () => server?.heartbeat(),
    });
    log.info({ manifests: config.manifestsDir, swarm: config.swarmUrl }, 'watching');
    loop.start();
    await new Promise((resolve) => lost.addEventListener('abort', resolve, { once: true }));
    await loop.stop();
    await crashLoops.flush();
  });
  await server?.close();
  log.info('stopped');
  return 0;
}

/**
 * `/livez` fails after this long without a sign of life: three missed health probes, plus what
 * one probe may take.
 */
function livenessBoundMs(config: Config): number {
  return 3 * config.healthIntervalMs + 2 * config.requestTimeoutMs;
}
