import lockfile from 'proper-lockfile';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log.js';
import { onceExitCode, runPass } from '../loop/pass.js';
import { ReconcileLoop } from '../loop/reconcile-loop.js';
import { composePassDeps } from './compose.js';
import type { CommandIo } from './io.js';
import { planStepView } from './render-plan.js';
import { formatProblem } from './validate-command.js';

/**
 * `reconciler` (watch mode) and `reconciler --once`. Both hold a lock file for as long as they act,
 * so two overlapping cron runs (or a cron run beside the daemon) never both change the cluster.
 */
export async function runCommand(config: Config, once: boolean, log: Logger, io: CommandIo): Promise<number> {
  const release = await takeLock(config.lockFile);
  try {
    return once ? await runOnce(config, log, io) : await watchUntilSignal(config, log);
  } finally {
    await release();
  }
}

async function runOnce(config: Config, log: Logger, io: CommandIo): Promise<number> {
  const result = await runPass(composePassDeps(config, log));
  for (const outcome of result.outcomes) {
    const step = planStepView(outcome.action);
    const detail = outcome.result === 'done' ? '' : `: ${outcome.error}`;
    io.stdout(
      `${outcome.result.padEnd(7)} ${step.kind} ${step.container} on ${step.node} (${step.reason})${detail}`,
    );
  }
  for (const node of result.actual.nodes)
    if (!node.reachable) io.stdout(`failed  node ${node.node} unreachable: ${node.error}`);
  for (const problem of result.problems) io.stderr(formatProblem(problem, process.cwd()));
  const code = onceExitCode(result, config.adopt);
  io.stdout(ONCE_SUMMARY[code]);
  return code;
}

const ONCE_SUMMARY = {
  0: 'converged',
  1: 'something failed (see above)',
  2: 'valid VIPs converged, but some manifests are invalid (see above)',
} as const;

async function watchUntilSignal(config: Config, log: Logger): Promise<number> {
  const server = config.listen ? new (await import('./status-server.js')).StatusServer() : undefined;
  const loop = new ReconcileLoop({
    ...composePassDeps(config, log),
    resyncIntervalMs: config.resyncIntervalMs,
    healthIntervalMs: config.healthIntervalMs,
    settleMs: config.healthSettleMs,
    requeue: { baseMs: config.requeueBaseMs, maxMs: config.requeueMaxMs },
    onStatus: (status) => server?.update(status),
  });
  if (server && config.listen) {
    const address = await server.listen(config.listen.host, config.listen.port);
    log.info({ address }, `serving /status, /metrics and /healthz on http://${address}`);
  }
  log.info({ manifests: config.manifestsDir, swarm: config.swarmUrl }, 'watching');
  loop.start();
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'stopping: finishing the pass in flight');
  await loop.stop();
  await server?.close();
  log.info('stopped');
  return 0;
}

async function takeLock(lockFile: string): Promise<() => Promise<void>> {
  try {
    return await lockfile.lock(lockFile, {
      realpath: false,
      lockfilePath: lockFile,
      stale: 30_000,
      update: 10_000,
    });
  } catch (cause) {
    throw new ConfigError(
      'lock-held',
      `another reconciler is acting on the same manifests (lock ${lockFile} is held); not acting. ` +
        `Use --lock-file to separate unrelated reconcilers.`,
      { cause },
    );
  }
}
