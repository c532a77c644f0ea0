/**
 * All configuration, read once: command-line flags, each with an environment variable
 * (`SWARM_VIP_<FLAG>`), normalised into a typed Config. Nothing else reads flags or the environment
 * (VRRP passwords aside: `passwordEnv` names a variable of the reconciler on purpose).
 */
import { createHash } from 'node:crypto';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import ms from 'ms';
import { DEFAULT_PASSWORD_ENV_PREFIX, type PasswordRules } from './core/password-rules.js';
import { ConfigError } from './errors.js';
import { parseListen } from './listen-address.js';

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
  /** One pass, then exit (cron). */
  once: boolean;
  adopt: boolean;
  swarmUrl: string | undefined;
  endpointTemplate: string | undefined;
  /**
   * Client TLS files for `tcp://` engines that the swarm tells of (`--swarm` itself, a node's
   * `swarm-vip.endpoint` label, `--endpoint-template`); NodeEndpoint manifests carry their own.
   */
  discoveredTls: TlsFiles | undefined;
  /**
   * Credentials and known_hosts for `ssh://` engines: discovered ones, and NodeEndpoints whose
   * `spec.ssh` leaves a field out.
   */
  ssh: SshConfig;
  /** `--agents SERVICE[:PORT]`: reach nodes through their `reconciler agent` tasks. */
  agents: { service: string; port: number } | undefined;
  listen: { host: string; port: number } | undefined;
  logLevel: string;
  logFormat: 'json' | 'pretty' | 'auto';
  output: 'text' | 'json';
  lockFile: string;
  /** Elect one active replica among several through a lease in the swarm (--leader-election). */
  leaderElection: { leaseName: string; leaseDurationMs: number } | undefined;
  resyncIntervalMs: number;
  healthIntervalMs: number;
  /** A keepalived in FAULT this long is replaced (VIPs without a health check). */
  faultReplaceMs: number;
  requestTimeoutMs: number;
  /**
   * Quiet time after a change in the manifest directory before a pass reads it. One write of a
   * file is a burst of events within a millisecond or two; an editor's atomic save is one rename.
   * 25 ms merges those and adds little to convergence (150 ms was a sixth of it; BENCHMARKS.md).
   */
  debounceMs: number;
  /** A manifest written in place is read once it has been left alone this long (0: at once). */
  writeSettleMs: number;
  /** After a burst of passes, probe keepalived this much later (VRRP settles). */
  healthSettleMs: number;
  requeueBaseMs: number;
  requeueMaxMs: number;
  /** Where manifests may take VRRP passwords from (`passwordFile`, `passwordEnv`). */
  passwords: PasswordConfig;
}

/** The operator's bounds on the password sources a manifest may name (directories made absolute). */
export type PasswordConfig = PasswordRules;

