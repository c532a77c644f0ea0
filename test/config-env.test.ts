/**
 * Every SWARM_VIP_* variable, through the real commander parse and toConfig: each one is set
 * alone (with the companions it needs) and must change what the reconciler would do. The list of
 * variables comes from the commands themselves, so a new flag without a row here fails.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  addAdoptOption,
  addClusterOptions,
  addOutputOption,
  addRunOptions,
  parseBooleanEnv,
  toConfig,
  type Config,
} from '../src/config.js';

const repo = path.resolve(import.meta.dirname, '..');

/** The run command's flags plus `-o` (plan/status): every flag the reconciler has. */
const fullCommand = () =>
  addOutputOption(addAdoptOption(addRunOptions(addClusterOptions(new Command())))).exitOverride();

function configFrom(env: Record<string, string>, argv: string[] = []): Config {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const command = fullCommand();
    command.parse(argv, { from: 'user' });
    return toConfig(command.opts());
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

type Row = [env: Record<string, string>, observe: (config: Config) => unknown, expected: unknown];
const gitRepo = { SWARM_VIP_GIT: 'https://git.example.test/ops.git' };

/** Keyed by the variable under test; the value is set alone (plus companions) and observed. */
const ROWS: Record<string, Row> = {
  SWARM_VIP_MANIFESTS: [{ SWARM_VIP_MANIFESTS: '/srv/m' }, (c) => c.manifestsDir, '/srv/m'],
  SWARM_VIP_SWARM: [{ SWARM_VIP_SWARM: 'unix:///run/m.sock' }, (c) => c.swarmUrl, 'unix:///run/m.sock'],
  SWARM_VIP_ENDPOINT_TEMPLATE: [
    { SWARM_VIP_ENDPOINT_TEMPLATE: 'tcp://{address}:2376' },
    (c) => c.endpointTemplate,
    'tcp://{address}:2376',
  ],
  SWARM_VIP_AGENTS: [
    {
      SWARM_VIP_AGENTS: 'swarm-vip_agent:2400',
      SWARM_VIP_SWARM: 'tcp://mgr:2376',
      SWARM_VIP_TLS_CA: '/t/ca.pem',
      SWARM_VIP_TLS_CERT: '/t/c.pem',
      SWARM_VIP_TLS_KEY: '/t/k.pem',
    },
    (c) => c.agents,
    { service: 'swarm-vip_agent', port: 2400 },
  ],
  SWARM_VIP_TLS_CA: [
    { SWARM_VIP_TLS_CA: '/t/ca.pem', SWARM_VIP_TLS_CERT: '/t/c.pem', SWARM_VIP_TLS_KEY: '/t/k.pem' },
    (c) => c.discoveredTls?.caFile,
    '/t/ca.pem',
  ],
  SWARM_VIP_TLS_CERT: [
    { SWARM_VIP_TLS_CA: '/t/ca.pem', SWARM_VIP_TLS_CERT: '/t/c.pem', SWARM_VIP_TLS_KEY: '/t/k.pem' },
    (c) => c.discoveredTls?.certFile,
    '/t/c.pem',
  ],
  SWARM_VIP_TLS_KEY: [
    { SWARM_VIP_TLS_CA: '/t/ca.pem', SWARM_VIP_TLS_CERT: '/t/c.pem', SWARM_VIP_TLS_KEY: '/t/k.pem' },
    (c) => c.discoveredTls?.keyFile,
    '/t/k.pem',
  ],
  SWARM_VIP_SSH_IDENTITY: [{ SWARM_VIP_SSH_IDENTITY: '/k/id' }, (c) => c.ssh.identityFile, '/k/id'],
  SWARM_VIP_SSH_AGENT: [
    { SWARM_VIP_SSH_AGENT: '/run/agent.sock' },
    (c) => c.ssh.agentSocket,
    '/run/agent.sock',
  ],
  SWARM_VIP_SSH_KNOWN_HOSTS: [{ SWARM_VIP_SSH_KNOWN_HOSTS: '/k/kh' }, (c) => c.ssh.knownHostsFile, '/k/kh'],
  SWARM_VIP_LOG_LEVEL: [{ SWARM_VIP_LOG_LEVEL: 'debug' }, (c) => c.logLevel, 'debug'],
  SWARM_VIP_LOG_FORMAT: [{ SWARM_VIP_LOG_FORMAT: 'json' }, (c) => c.logFormat, 'json'],
  SWARM_VIP_REQUEST_TIMEOUT: [{ SWARM_VIP_REQUEST_TIMEOUT: '3s' }, (c) => c.requestTimeoutMs, 3000],
  SWARM_VIP_ONCE: [{ SWARM_VIP_ONCE: 'true' }, (c) => c.once, true],
  SWARM_VIP_GIT: [gitRepo, (c) => c.git?.url, gitRepo.SWARM_VIP_GIT],
  SWARM_VIP_REF: [{ ...gitRepo, SWARM_VIP_REF: 'v2' }, (c) => c.git?.ref, 'v2'],
  SWARM_VIP_PATH: [{ ...gitRepo, SWARM_VIP_PATH: 'vips' }, (c) => c.git?.path, 'vips'],
  SWARM_VIP_INTERVAL: [{ ...gitRepo, SWARM_VIP_INTERVAL: '2m' }, (c) => c.git?.pollIntervalMs, 120_000],
  SWARM_VIP_WRITE_SETTLE: [{ SWARM_VIP_WRITE_SETTLE: '0' }, (c) => c.writeSettleMs, 0],
  SWARM_VIP_GIT_CHECKOUT: [
    { ...gitRepo, SWARM_VIP_GIT_CHECKOUT: '/var/g' },
    (c) => c.git?.checkoutDir,
    '/var/g',
  ],
  SWARM_VIP_LISTEN: [{ SWARM_VIP_LISTEN: '0.0.0.0:9107' }, (c) => c.listen, { host: '0.0.0.0', port: 9107 }],
  SWARM_VIP_LOCK_FILE: [{ SWARM_VIP_LOCK_FILE: '/run/sv.lock' }, (c) => c.lockFile, '/run/sv.lock'],
  SWARM_VIP_LEADER_ELECTION: [
    { SWARM_VIP_LEADER_ELECTION: 'true', SWARM_VIP_SWARM: 'unix:///run/m.sock' },
    (c) => c.leaderElection,
    { leaseName: 'swarm-vip-leader', leaseDurationMs: 6000 },
  ],
  SWARM_VIP_LEASE_NAME: [
    {
      SWARM_VIP_LEADER_ELECTION: '1',
      SWARM_VIP_SWARM: 'unix:///run/m.sock',
      SWARM_VIP_LEASE_NAME: 'vip-lease',
    },
    (c) => c.leaderElection?.leaseName,
    'vip-lease',
  ],
  SWARM_VIP_LEASE_DURATION: [
    {
      SWARM_VIP_LEADER_ELECTION: '1',
      SWARM_VIP_SWARM: 'unix:///run/m.sock',
      SWARM_VIP_LEASE_DURATION: '15s',
    },
    (c) => c.leaderElection?.leaseDurationMs,
    15_000,
  ],
  SWARM_VIP_RESYNC_INTERVAL: [{ SWARM_VIP_RESYNC_INTERVAL: '5m' }, (c) => c.resyncIntervalMs, 300_000],
  SWARM_VIP_HEALTH_INTERVAL: [{ SWARM_VIP_HEALTH_INTERVAL: '2s' }, (c) => c.healthIntervalMs, 2000],
  SWARM_VIP_FAULT_REPLACE_AFTER: [{ SWARM_VIP_FAULT_REPLACE_AFTER: '30s' }, (c) => c.faultReplaceMs, 30_000],
  SWARM_VIP_ADOPT: [{ SWARM_VIP_ADOPT: '1' }, (c) => c.adopt, true],
  SWARM_VIP_OUTPUT: [{ SWARM_VIP_OUTPUT: 'json' }, (c) => c.output, 'json'],
  SWARM_VIP_PASSWORD_DIRS: [
    { SWARM_VIP_PASSWORD_DIRS: '/run/secrets:/etc/swarm-vip/pw' },
    (c) => c.passwords.dirs,
    ['/run/secrets', '/etc/swarm-vip/pw'],
  ],
  SWARM_VIP_PASSWORD_ENV_PREFIX: [
    { SWARM_VIP_PASSWORD_ENV_PREFIX: 'OPS_VRRP_' },
    (c) => c.passwords.envPrefix,
    'OPS_VRRP_',
  ],
};

/** `reconciler [args] --help` through the real CLI. */
const help = async (...args: string[]) =>
  (
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), ...args, '--help'],
      { cwd: repo, timeout: 30_000, env: { ...process.env, COLUMNS: '200' } },
    )
  ).stdout;

