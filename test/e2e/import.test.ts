/**
 * The way in for the seed recipe's users: osixia/keepalived-style containers run by hand on three
 * nodes (configured only by KEEPALIVED_* variables), `reconciler import` turns them into
 * manifests, `validate` accepts them, and `--once --adopt` replaces the hand-run containers while
 * the address is watched on every node's interfaces the whole time.
 */
import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  HolderWatch,
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  startKeepalived,
  stopAndRemove,
  waitFor,
  type ClusterNodeDescription,
  type HolderReport,
} from '../cluster/index.js';
import { DockerNodeRuntime } from '../../src/adapters/docker/node-runtime.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  RunningReconciler,
  type LogLine,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const address = cluster.spareIpv4[15] ?? '';
const HAND_RUN = 'keepalived';
const ROUTER_ID = 61;
const PASSWORD = 'Zq7x9pWd';
const PASSWORD_ENV = `VRRP_PASSWORD_VIP_${address.replace(/\./g, '_')}`;
const priorities = [200, 100, 50];

/**
 * What osixia/keepalived 2.0.20's start-up renders from those variables (its image cannot be
 * pulled here): one BACKUP instance, nopreempt, advert_int 1, PASS authentication, the VIP as
 * given (no prefix: a single address), the other nodes as unicast peers.
 */
function recipeConfig(node: ClusterNodeDescription, priority: number): string {
  const peers = cluster.nodes.filter((peer) => peer.name !== node.name).map((peer) => `    ${peer.ipv4}`);
  return [
    'global_defs {',
    `  default_interface ${node.interface}`,
    '}',
    'vrrp_instance VI_1 {',
    `  interface ${node.interface}`,
    '  state BACKUP',
    `  virtual_router_id ${ROUTER_ID}`,
    `  priority ${priority}`,
    '  nopreempt',
    '  unicast_peer {',
    ...peers,
    '  }',
    '  virtual_ipaddress {',
    `    ${address}`,
    '  }',
    '  authentication {',
    '    auth_type PASS',
    `    auth_pass ${PASSWORD}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function recipeEnv(node: ClusterNodeDescription, priority: number): string[] {
  const peers = cluster.nodes.map((peer) => `'${peer.ipv4}'`).join(', ');
  return [
    `KEEPALIVED_VIRTUAL_IPS=${address}`,
    `KEEPALIVED_UNICAST_PEERS=#PYTHON2BASH:[${peers}]`,
    `KEEPALIVED_PRIORITY=${priority}`,
    `KEEPALIVED_INTERFACE=${node.interface}`,
    `KEEPALIVED_ROUTER_ID=${ROUTER_ID}`,
    `KEEPALIVED_PASSWORD=${PASSWORD}`,
  ];
}

/**
 * The recipe on every node, `holderIndex`'s keepalived first and alone until it holds the address;
 * then the others, which stay backups (nopreempt), as after any real history of that recipe.
 */
async function startRecipe(holderIndex: number): Promise<void> {
  const start = (node: ClusterNodeDescription, i: number) =>
    startKeepalived(node, {
      name: HAND_RUN,
      image: KEEPALIVED_TEST_IMAGE,
      config: recipeConfig(node, priorities[i] ?? 50),
      env: recipeEnv(node, priorities[i] ?? 50),
    });
  const holder = cluster.nodes[holderIndex];
  if (!holder) throw new Error(`no node #${holderIndex}`);
  await start(holder, holderIndex);
  await waitFor(() => holderOf(cluster, address).then((h) => h === holder.name), {
    timeoutMs: 30_000,
    description: `the hand-run keepalived of ${holder.name} to hold the address`,
  });
  await Promise.all(cluster.nodes.map((node, i) => (i === holderIndex ? undefined : start(node, i))));
}

/** `--once --adopt` of the imported manifests with the address watched on every node. */
async function adoptWatched(
  outDir: string,
  lockDir: string,
): Promise<{ report: HolderReport; logs: LogLine[] }> {
  const watch = await HolderWatch.start(cluster, address);
  let done = false;
  let logs: LogLine[] = [];
  try {
    const once = await runCli([
      '--once',
      '--adopt',
      '--log-format',
      'json',
      '--manifests',
      outDir,
      '--lock-file',
      path.join(lockDir, '.lock'),
    ]);
    expect(once.code, once.stdout + once.stderr).toBe(0);
    logs = once.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
    await waitFor(() => holderOf(cluster, address).then((h) => h === cluster.nodes[0]?.name), {
      timeoutMs: 30_000,
      description: 'the priority-200 node to hold the address under swarm-vip',
    });
    done = true;
  } finally {
    if (!done) watch.stop();
  }
  return { report: watch.stop(), logs };
}

/** swarm-vip's own Docker adapter for `node`, to act as a reconciler would mid-rollout. */
function runtimeOf(node: ClusterNodeDescription): DockerNodeRuntime {
  return new DockerNodeRuntime(node.name, dockerOf(node), dockerOf(node), {
    probeTimeoutMs: 10_000,
    stopTimeoutSeconds: 5,
    startWaitMs: 10_000,
    events: { reconnect: { baseMs: 500, maxMs: 5000 } },
  });
}

