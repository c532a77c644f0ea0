/**
 * All configuration, read once: command-line flags, each with an environment variable
 * (`SWARM_VIP_<FLAG>`), normalised into a typed Config. Nothing else reads flags or the environment
 * (VRRP passwords aside: `passwordEnv` names a variable of the reconciler on purpose).
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import ms from 'ms';
import { ConfigError } from './errors.js';

/** A GitOps repository to take the manifests from, instead of a local directory. */
export interface GitConfig {
  url: string;
  ref: string;
  /** Manifest directory inside the repository. */
  path: string;
  pollIntervalMs: number;
  checkoutDir: string;
}

export interface Config {
  manifestsDir: string;
  git: GitConfig | undefined;
  swarmUrl: string | undefined;
  endpointTemplate: string | undefined;
  listen: { host: string; port: number } | undefined;
  logLevel: string;
  logFormat: 'json' | 'pretty' | 'auto';
  output: 'text' | 'json';
  lockFile: string;
  resyncIntervalMs: number;
  healthIntervalMs: number;
  requestTimeoutMs: number;
  debounceMs: number;
  /** After a burst of passes, probe keepalived this much later (VRRP settles). */
  healthSettleMs: number;
  requeueBaseMs: number;
  requeueMaxMs: number;
}

/** Flags shared by the run, plan and status commands. */
export function addClusterOptions(command: Command): Command {
  return command
    .addOption(env(new Option('--manifests <dir>', 'manifest directory').default('./manifests'), 'MANIFESTS'))
    .addOption(
      env(new Option('--swarm <url>', 'Docker URL of a swarm manager: discover nodes from it'), 'SWARM'),
    )
    .addOption(
      env(
        new Option(
          '--endpoint-template <template>',
          "Docker URL for discovered nodes, e.g. 'tcp://{address}:2376'",
        ),
        'ENDPOINT_TEMPLATE',
      ),
    )
    .addOption(
      env(new Option('--log-level <level>', 'trace|debug|info|warn|error').default('info'), 'LOG_LEVEL'),
    )
    .addOption(
      env(
        new Option('--log-format <format>', 'log format').choices(['json', 'pretty', 'auto']).default('auto'),
        'LOG_FORMAT',
      ),
    )
    .addOption(
      env(
        new Option('--request-timeout <duration>', 'bound on one Docker API call').default('10s'),
        'REQUEST_TIMEOUT',
      ),
    );
}

/** Flags of the watch / --once command only. */
export function addRunOptions(command: Command): Command {
  return command
    .addOption(
      env(new Option('--once', 'one pass, then exit 0 converged, 1 failed, 2 manifests invalid'), 'ONCE'),
    )
    .addOption(
      env(new Option('--listen <host:port>', 'serve /status, /metrics and /healthz over HTTP'), 'LISTEN'),
    )
    .addOption(
      env(
        new Option('--lock-file <path>', 'lock that keeps two reconcilers from acting at once'),
        'LOCK_FILE',
      ),
    )
    .addOption(
      env(new Option('--resync-interval <duration>', 'full resync period').default('60s'), 'RESYNC_INTERVAL'),
    )
    .addOption(
      env(
        new Option('--health-interval <duration>', 'keepalived probe period').default('5s'),
        'HEALTH_INTERVAL',
      ),
    );
}

export function addOutputOption(command: Command): Command {
  return command.addOption(
    env(new Option('-o, --output <format>', 'output').choices(['text', 'json']).default('text'), 'OUTPUT'),
  );
}

function env(option: Option, name: string): Option {
  return option.env(`SWARM_VIP_${name}`);
}

/** Raw commander values → Config; every value checked here, so the inside can trust it. */
export function toConfig(raw: Record<string, unknown>): Config {
  const manifestsDir = path.resolve(String(raw.manifests ?? './manifests'));
  const swarmUrl = optionalString(raw.swarm);
  const git = gitConfig(raw);
  return {
    manifestsDir,
    git,
    swarmUrl,
    endpointTemplate: optionalString(raw.endpointTemplate),
    listen: raw.listen === undefined ? undefined : parseListen(String(raw.listen)),
    logLevel: String(raw.logLevel ?? 'info'),
    logFormat: (raw.logFormat as Config['logFormat'] | undefined) ?? 'auto',
    output: (raw.output as Config['output'] | undefined) ?? 'text',
    lockFile: optionalString(raw.lockFile) ?? defaultLockFile(git?.url ?? manifestsDir, swarmUrl),
    resyncIntervalMs: duration('--resync-interval', raw.resyncInterval, '60s'),
    healthIntervalMs: duration('--health-interval', raw.healthInterval, '5s'),
    requestTimeoutMs: duration('--request-timeout', raw.requestTimeout, '10s'),
    debounceMs: 150,
    healthSettleMs: 3000,
    requeueBaseMs: 1000,
    requeueMaxMs: 60_000,
  };
}

function gitConfig(raw: Record<string, unknown>): GitConfig | undefined {
  const url = optionalString(raw.git);
  if (!url) return undefined;
  const ref = optionalString(raw.ref) ?? 'HEAD';
  const repoPath = path.posix.normalize(optionalString(raw.path) ?? '.');
  if (repoPath.startsWith('..') || path.posix.isAbsolute(repoPath)) {
    throw new ConfigError(
      'bad-flag',
      `--path ${repoPath}: expected a directory inside the repository, e.g. manifests`,
    );
  }
  const key = createHash('sha256').update(`${url}\n${ref}`).digest('hex').slice(0, 12);
  return {
    url,
    ref,
    path: repoPath,
    pollIntervalMs: duration('--interval', raw.interval, '30s'),
    checkoutDir: path.resolve(optionalString(raw.gitCheckout) ?? path.join(tmpdir(), `swarm-vip-git-${key}`)),
  };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function duration(flag: string, value: unknown, fallback: string): number {
  const text = String(value ?? fallback);
  const parsed = /^\d+$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new ConfigError('bad-flag', `${flag} ${text}: expected a duration such as 500ms, 30s or 5m`);
  }
  return parsed;
}

function parseListen(text: string): { host: string; port: number } {
  const match = /^(.*):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new ConfigError('bad-flag', `--listen ${text}: expected HOST:PORT, e.g. 127.0.0.1:9107`);
  return { host: (match[1] || '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** One lock per manifest directory and swarm, so unrelated reconcilers on one host do not block each other. */
function defaultLockFile(manifestsDir: string, swarmUrl: string | undefined): string {
  const key = createHash('sha256')
    .update(`${manifestsDir}\n${swarmUrl ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  return path.join(tmpdir(), `swarm-vip-${key}.lock`);
}
