/**
 * `reconciler --once` (cron) and `reconciler plan` on the real cluster: their exit codes and what
 * they print, in each state an operator meets. Every run has DOCKER_HOST pointing at a closed
 * loopback port (see the harness): the per-node clients must ignore it.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  nodeByName,
  nodeNames,
  startNodeDockerd,
  stopNodeDockerd,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
  vipYaml,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, cidr, yaml: vip } = testVip(cluster, 'api', 2);
const [name1, name2, name3] = nodeNames(cluster, 3);

interface PlanJson {
  actions: { kind: string; node: string; vip: string; reason: string }[];
  problems: { file: string; line: number; path: string; message: string }[];
  unreachable: { node: string }[];
}

describe('reconciler --once and plan on three real nodes', () => {
  let dir = '';
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-once-${process.pid}.lock`);
  const once = (...extra: string[]) =>
    runCli(['--once', '--manifests', dir, '--lock-file', lockFile, '--log-format', 'json', ...extra]);
  const plan = async () => {
    const result = await runCli(['plan', '--manifests', dir, '-o', 'json']);
    return { code: result.code, json: JSON.parse(result.stdout) as PlanJson };
  };
  const apiContainers = async () =>
    (await containersOnNodes(cluster, 'keepalived-api')).filter((c) => c.managed);

  /** The api container's environment on `node`, as `docker inspect` shows it to anyone. */
  const environmentOf = async (node: string) =>
    (await dockerOf(nodeByName(cluster, node)).getContainer('keepalived-api').inspect()).Config.Env ?? [];
  /** The config template carried in that environment, if any. */
  const configInEnvironment = async (node: string) =>
    (await environmentOf(node))
      .find((e) => e.startsWith('SWARM_VIP_FILE_0='))
      ?.slice('SWARM_VIP_FILE_0='.length);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
  });

  afterAll(async () => {
    await removeManagedContainers(cluster);
    await removeDir(dir);
    await removeLockFile(lockFile);
  });

  it('nothing declared: plan 0, --once 0', async () => {
    expect((await plan()).code).toBe(0);
    expect((await once()).code).toBe(0);
  });

  it('a new VIP: plan 2 lists one create per node; --once 0 creates them; then plan 0', async () => {
    await writeFile(path.join(dir, 'api.yaml'), vip({ [name1]: 100, [name2]: 200, [name3]: 50 }));
    const pending = await plan();
    expect(pending.code).toBe(2);
    expect(pending.json.actions.map((a) => [a.kind, a.node])).toEqual([
      ['create', name1],
      ['create', name2],
      ['create', name3],
    ]);
    const result = await once();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('converged');
    expect((await apiContainers()).map((c) => [c.node, c.running])).toEqual([
      [name1, true],
      [name2, true],
      [name3, true],
    ]);
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name2), { timeoutMs: 15_000 }),
    ).toBe(true);
    // Nothing secret: the config rode in the create request (no archive put), and that config is
    // the one keepalived runs (the holder above proves it works).
    expect(await configInEnvironment(name2)).toContain(`${address}/${cluster.ipv4PrefixLength}`);
    expect((await plan()).code).toBe(0);
  });

  it('one manifest invalid: plan 1 with file and line; --once 2 and the valid VIP is still reconciled', async () => {
    await writeFile(
      path.join(dir, 'broken.yaml'),
      vip({ [name1]: 100 }).replace('name: api', 'name: Broken_Name'),
    );
    await writeFile(path.join(dir, 'api.yaml'), vip({ [name1]: 100, [name2]: 200, [name3]: 150 }));
    const pending = await plan();
    expect(pending.code).toBe(1);
    expect(pending.json.problems).toEqual([
      expect.objectContaining({ file: path.join(dir, 'broken.yaml'), line: 3, path: '/metadata/name' }),
    ]);
    expect(pending.json.actions.map((a) => [a.kind, a.node])).toEqual([['replace', name3]]);
    const result = await once();
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('broken.yaml:3:');
    expect((await plan()).json.actions).toEqual([]);
    await rm(path.join(dir, 'broken.yaml'));
  });

  it('a node down: plan 1 and --once 1 name it; the other nodes are still reconciled; back up, --once 0', async () => {
    const node3 = nodeByName(cluster, name3);
    await stopNodeDockerd(cluster, node3);
    try {
      await writeFile(path.join(dir, 'api.yaml'), vip({ [name1]: 210, [name2]: 200, [name3]: 150 }));
      const pending = await plan();
      expect(pending.code).toBe(1);
      expect(pending.json.unreachable.map((u) => u.node)).toEqual([name3]);
      const result = await once();
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(new RegExp(`node ${name3} unreachable`));
      expect(result.stdout).toMatch(new RegExp(`done +replace keepalived-api on ${name1}`));
    } finally {
      await startNodeDockerd(cluster, node3);
    }
    expect(
      await waitFor(() => holderOf(cluster, address).then((h) => h === name1), { timeoutMs: 15_000 }),
    ).toBe(true);
    expect((await once()).code).toBe(0);
    expect((await plan()).code).toBe(0);
  });

  it('two overlapping runs: the second does nothing while the lock is held, exit 3', async () => {
    // Another holder of the same flock (flock(1) itself): the lock is the kernel's, not a file's age.
    const holder = spawn('flock', ['--exclusive', lockFile, '-c', 'echo locked; exec sleep 60'], {
      stdio: ['ignore', 'pipe', 'ignore'],
      detached: true,
    });
    try {
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      await writeFile(path.join(dir, 'api.yaml'), vip({ [name1]: 210, [name2]: 200 }));
      const result = await once();
      expect(result.code).toBe(3);
      expect(result.stdout).toMatch(/not acting: another reconciler is acting .* nothing was done/);
      expect((await apiContainers()).map((c) => c.node)).toEqual([name1, name2, name3]);
    } finally {
      // flock(1) and the sleep it ran both keep the descriptor: end the whole group.
      process.kill(-(holder.pid ?? 0), 'SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    expect((await once()).code).toBe(0);
    expect((await apiContainers()).map((c) => c.node)).toEqual([name1, name2]);
  });

  it('status -o json: per node the container, current spec, VRRP state, and the holder; never the VRRP password', async () => {
    // VRRPv2 (advertInterval 1) with a password, so there is a password that could leak. The
    // file lies in a directory the operator allows with --password-dir.
    const password = 'st4tusPw';
    const secrets = path.join(tmpdir(), `swarm-vip-e2e-secrets-${process.pid}`);
    await mkdir(secrets, { recursive: true });
    onTestFinished(() => rm(secrets, { recursive: true, force: true }));
    await writeFile(path.join(secrets, 'vrrp-password'), `${password}\n`);
    await writeFile(
      path.join(dir, 'api.yaml'),
      vipYaml({
        name: 'api',
        address: cidr,
        priorities: { [name1]: 210, [name2]: 200 },
        image: KEEPALIVED_TEST_IMAGE,
        advertInterval: 1,
      }) + `  authentication: { passwordFile: ${path.join(secrets, 'vrrp-password')} }\n`,
    );
    // Without --password-dir the file is refused at its field, and nothing of it is shown.
    const refused = await plan();
    expect(refused.json.problems.map((p) => [p.path, p.message])).toEqual([
      [
        '/spec/authentication/passwordFile',
        expect.stringContaining(
          'is refused: no password directory is configured; start the reconciler with --password-dir',
        ),
      ],
    ]);
    const applied = await once('--password-dir', secrets);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 20_000,
      description: `${name1} to hold the authenticated VIP`,
    });
    const result = await runCli(['status', '--manifests', dir, '-o', 'json', '--password-dir', secrets]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as {
      vips: { vip: string; holders: string[]; nodes: { node: string; spec: string; vrrpState: string }[] }[];
    };
    const api = status.vips.find((v) => v.vip === 'api');
    expect(api?.holders).toEqual([name1]);
    expect(api?.nodes.map((n) => [n.node, n.spec, n.vrrpState])).toEqual([
      [name1, 'current', 'MASTER'],
      [name2, 'current', 'BACKUP'],
    ]);
    // The password never rides in the create request, where `docker inspect` would show it.
    for (const node of [name1, name2]) {
      expect(await configInEnvironment(node)).toBeUndefined();
      expect((await environmentOf(node)).join('\n')).not.toContain(password);
    }
    const text = await runCli(['status', '--manifests', dir, '--password-dir', secrets]);
    for (const output of [result.stdout, result.stderr, text.stdout, text.stderr, applied.stdout]) {
      expect(output).not.toContain(password);
      expect(output).not.toMatch(/auth_pass/i);
    }
  });
});