const variables = fullCommand()
  .options.map((option) => option.envVar)
  .filter((name): name is string => name !== undefined)
  .sort();

describe('SWARM_VIP_* environment variables', () => {
  it('every variable of every flag has a row here (and no row names a variable that is gone)', () => {
    expect(Object.keys(ROWS).sort()).toEqual(variables);
  });

  it.each(variables)('%s reaches the configuration', (name) => {
    const [env, observe, expected] = ROWS[name] ?? [{}, () => undefined, 'a row in ROWS'];
    expect(observe(configFrom({}))).not.toEqual(expected);
    expect(observe(configFrom(env))).toEqual(expected);
  });

  it.each([
    ['SWARM_VIP_ADOPT', 'false', (c: Config) => c.adopt, false],
    ['SWARM_VIP_ADOPT', '0', (c: Config) => c.adopt, false],
    ['SWARM_VIP_ADOPT', 'TRUE', (c: Config) => c.adopt, true],
    ['SWARM_VIP_ONCE', '0', (c: Config) => c.once, false],
    ['SWARM_VIP_ONCE', ' 1 ', (c: Config) => c.once, true],
  ])('switch %s=%j', (name, value, observe, expected) => {
    expect(observe(configFrom({ [name]: value }))).toBe(expected);
  });

  it.each(['yes', 'on', 'no', '', 'ture', '2'])(
    'a switch set to %j is an error naming the variable',
    (value) => {
      expect(() => configFrom({ SWARM_VIP_ADOPT: value })).toThrow(
        `SWARM_VIP_ADOPT=${JSON.stringify(value)}: expected true, false, 1 or 0`,
      );
      expect(() => parseBooleanEnv('SWARM_VIP_ONCE', value)).toThrow(/^SWARM_VIP_ONCE=/);
    },
  );

  it.each([
    [{ SWARM_VIP_LEADER_ELECTION: 'true' }, /--leader-election needs --swarm/],
    [
      { SWARM_VIP_LEADER_ELECTION: 'true', SWARM_VIP_SWARM: 'unix:///m', SWARM_VIP_LEASE_DURATION: '1s' },
      /at least 2s/,
    ],
    [
      { SWARM_VIP_LEADER_ELECTION: 'true', SWARM_VIP_SWARM: 'unix:///m', SWARM_VIP_LEASE_NAME: 'a b' },
      /--lease-name a b/,
    ],
  ])('leader election misconfigured: %j', (env, message) => {
    expect(() => configFrom(env)).toThrow(message);
  });

  it('password sources: none by default for files, VRRP_PASSWORD for variables; --password-dir repeats', () => {
    expect(configFrom({}).passwords).toEqual({ dirs: [], envPrefix: 'VRRP_PASSWORD' });
    expect(
      configFrom({}, [
        '--password-dir',
        '/run/secrets',
        '--password-dir',
        '/a:/b',
        '--password-dir',
        '/run/secrets/',
      ]).passwords.dirs,
    ).toEqual(['/run/secrets', '/a', '/b']);
    expect(configFrom({ SWARM_VIP_PASSWORD_DIRS: '' }).passwords.dirs).toEqual([]);
    expect(() => configFrom({ SWARM_VIP_PASSWORD_ENV_PREFIX: '' })).toThrow(
      /--password-env-prefix : expected/,
    );
    expect(() => configFrom({ SWARM_VIP_PASSWORD_ENV_PREFIX: 'A-B' })).toThrow(
      /--password-env-prefix A-B: expected/,
    );
  });

  it('a flag on the command line beats its variable', () => {
    expect(configFrom({ SWARM_VIP_ADOPT: 'false' }, ['--adopt']).adopt).toBe(true);
    expect(configFrom({ SWARM_VIP_LOG_LEVEL: 'debug' }, ['--log-level', 'warn']).logLevel).toBe('warn');
  });

  it('README.md and `reconciler --help` list every variable', async () => {
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    expect(variables.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
    const texts = await Promise.all([help(), help('plan'), help('status')]);
    expect(variables.filter((name) => !texts.some((text) => text.includes(name)))).toEqual([]);
  }, 30_000);
});

describe('reconciler import --out', () => {
  it('reads no variable: a one-off migration must not write files because the daemon environment names a directory', async () => {
    // Option blocks of the help text: an option's line and its wrapped continuation lines.
    const blocks = (await help('import')).split(/\n(?= {2}-)/);
    const block = (flag: string) => blocks.find((b) => b.trimStart().startsWith(flag)) ?? '';
    expect(block('--out')).toContain('write the manifests here');
    expect(block('--out')).not.toMatch(/env:/);
    // The cluster flags it shares with the daemon keep theirs.
    expect(block('--manifests')).toContain('SWARM_VIP_MANIFESTS');
  }, 30_000);
});

describe('a bad switch value through the real CLI', () => {
  it('exits 1 and names the variable, doing nothing', async () => {
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), '--once', '--manifests', '/nonexistent'],
      { cwd: repo, timeout: 30_000, env: { ...process.env, SWARM_VIP_ADOPT: 'no' } },
    );
    await expect(run).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('error: SWARM_VIP_ADOPT="no": expected true, false, 1 or 0'),
    });
  }, 30_000);
});