/** Paths of a CA certificate, a client certificate and its key (PEM). */
export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** Paths (on the reconciler's host) for ssh:// engines; host keys are always verified. */
export interface SshConfig {
  identityFile: string | undefined;
  agentSocket: string | undefined;
  /** Default `~/.ssh/known_hosts`, as for ssh itself. */
  knownHostsFile: string;
}

/** One flag: its commander spec, help, environment variable suffix and default. */
interface Flag {
  spec: string;
  help: string;
  env: string;
  default?: string;
  choices?: string[];
  /** May be given several times; the values are collected in a list. */
  repeatable?: boolean;
}

/** Flags shared by the run, plan and status commands. */
const CLUSTER_FLAGS: Flag[] = [
  { spec: '--manifests <dir>', help: 'manifest directory', env: 'MANIFESTS', default: './manifests' },
  { spec: '--swarm <url>', help: 'Docker URL of a swarm manager: discover nodes from it', env: 'SWARM' },
  {
    spec: '--endpoint-template <template>',
    help: "Docker URL for discovered nodes, e.g. 'tcp://{address}:2376'",
    env: 'ENDPOINT_TEMPLATE',
  },
  {
    spec: '--agents <service>',
    help: 'reach each swarm node through its task of this `reconciler agent` service (SERVICE[:PORT], port 2376)',
    env: 'AGENTS',
  },
  { spec: '--tls-ca <file>', help: 'CA certificate for tcp:// engines of discovered nodes', env: 'TLS_CA' },
  { spec: '--tls-cert <file>', help: 'client certificate for discovered tcp:// engines', env: 'TLS_CERT' },
  { spec: '--tls-key <file>', help: 'key of --tls-cert', env: 'TLS_KEY' },
  {
    spec: '--ssh-identity <file>',
    help: 'private key for ssh:// engines (discovered, or NodeEndpoints without spec.ssh.identityFile)',
    env: 'SSH_IDENTITY',
  },
  {
    spec: '--ssh-agent <socket>',
    help: 'ssh-agent socket for ssh:// engines (SSH_AUTH_SOCK is not read by itself)',
    env: 'SSH_AGENT',
  },
  {
    spec: '--ssh-known-hosts <file>',
    help: 'known_hosts that must list every ssh:// engine host key (default ~/.ssh/known_hosts)',
    env: 'SSH_KNOWN_HOSTS',
  },
  { spec: '--log-level <level>', help: 'trace|debug|info|warn|error', env: 'LOG_LEVEL', default: 'info' },
  {
    spec: '--log-format <format>',
    help: 'log format',
    env: 'LOG_FORMAT',
    default: 'auto',
    choices: ['json', 'pretty', 'auto'],
  },
  {
    spec: '--request-timeout <duration>',
    help: 'bound on one Docker API call',
    env: 'REQUEST_TIMEOUT',
    default: '10s',
  },
  {
    spec: '--password-dir <dir>',
    help: 'a passwordFile must lie in this directory, links resolved (repeatable; in the variable separated by ":"); none by default: passwordFile refused',
    env: 'PASSWORD_DIRS',
    repeatable: true,
  },
  {
    spec: '--password-env-prefix <prefix>',
    help: 'a passwordEnv must name a variable starting with this',
    env: 'PASSWORD_ENV_PREFIX',
    default: DEFAULT_PASSWORD_ENV_PREFIX,
  },
];

/** Flags of the watch / --once command only. */
const RUN_FLAGS: Flag[] = [
  {
    spec: '--once',
    help: 'one pass, then exit 0 converged, 1 failed, 2 manifests invalid, 3 another reconciler acts (nothing done)',
    env: 'ONCE',
  },
  {
    spec: '--git <url>',
    help: 'take the manifests from this git repository instead of --manifests',
    env: 'GIT',
  },
  { spec: '--ref <ref>', help: 'git branch, tag or commit to apply', env: 'REF', default: 'HEAD' },
  { spec: '--path <path>', help: 'manifest directory inside the git repository', env: 'PATH', default: '.' },
  {
    spec: '--interval <duration>',
    help: 'how often to fetch the git remote',
    env: 'INTERVAL',
    default: '30s',
  },
  {
    spec: '--write-settle <duration>',
    help: 'a manifest written in place that looks cut off (empty, no final newline) is read again once unchanged this long, so a slow writer is not applied half-way; 0 reads at once',
    env: 'WRITE_SETTLE',
    default: '300ms',
  },
  {
    spec: '--git-checkout <dir>',
    help: 'where the git checkout lives (default: a temp directory)',
    env: 'GIT_CHECKOUT',
  },
  {
    spec: '--listen <host:port>',
    help: 'serve /status, /metrics, /livez, /readyz and /healthz over HTTP',
    env: 'LISTEN',
  },
  {
    spec: '--lock-file <path>',
    help: 'flock(2) lock file that keeps two reconcilers on this host from acting at once',
    env: 'LOCK_FILE',
  },
  {
    spec: '--leader-election',
    help: 'act only while holding a lease in the swarm (--swarm): one active replica among several',
    env: 'LEADER_ELECTION',
  },
  {
    spec: '--lease-name <name>',
    help: 'the swarm config object that carries the lease',
    env: 'LEASE_NAME',
    default: 'swarm-vip-leader',
  },
  {
    spec: '--lease-duration <duration>',
    help: 'a lease not renewed for this long is taken over',
    env: 'LEASE_DURATION',
    default: '6s',
  },
  {
    spec: '--resync-interval <duration>',
    help: 'full resync period',
    env: 'RESYNC_INTERVAL',
    default: '60s',
  },
  {
    spec: '--health-interval <duration>',
    help: 'period of a container listing that catches missed events (VRRP state and addresses arrive as events)',
    env: 'HEALTH_INTERVAL',
    default: '5s',
  },
  {
    spec: '--fault-replace-after <duration>',
    help: 'replace a keepalived that stays in FAULT this long (VIPs without a health check)',
    env: 'FAULT_REPLACE_AFTER',
    default: '10s',
  },
];

/** Flags of the commands that plan (run and plan). */
const ADOPT_FLAGS: Flag[] = [
  {
    spec: '--adopt',
    help: 'replace unmanaged keepalived containers that claim a declared VIP address',
    env: 'ADOPT',
  },
];

const OUTPUT_FLAGS: Flag[] = [
  {
    spec: '-o, --output <format>',
    help: 'output',
    env: 'OUTPUT',
    default: 'text',
    choices: ['text', 'json'],
  },
];

/** Flags of `reconciler agent`. */
const AGENT_FLAGS: Flag[] = [
  {
    spec: '--docker <url>',
    help: "this node's Docker engine (a unix socket)",
    env: 'DOCKER',
    default: 'unix:///var/run/docker.sock',
  },
  { spec: '--listen <host:port>', help: 'where to serve mutual TLS', env: 'LISTEN', default: '0.0.0.0:2376' },
  { spec: '--tls-ca <file>', help: 'CA that signs the reconciler client certificate', env: 'TLS_CA' },
  { spec: '--tls-cert <file>', help: "the agent's server certificate", env: 'TLS_CERT' },
  { spec: '--tls-key <file>', help: 'key of --tls-cert', env: 'TLS_KEY' },
  {
    spec: '--swarm-read',
    help: 'also serve the read-only swarm calls of node discovery (an agent on a manager)',
    env: 'SWARM_READ',
  },
  { spec: '--log-level <level>', help: 'trace|debug|info|warn|error', env: 'LOG_LEVEL', default: 'info' },
  {
    spec: '--log-format <format>',
    help: 'log format',
    env: 'LOG_FORMAT',
    default: 'auto',
    choices: ['json', 'pretty', 'auto'],
  },
];

export const addAgentOptions = (command: Command): Command => addFlags(command, AGENT_FLAGS);

/** `reconciler agent`: what it serves, where, with which credentials. */
export interface AgentConfig {
  /** Path of the node engine's unix socket. */
  dockerSocket: string;
  listen: { host: string; port: number };
  tls: TlsFiles;
  swarmRead: boolean;
  logLevel: string;
  logFormat: Config['logFormat'];
}

export function toAgentConfig(raw: Record<string, unknown>): AgentConfig {
  const docker = String(raw.docker ?? 'unix:///var/run/docker.sock');
  if (!docker.startsWith('unix://')) {
    throw new ConfigError(
      'bad-flag',
      `--docker ${docker}: the agent serves its own node's unix socket, e.g. unix:///var/run/docker.sock`,
    );
  }
  const tls = tlsFiles(raw);
  if (!tls) {
    throw new ConfigError(
      'bad-flag',
      'the agent serves only mutual TLS: give --tls-ca, --tls-cert and --tls-key (or SWARM_VIP_TLS_CA, SWARM_VIP_TLS_CERT, SWARM_VIP_TLS_KEY)',
    );
  }
  return {
    dockerSocket: docker.slice('unix://'.length),
    listen: parseListen(String(raw.listen ?? '0.0.0.0:2376')),
    tls,
    swarmRead: raw.swarmRead === true,
    logLevel: String(raw.logLevel ?? 'info'),
    logFormat: (raw.logFormat as Config['logFormat'] | undefined) ?? 'auto',
  };
}

export const addClusterOptions = (command: Command): Command => addFlags(command, CLUSTER_FLAGS);
/** `validate`: the password rules of the daemon, so that it checks manifests against them. */
export const addPasswordOptions = (command: Command): Command =>
  addFlags(
    command,
    CLUSTER_FLAGS.filter((flag) => flag.spec.startsWith('--password-')),
  );
export const addRunOptions = (command: Command): Command => addFlags(command, RUN_FLAGS);
export const addAdoptOption = (command: Command): Command => addFlags(command, ADOPT_FLAGS);
export const addOutputOption = (command: Command): Command => addFlags(command, OUTPUT_FLAGS);
/** Where the manifests come from: a git repository instead of --manifests. */
const GIT_FLAG_SPECS = new Set(['--git <url>', '--ref <ref>', '--path <path>', '--git-checkout <dir>']);
/** `plan`: the git source of the daemon and `--once`. */
export const addGitOptions = (command: Command): Command =>
  addFlags(
    command,
    RUN_FLAGS.filter((flag) => GIT_FLAG_SPECS.has(flag.spec)),
  );
/** `status`: the git source, and the lock file beside which the revision audit lives. */
export const addSourceOptions = (command: Command): Command =>
  addFlags(
    addGitOptions(command),
    RUN_FLAGS.filter((flag) => flag.spec === '--lock-file <path>'),
  );

/**
 * Every flag also reads SWARM_VIP_<NAME> from the environment. A switch (a flag without a value)
 * takes only true/false/1/0 there: commander alone would turn `SWARM_VIP_ADOPT=false` into
 * `--adopt`, so its value is parsed strictly here, and anything else is an error naming the variable.
 */
function addFlags(command: Command, flags: readonly Flag[]): Command {
  for (const flag of flags) {
    const envName = `SWARM_VIP_${flag.env}`;
    const option = new Option(flag.spec, flag.help).env(envName);
    if (flag.default !== undefined) option.default(flag.default);
    if (flag.choices) option.choices(flag.choices);
    if (flag.repeatable)
      option.argParser((value: string, previous?: string[]) => [...(previous ?? []), value]);
    command.addOption(option);
    if (option.isBoolean()) {
      // Runs after commander's own listener for the same event, and overrides its `true`.
      command.on(`optionEnv:${option.name()}`, () => {
        command.setOptionValueWithSource(
          option.attributeName(),
          parseBooleanEnv(envName, process.env[envName]),
          'env',
        );
      });
    }
  }
  return command;
}

/** `true`/`1` or `false`/`0` (any case, surrounding blanks ignored); anything else is an error. */
export function parseBooleanEnv(name: string, value: string | undefined): boolean {
  const text = (value ?? '').trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(
    'bad-flag',
    `${name}=${JSON.stringify(value ?? '')}: expected true, false, 1 or 0 (unset it to leave the switch off)`,
  );
}

/** Raw commander values → Config; every value checked here, so the inside can trust it. */
export function toConfig(raw: Record<string, unknown>): Config {
  const manifestsDir = path.resolve(String(raw.manifests ?? './manifests'));
  const swarmUrl = optionalString(raw.swarm);
  const git = gitConfig(raw);
  return {
    manifestsDir,
    git,
    once: raw.once === true,
    adopt: raw.adopt === true,
    swarmUrl,
    endpointTemplate: optionalString(raw.endpointTemplate),
    discoveredTls: tlsFiles(raw),
    ssh: sshConfig(raw),
    agents: agentsConfig(raw, swarmUrl),
    listen: raw.listen === undefined ? undefined : parseListen(String(raw.listen)),
    logLevel: String(raw.logLevel ?? 'info'),
    logFormat: (raw.logFormat as Config['logFormat'] | undefined) ?? 'auto',
    output: (raw.output as Config['output'] | undefined) ?? 'text',
    lockFile: optionalString(raw.lockFile) ?? defaultLockFile(git?.url ?? manifestsDir, swarmUrl),
    leaderElection: leaderElection(raw, swarmUrl),
    resyncIntervalMs: duration('--resync-interval', raw.resyncInterval, '60s'),
    healthIntervalMs: duration('--health-interval', raw.healthInterval, '5s'),
    faultReplaceMs: duration('--fault-replace-after', raw.faultReplaceAfter, '10s'),
    requestTimeoutMs: duration('--request-timeout', raw.requestTimeout, '10s'),
    debounceMs: 25,
    writeSettleMs: duration('--write-settle', raw.writeSettle, '300ms', { allowZero: true }),
    healthSettleMs: 3000,
    requeueBaseMs: 1000,
    requeueMaxMs: 60_000,
    passwords: passwordConfig(raw),
  };
}

/**
 * `--password-dir` (each value may hold several, ":"-separated) and `--password-env-prefix`: the
 * daemon's rules, and what `validate` checks manifests against.
 */
export function passwordConfig(raw: Record<string, unknown>): PasswordConfig {
  const given = Array.isArray(raw.passwordDir) ? raw.passwordDir.map(String) : [];
  const dirs = given.flatMap((value) => value.split(':')).filter((dir) => dir !== '');
  const envPrefix = String(raw.passwordEnvPrefix ?? DEFAULT_PASSWORD_ENV_PREFIX);
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(envPrefix)) {
    throw new ConfigError(
      'bad-flag',
      `--password-env-prefix ${envPrefix}: expected the start of a variable name (letters, digits, _), e.g. ${DEFAULT_PASSWORD_ENV_PREFIX}`,
    );
  }
  return { dirs: [...new Set(dirs.map((dir) => path.resolve(dir)))], envPrefix };
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

function agentsConfig(raw: Record<string, unknown>, swarmUrl: string | undefined): Config['agents'] {
  const text = optionalString(raw.agents);
  if (!text) return undefined;
  const match = /^([a-zA-Z0-9][a-zA-Z0-9_.-]{0,62})(?::(\d{1,5}))?$/.exec(text);
  const port = Number(match?.[2] ?? 2376);
  if (!match?.[1] || port < 1 || port > 65535) {
    throw new ConfigError(
      'bad-flag',
      `--agents ${text}: expected a swarm service name, optionally :PORT, e.g. swarm-vip_agent`,
    );
  }
  if (!swarmUrl || !tlsFiles(raw)) {
    throw new ConfigError(
      'bad-flag',
      `--agents ${text} needs --swarm (where the agent tasks are listed) and --tls-ca, --tls-cert and --tls-key (agents speak only mutual TLS)`,
    );
  }
  return { service: match[1], port };
}

/** --tls-ca, --tls-cert and --tls-key come together or not at all. */
function tlsFiles(raw: Record<string, unknown>): TlsFiles | undefined {
  const given = {
    '--tls-ca': optionalString(raw.tlsCa),
    '--tls-cert': optionalString(raw.tlsCert),
    '--tls-key': optionalString(raw.tlsKey),
  };
  const missing = Object.entries(given).filter(([, value]) => value === undefined);
  if (missing.length === 3) return undefined;
  if (missing.length > 0) {
    throw new ConfigError(
      'bad-flag',
      `${missing.map(([flag]) => flag).join(' and ')} missing: TLS to discovered nodes needs ` +
        '--tls-ca, --tls-cert and --tls-key together (or SWARM_VIP_TLS_CA, SWARM_VIP_TLS_CERT, SWARM_VIP_TLS_KEY)',
    );
  }
  return {
    caFile: path.resolve(given['--tls-ca'] ?? ''),
    certFile: path.resolve(given['--tls-cert'] ?? ''),
    keyFile: path.resolve(given['--tls-key'] ?? ''),
  };
}

function sshConfig(raw: Record<string, unknown>): SshConfig {
  const resolved = (value: unknown) => {
    const text = optionalString(value);
    return text === undefined ? undefined : path.resolve(text);
  };
  return {
    identityFile: resolved(raw.sshIdentity),
    agentSocket: resolved(raw.sshAgent),
    knownHostsFile: resolved(raw.sshKnownHosts) ?? path.join(homedir(), '.ssh', 'known_hosts'),
  };
}

function leaderElection(
  raw: Record<string, unknown>,
  swarmUrl: string | undefined,
): Config['leaderElection'] {
  if (raw.leaderElection !== true) return undefined;
  if (!swarmUrl) {
    throw new ConfigError(
      'bad-flag',
      '--leader-election needs --swarm: the lease is kept on the swarm manager given there',
    );
  }
  const leaseName = String(raw.leaseName ?? 'swarm-vip-leader');
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/.test(leaseName)) {
    throw new ConfigError(
      'bad-flag',
      `--lease-name ${leaseName}: expected a swarm object name, e.g. swarm-vip-leader`,
    );
  }
  const leaseDurationMs = duration('--lease-duration', raw.leaseDuration, '6s');
  if (leaseDurationMs < 2000) {
    throw new ConfigError('bad-flag', `--lease-duration ${String(raw.leaseDuration)}: expected at least 2s`);
  }
  return { leaseName, leaseDurationMs };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function duration(flag: string, value: unknown, fallback: string, { allowZero = false } = {}): number {
  const text = String(value ?? fallback);
  const parsed = /^\d+$/.test(text) ? Number(text) * 1000 : ms(text as ms.StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0 || (parsed === 0 && !allowZero)) {
    throw new ConfigError('bad-flag', `${flag} ${text}: expected a duration such as 500ms, 30s or 5m`);
  }
  return parsed;
}

/** One lock per manifest directory and swarm, so unrelated reconcilers on one host do not block each other. */
function defaultLockFile(manifestsDir: string, swarmUrl: string | undefined): string {
  const key = createHash('sha256')
    .update(`${manifestsDir}\n${swarmUrl ?? ''}`)
    .digest('hex')
    .slice(0, 12);
  return path.join(tmpdir(), `swarm-vip-${key}.lock`);
}
