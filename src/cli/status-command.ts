import type { VipStatus } from '../core/status.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { passResult, readWorld } from '../loop/pass.js';
import { probeAnomalies } from '../loop/probe-anomalies.js';
import { describeAnomaly } from '../core/anomalies.js';
import type { VipConditions } from '../core/conditions.js';
import { composePassDeps, crashLoopRecord, revisionRecord } from './compose.js';
import { describeCrashLoop, type CrashLoopSnapshot } from '../core/crash-loops.js';
import type { RevisionAudit } from '../core/revision-audit.js';
import type { ManifestSourceStatus } from '../ports.js';
import { EXIT, statusExitCode } from './exit-codes.js';
import type { CommandIo } from './io.js';
import { formatProblems } from './validate-command.js';
import { claimView } from './render-plan.js';
import { describeClaim } from '../core/foreign-claims.js';

/** `reconciler status`: per VIP and node, the container, its spec, VRRP state and who holds the address. */
export async function statusCommand(config: Config, log: Logger, io: CommandIo): Promise<number> {
  const deps = composePassDeps(config, log);
  const world = await readWorld(deps);
  const { vips, anomalies } = await probeAnomalies(world);
  const { conditions, revision } = passResult(world, [], config.adopt, vips);
  const revisions = await revisionRecord(config).read();
  const crashLoops = await crashLoopRecord(config).read();
  const source = deps.manifests.status?.();
  if (config.output === 'json') {
    const view = {
      revision,
      revisions: revisions ?? null,
      ...(source ? { source } : {}),
      conditions,
      vips,
      anomalies: anomalies.map((a) => ({ ...a, message: describeAnomaly(a) })),
      ...crashLoopsView(crashLoops),
      claims: world.claims.map(claimView),
      problems: world.problems,
    };
    io.stdout(JSON.stringify(view, null, 2));
  } else {
    io.stdout(statusText(vips));
    for (const anomaly of anomalies) io.stdout(`anomaly ${anomaly.kind}: ${describeAnomaly(anomaly)}`);
    const loops = crashLoopsText(crashLoops);
    if (loops) io.stdout(loops);
    const notReady = conditionsText(conditions);
    if (notReady) io.stdout(notReady);
    io.stdout(`revision ${revision.manifests} (nodes ${revision.nodes})`);
    io.stdout(revisionsText(revisions, source));
    for (const claim of world.claims) io.stdout(describeClaim(claim));
    for (const line of formatProblems(world.problems, process.cwd())) io.stdout(line);
  }
  return anomalies.length > 0 ? EXIT.status.notReady : statusExitCode(conditions, world.problems);
}

/**
 * What the acting reconciler recorded: the applied revision and the latest attempt with its
 * reasons (`file@revision:line: message`); and a failing fetch of this command's own source.
 */
export function revisionsText(audit: RevisionAudit | undefined, source?: ManifestSourceStatus): string {
  const lines = audit
    ? [
        `applied   ${audit.applied ? `${audit.applied.revision} at ${new Date(audit.applied.atMs).toISOString()}` : 'none yet'}`,
        `attempted ${audit.attempted.revision} at ${new Date(audit.attempted.atMs).toISOString()}: ${audit.attempted.outcome}`,
        ...audit.attempted.reasons.map((reason) => `  ${reason}`),
        ...(audit.attempted.reasonCount > audit.attempted.reasons.length
          ? [`  … and ${audit.attempted.reasonCount - audit.attempted.reasons.length} more`]
          : []),
      ]
    : ['applied   unknown: no reconciler has recorded a pass for these manifests (same --lock-file?)'];
  if (source?.error) lines.push(`source    ${source.source}: ${source.error.code}: ${source.error.message}`);
  return lines.join('\n');
}

/** As `/status` lists them, plus when the acting reconciler recorded them (null: never). */
function crashLoopsView(snapshot: CrashLoopSnapshot | undefined): {
  crashLoops: CrashLoopSnapshot['crashLoops'];
  crashLoopsRecordedAt: string | null;
} {
  return {
    crashLoops: snapshot?.crashLoops ?? [],
    crashLoopsRecordedAt: snapshot ? new Date(snapshot.recordedAtMs).toISOString() : null,
  };
}

/**
 * The sick containers the acting reconciler replaced, as it recorded them (this command has no
 * memory across runs): one line each, the reason quoted and capped; nothing when there are none.
 */
export function crashLoopsText(snapshot: CrashLoopSnapshot | undefined): string {
  if (!snapshot || snapshot.crashLoops.length === 0) return '';
  const at = new Date(snapshot.recordedAtMs).toISOString();
  return [
    `crash loops, as the acting reconciler recorded them at ${at}:`,
    ...snapshot.crashLoops.map((loop) => `  ${describeCrashLoop(loop)}`),
  ].join('\n');
}

/** One line per VIP that is not Ready: its reason and message. */
function conditionsText(conditions: readonly VipConditions[]): string {
  return conditions
    .filter((vip) => vip.conditions[0].status !== 'True')
    .map(({ vip, conditions: [ready] }) => `${vip}: Ready=${ready.status} ${ready.reason}: ${ready.message}`)
    .join('\n');
}

export function statusText(vips: readonly VipStatus[]): string {
  const header = ['VIP', 'ADDRESSES', 'NODE', 'CONTAINER', 'RUNNING', 'SPEC', 'HASH', 'VRRP', 'HOLDS'];
  const rows = vips.flatMap((vip) =>
    vip.nodes.map((n) => [
      vip.frozen ? `${vip.vip} (frozen)` : vip.vip,
      vip.addresses.join(','),
      n.node,
      n.container ?? '-',
      n.reachable ? (n.running ? 'yes' : 'no') : 'unreachable',
      n.spec,
      n.specHash?.slice(0, 8) ?? '-',

      n.vrrpState,
      n.holdsAddress ? 'yes' : '',
    ]),
  );
  if (rows.length === 0) return 'No VirtualIPs and no managed containers.';
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const holders = vips.map(
    (v) => `${v.vip}: ${v.holders.length === 0 ? 'held by no node' : `held by ${v.holders.join(', ')}`}`,
  );
  const unreachable = new Map(
    vips.flatMap((v) => v.nodes.flatMap((n) => (n.error ? [[n.node, n.error]] : []))),
  );
  const reasons = [...unreachable].map(([node, error]) => `node ${node} unreachable: ${error}`);
  return `${[line(header), ...rows.map(line)].join('\n')}\n\n${[...holders, ...reasons].join('\n')}`;
}
