/**
 * Migrating from keepalived run by hand (the classic recipe: unlabelled containers with
 * KEEPALIVED_VIRTUAL_IPS): swarm-vip reports the claim and will not start a rival VRRP group for
 * the address; with --adopt it replaces the hand-run containers, holder last.
 */
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  nodeByName,
  nodeNames,
  startKeepalived,
  stopAndRemove,
  unicastConfig,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  engineEvents,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, cidr, yaml: legacyVip } = testVip(cluster, 'legacy', 8);
const HAND_RUN = 'keepalived';
const [name1, name2] = nodeNames(cluster, 2);

describe('adopting hand-run keepalived', () => {
  let dir = '';
  const once = (...extra: string[]) =>
    runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock'), ...extra]);
  const handRun = async () => (await containersOnNodes(cluster, HAND_RUN)).filter((c) => c.name === HAND_RUN);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    for (const [name, priority] of [
      [name1, 200],
      [name2, 100],
    ] as const) {
      const node = nodeByName(cluster, name);
      await startKeepalived(node, {
        name: HAND_RUN,
        image: KEEPALIVED_TEST_IMAGE,
        config: unicastConfig(cluster, node, { name: 'VI_1', virtualRouterId: 77, priority, vip: cidr }),
        env: [`KEEPALIVED_VIRTUAL_IPS=${address}`, `KEEPALIVED_PRIORITY=${priority}`],
      });
    }
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 20_000,
      description: `the hand-run keepalived on ${name1} to hold the address`,
    });
    await writeFile(path.join(dir, 'legacy.yaml'), legacyVip({ [name1]: 150, [name2]: 250 }));
  });

  afterAll(async () => {
    for (const name of [name1, name2]) await stopAndRemove(dockerOf(nodeByName(cluster, name)), HAND_RUN);
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('plan and --once report the claim, exit 1, and leave both the hand-run containers and the address alone', async () => {
    const plan = await runCli(['plan', '--manifests', dir, '-o', 'json']);
    expect(plan.code).toBe(1);
    const json = JSON.parse(plan.stdout) as {
      actions: unknown[];
      claims: { node: string; container: string }[];
    };
    expect(json.actions).toEqual([]);
    expect(json.claims.map((c) => [c.node, c.container])).toEqual([
      [name1, HAND_RUN],
      [name2, HAND_RUN],
    ]);
    const result = await once();
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain('claims');
    expect((await handRun()).map((c) => [c.node, c.running])).toEqual([
      [name1, true],
      [name2, true],
    ]);
    expect((await containersOnNodes(cluster, 'keepalived-legacy')).length).toBe(0);
    expect(await holderOf(cluster, address)).toBe(name1);
  });

  it('--adopt replaces them with managed containers; the address ends on the new highest priority', async () => {
    const plan = await runCli(['plan', '--manifests', dir, '--adopt', '-o', 'json']);
    expect(plan.code).toBe(2);
    const steps = (JSON.parse(plan.stdout) as { actions: { kind: string; node: string }[] }).actions;
    // Node 1 holds the address: it goes last.
    expect(steps.map((a) => [a.kind, a.node])).toEqual([
      ['replace', name2],
      ['replace', name1],
    ]);
    const startedMs = Date.now();
    const result = await once('--adopt');
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // What ran on the nodes, by the engines' own clocks: the backup's hand-run keepalived went and
    // its managed one was running before the holder's hand-run keepalived was stopped.
    const ran = (await engineEvents(cluster, startedMs, Date.now()))
      .filter((e) => ['die', 'start'].includes(e.action))
      .filter((e) => e.container === HAND_RUN || e.container === 'keepalived-legacy')
      .map((e) => `${e.node} ${e.action} ${e.container}`);
    expect(ran).toEqual([
      `${name2} die ${HAND_RUN}`,
      `${name2} start keepalived-legacy`,
      `${name1} die ${HAND_RUN}`,
      `${name1} start keepalived-legacy`,
    ]);
    expect(await handRun()).toEqual([]);
    expect(
      (await containersOnNodes(cluster, 'keepalived-legacy')).map((c) => [c.node, c.managed, c.running]),
    ).toEqual([
      [name1, true, true],
      [name2, true, true],
    ]);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 20_000,
      description: `${name2} (priority 250) to hold the adopted address`,
    });
    expect((await once()).code).toBe(0);
  });
});