/** The managed keepalived of the imported VIP on `node`. */
async function managedOn(node: ClusterNodeDescription): Promise<string> {
  const [found] = (await containersOnNodes(cluster, 'keepalived-vip-')).filter((c) => c.node === node.name);
  if (!found) throw new Error(`no managed keepalived on ${node.name}`);
  return found.name;
}

/** Periods of at least 100 ms (each node's events reach us through its own monitor: less is noise). */
const longerThanNoise = (gaps: readonly { fromMs: number; toMs: number }[]) =>
  gaps.map((gap) => gap.toMs - gap.fromMs).filter((ms) => ms >= 100);

describe('reconciler import, then adopt', () => {
  let nodesDir = '';
  let outDir = '';

  beforeAll(async () => {
    nodesDir = await manifestDir(cluster);
    outDir = path.join(nodesDir, 'imported');
    // The worst case for the migration: the hand-run holder has the highest priority, so no new
    // container can preempt it and it must hand over (see the second test).
    await startRecipe(0);
  });

  afterAll(async () => {
    delete process.env[PASSWORD_ENV];
    for (const node of cluster.nodes) await stopAndRemove(dockerOf(node), HAND_RUN);
    await removeManagedContainers(cluster);
    await removeDir(nodesDir);
  });

  it('imports the hand-run containers as manifests that validate, without writing the password', async () => {
    const result = await runCli(['import', '--manifests', nodesDir, '--out', outDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(PASSWORD_ENV);
    const files = (await readdir(outDir)).sort();
    expect(files).toEqual(
      [
        ...cluster.nodes.map((node) => `node-${node.name}.yaml`),
        `vip-${address.replace(/\./g, '-')}.yaml`,
      ].sort(),
    );
    const texts = await Promise.all(files.map((file) => readFile(path.join(outDir, file), 'utf8')));
    for (const text of [...texts, result.stdout, result.stderr]) expect(text).not.toContain(PASSWORD);
    const vip = texts[files.indexOf(`vip-${address.replace(/\./g, '-')}.yaml`)] ?? '';
    expect(vip).toContain(`- ${address}/32`);
    expect(vip).toContain(`virtualRouterId: ${ROUTER_ID}`);
    expect(vip).toContain(`passwordEnv: ${PASSWORD_ENV}`);
    const validate = await runCli(['validate', outDir]);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  });

  it('with --password-env-prefix, names the variable the daemon admits; validate holds each output to its prefix', async () => {
    // Nodes of their own: the first test's output lies inside nodesDir and would be read twice.
    const nodes = await manifestDir(cluster);
    const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-import-prefix-'));
    try {
      const result = await runCli(['import', '--manifests', nodes, '--password-env-prefix', 'OPS_VRRP']);
      expect(result.code, result.stderr).toBe(0);
      const variable = `OPS_VRRP_VIP_${address.replace(/\./g, '_')}`;
      expect(result.stdout).toContain(`passwordEnv: ${variable}`);
      expect(result.stderr).toContain(`set ${variable} in the reconciler's environment`);
      await writeFile(path.join(dir, 'imported.yaml'), result.stdout);
      const same = await runCli(['validate', '--password-env-prefix', 'OPS_VRRP', dir]);
      expect(same.code, same.stdout).toBe(0);
      // Under the default prefix the daemon would refuse it, and validate says so at its line.
      const other = await runCli(['validate', dir]);
      expect(other.code).toBe(1);
      expect(other.stdout).toMatch(
        new RegExp(
          `imported\\.yaml:\\d+:\\d+  /spec/authentication/passwordEnv  VirtualIP vip-[\\d-]+: passwordEnv ${variable} is refused: .*, e\\.g\\. passwordEnv: VRRP_PASSWORD_VIP_`,
        ),
      );
    } finally {
      await removeDir(dir);
      await removeDir(nodes);
    }
  });

  it('--once --adopt replaces every hand-run container, the highest-priority holder last, and the address is never unheld', async () => {
    process.env[PASSWORD_ENV] = PASSWORD;
    const plan = await runCli(['plan', '--adopt', '--manifests', outDir, '-o', 'json']);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    const { report, logs } = await adoptWatched(outDir, nodesDir);
    // Nobody outranks the hand-run holder (200): its goodbye (priority 0) would leave the address
    // unheld for the best backup's skew time, (256 - 100) / 256 x 1 s = 609 ms. Instead the new
    // priority-100 container is raised above it by a reload and preempts it (adding the address
    // before the holder lets go), the holder is replaced while a backup, and the raised container
    // is reloaded back to 100, which the new priority-200 container then preempts in turn.
    expect(longerThanNoise(report.lost), JSON.stringify(report)).toEqual([]);
    expect(longerThanNoise(report.shared), JSON.stringify(report)).toEqual([]);
    const [top, second] = cluster.nodes;
    // The address went to the raised node and came back to the top node, and nowhere else.
    const gained = report.changes.filter((c) => c.held).map((c) => c.node);
    expect(gained, JSON.stringify(report)).toEqual([second?.name, top?.name]);
    // The operator reads the hand-over in the reconciler's log.
    const steps = logs.filter((l) => l.action !== undefined && l.msg.startsWith(`${String(l.action)} `));
    expect(steps.map((l) => `${String(l.action)}@${String(l.node)}`)).toEqual(
      expect.arrayContaining([
        `raise-priority@${second?.name}`,
        `replace@${top?.name}`,
        `restore-priority@${second?.name}`,
      ]),
    );
    expect(
      logs.some((l) => /took the address over at priority 254/.test(l.msg)),
      JSON.stringify(logs),
    ).toBe(true);
    expect((await containersOnNodes(cluster, HAND_RUN)).filter((c) => c.name === HAND_RUN)).toEqual([]);
    const managed = await containersOnNodes(cluster, `keepalived-vip-`);
    expect(managed.map((c) => [c.node, c.managed, c.running])).toEqual(
      cluster.nodes.map((n) => [n.name, true, true]),
    );
  });

  it('a keepalived raised for a hand-over that restarts comes back with the manifest priority', async () => {
    const [top, second] = cluster.nodes;
    if (!top || !second) throw new Error('needs two nodes');
    const raisedContainer = await managedOn(second);
    const runtime = runtimeOf(second);
    // As in a hand-over: raised above the holder, it preempts it.
    const raised = await runtime.reloadWithPriority(raisedContainer, 254, {
      awaitMasterWithinMs: 15_000,
    });
    expect(raised).toEqual({ reloaded: true, master: true });
    expect(await holderOf(cluster, address)).toBe(second.name);
    // A restart (the restart policy after a crash, or by hand) writes the config afresh.
    await dockerOf(second).getContainer(raisedContainer).restart({ t: 5 });
    await waitFor(() => holderOf(cluster, address).then((h) => h === top.name), {
      timeoutMs: 30_000,
      description: `${top.name} to hold the address again`,
    });
    // The running config has the manifest's priority already: nothing to restore.
    expect(await runtime.reloadWithPriority(raisedContainer, priorities[1] ?? 100)).toEqual({
      reloaded: false,
    });
  });

  it('a daemon finds a raise left by a hand-over that did not finish and restores it: the top node holds again, never unheld', async () => {
    process.env[PASSWORD_ENV] = PASSWORD;
    const [top, second] = cluster.nodes;
    if (!top || !second) throw new Error('needs two nodes');
    const raisedContainer = await managedOn(second);
    // What a reconciler killed between its raise and its restore leaves behind.
    const raised = await runtimeOf(second).reloadWithPriority(raisedContainer, 254, {
      awaitMasterWithinMs: 15_000,
    });
    expect(raised).toEqual({ reloaded: true, master: true });
    expect(await holderOf(cluster, address)).toBe(second.name);
    const watch = await HolderWatch.start(cluster, address);
    const daemon = new RunningReconciler([
      '--manifests',
      outDir,
      '--lock-file',
      path.join(nodesDir, '.lock'),
    ]);
    let report: HolderReport | undefined;
    try {
      // It reads the raise from the container's log and restores the manifest's priority.
      const restored = await daemon.waitForLog(
        (l) =>
          l.action === 'restore-priority' && l.node === second.name && l.msg.startsWith('restore-priority'),
        `the left-over raise on ${second.name} restored`,
      );
      expect(String(restored.reason)).toMatch(/since a hand-over that did not finish/);
      await waitFor(() => holderOf(cluster, address).then((h) => h === top.name), {
        timeoutMs: 30_000,
        description: `${top.name} to take the address back`,
      });
    } finally {
      report = watch.stop();
      await daemon.stop();
    }
    expect(longerThanNoise(report.lost), JSON.stringify(report)).toEqual([]);
    expect(longerThanNoise(report.shared), JSON.stringify(report)).toEqual([]);
  });

  it('when a new container outranks the hand-run holder, it preempts it before the holder goes: never unheld', async () => {
    process.env[PASSWORD_ENV] = PASSWORD;
    await removeManagedContainers(cluster);
    // The recipe's nopreempt lets any node hold; here the priority-50 one does.
    await startRecipe(2);
    const { report } = await adoptWatched(outDir, nodesDir);
    // The rollout waits (bounded by the master-down interval, 3 x 1 s + skew) until the new
    // priority-200 container has preempted the hand-run holder, which adds the address before the
    // old holder lets go; only then is the old holder replaced. Without that wait the holder's
    // priority-0 hand-over left the address unheld for the new container's skew time (218 ms).
    expect(longerThanNoise(report.lost), JSON.stringify(report)).toEqual([]);
    expect(longerThanNoise(report.shared), JSON.stringify(report)).toEqual([]);
    expect(
      report.changes.some((c) => c.node === cluster.nodes[2]?.name && !c.held),
      JSON.stringify(report),
    ).toBe(true);
    expect((await containersOnNodes(cluster, HAND_RUN)).filter((c) => c.name === HAND_RUN)).toEqual([]);
  });
});
