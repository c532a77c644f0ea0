/**
 * Every exit code of every command, in one table: the CLI returns these names' values, `--help`
 * and the README print the same table (`exitCodeHelp`). Scripts and cron jobs depend on them, so
 * a value, once given, never changes meaning. The design contract fixes run, plan and validate;
 * status follows the same spirit (0 all is well, 1 could not tell, 2 a manifest is invalid).
 */
import type { VipConditions } from '../core/conditions.js';
import type { PassResult } from '../loop/pass.js';

export const EXIT = {
  /** `reconciler --once` (and watch mode, which exits 0 on SIGTERM/SIGINT). */
  run: {
    converged: 0,
    /**
     * An action failed, a node was unreachable, a VIP is blocked by a hand-run keepalived, or an
     * address is held wrongly (a stale address, no holder, two holders: see core/anomalies.ts).
     */
    failed: 1,
    /** Some manifest is invalid; the valid ones were still reconciled. */
    invalidManifests: 2,
    /** Another reconciler holds the lock; nothing was done. */
    lockHeld: 3,
  },
  /** `reconciler plan` (as `terraform plan -detailed-exitcode`). */
  plan: { noChanges: 0, error: 1, changesPending: 2 },
  /** `reconciler validate`. */
  validate: { valid: 0, invalid: 1 },
  /** `reconciler status`. */
  status: {
    /** Every VIP is Ready: current containers running on every target node, held by exactly one. */
    allReady: 0,
    /** The manifests or the cluster could not be read (bad flag, unreadable directory, no swarm). */
    error: 1,
    /** Every valid VIP is Ready, but some manifest is invalid. */
    invalidManifests: 2,
    /** Some VIP is not Ready (degraded, held by no node or by several, node unreachable). */
    notReady: 4,
  },
  /** `reconciler import`. */
  import: {
    /** Every hand-run keepalived found became a manifest (or there was none). */
    imported: 0,
    /** Some could not be read or imported (each one named), or a node was unreachable, or a file exists. */
    incomplete: 1,
  },
} as const;

type Command = keyof typeof EXIT;

/** Words for each code, in the order the table shows them. */
const MEANING: { [C in Command]: { [K in keyof (typeof EXIT)[C]]: string } } = {
  run: {
    converged: 'converged (watch mode: stopped by SIGTERM/SIGINT)',
    failed:
      'an action or a node failed, a VIP is blocked by a hand-run keepalived, or an address is held wrongly',
    invalidManifests: 'some manifest invalid (the valid ones were reconciled)',
    lockHeld: 'another reconciler holds the lock; nothing was done',
  },
  plan: {
    noChanges: 'nothing to do',
    error: 'error (invalid manifest, unreachable node)',
    changesPending: 'changes pending',
  },
  validate: { valid: 'every manifest valid', invalid: 'some problem (each printed as file:line:col)' },
  status: {
    allReady: 'every VIP Ready',
    error: 'could not read manifests or cluster',
    invalidManifests: 'every valid VIP Ready, some manifest invalid',
    notReady: 'some VIP not Ready (degraded, not held, held twice, a stale address)',
  },
  import: {
    imported: 'every hand-run keepalived found was written as a manifest',
    incomplete: 'some could not be imported or read (each named), or an output file exists',
  },
};

const TITLES: Record<Command, string> = {
  run: 'reconciler [--once]',
  plan: 'reconciler plan',
  validate: 'reconciler validate',
  status: 'reconciler status',
  import: 'reconciler import',
};

/** The exit-code table as text, for `--help` and the README. */
export function exitCodeHelp(): string {
  const lines = ['Exit codes:'];
  for (const command of Object.keys(EXIT) as Command[]) {
    const codes = EXIT[command] as Record<string, number>;
    const meaning = MEANING[command] as Record<string, string>;
    const entries = Object.entries(codes).sort(([, a], [, b]) => a - b);
    lines.push(`  ${TITLES[command]}`);
    for (const [name, code] of entries) lines.push(`    ${code}  ${meaning[name] ?? name}`);
  }
  return lines.join('\n');
}

/**
 * `--once`: 1 when the pass wants a requeue (an action or a node failed, a VIP is blocked by a
 * hand-run keepalived), else 2 when some manifest is invalid, else 0.
 */
export function onceExitCode(result: Pick<PassResult, 'requeue' | 'problems'>): number {
  if (result.requeue.kind === 'backoff') return EXIT.run.failed;
  return result.problems.length > 0 ? EXIT.run.invalidManifests : EXIT.run.converged;
}

/** `status`: 4 when a VIP is not Ready (a suspended one does not count), else 2 when a manifest is invalid. */
export function statusExitCode(conditions: readonly VipConditions[], problems: readonly unknown[]): number {
  const notReady = conditions.some((vip) => vip.conditions[0].status === 'False');
  if (notReady) return EXIT.status.notReady;
  return problems.length > 0 ? EXIT.status.invalidManifests : EXIT.status.allReady;
}
