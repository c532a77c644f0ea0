/**
 * Two holders among nodes that reach each other, on real nodes: a VIP with VRRP authentication
 * on nodes 1 and 2, and the keepalived on node 2 given another password by hand (config
 * drift the spec hash does not see). Each keepalived then drops the other's adverts, both become
 * MASTER and both carry the address: a split brain for every client. The daemon's `/status` and
 * log, and `reconciler status`, name both nodes and the likely cause. Who holds the address is
 * read from the nodes' interfaces (`ip addr` in each namespace), never from the reconciler.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type Docker from 'dockerode';
import { CONFIG_TEMPLATE_PATH } from '../../src/core/container-layout.js';
import { dockerOf, holdersOf, waitFor } from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  startEventDrivenDaemon,
  testVip,
  type RunningReconciler,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const [n1, n2] = cluster.nodes;
if (!n1 || !n2) throw new Error('these tests need a cluster of at least two nodes');
const vip = testVip(cluster, 'split', 20);
const PASSWORD_ENV = 'VRRP_PASSWORD_SPLIT';

interface AnomalyView {
  kind: string;
  vip: string;
  nodes?: string[];
  container?: string;
  message: string;
}

/** Runs `argv` in a container (as root) and returns its exit code and output. */
async function execIn(
  docker: Docker,
  containerId: string,
  argv: string[],
): Promise<{ code: number; output: string }> {
  const exec = await docker
    .getContainer(containerId)
    .exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const output = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`exec ${argv.join(' ')} took over 10 s`)), 10_000);
    stream.on('data', (c: Buffer) => (text += c.toString('latin1')));
    stream.on('end', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output };
}

describe('two holders that do not accept each other', () => {
  let dir = '';
  let base = '';
  let reconciler: RunningReconciler;
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-split-brain-${process.pid}.lock`);
  const anomalies = async (): Promise<AnomalyView[]> =>
    ((await (await fetch(`${base}/status`)).json()) as { anomalies: AnomalyView[] }).anomalies.filter(
      (a) => a.vip === 'split',
    );
  const held = async () => (await holdersOf(cluster, vip.address)).sort();
  const container = async (node: string) =>
    (await containersOnNodes(cluster, 'keepalived-split')).find((c) => c.node === node && c.managed);

  beforeAll(async () => {
    process.env[PASSWORD_ENV] = 'e2eSplit';
    dir = await manifestDir(cluster);
    await writeFile(
      path.join(dir, 'split.yaml'),
      vip
        .yaml({ [n1.name]: 200, [n2.name]: 100 })
        .replace(/advertInterval: .*\n/, 'advertInterval: 1\n')
        .concat(`  authentication: { passwordEnv: ${PASSWORD_ENV} }\n`),
    );
    ({ reconciler, base } = await startEventDrivenDaemon(dir, lockFile));
    await waitFor(async () => (await held()).join() === n1.name, {
      timeoutMs: 40_000,
      description: `${vip.address} held by ${n1.name} alone`,
    });
  });

  afterAll(async () => {
    const code = await reconciler?.stop();
    await removeManagedContainers(cluster);
    await removeDir(dir);
    await removeLockFile(lockFile);
    expect(code).toBe(0);
  });

  it('a peer whose password differs: both carry the address, and /status, the log and status name both nodes and the likely cause; fixing the peer leaves one holder', async () => {
    const drifted = await container(n2.name);
    if (!drifted) throw new Error(`no keepalived-split on ${n2.name}`);
    const docker = dockerOf(n2);
    // Its config template holds the password; every start renders keepalived.conf from it.
    const edit = await execIn(docker, drifted.id, [
      'sed',
      '-i',
      's/auth_pass .*/auth_pass "other123"/',
      CONFIG_TEMPLATE_PATH,
    ]);
    expect(edit.code, edit.output).toBe(0);
    await docker.getContainer(drifted.id).restart({ t: 5 });

    await waitFor(async () => (await held()).join() === [n1.name, n2.name].sort().join(), {
      timeoutMs: 20_000,
      description: `${vip.address} carried by both ${n1.name} and ${n2.name}`,
    });

    const split = await waitFor(async () => (await anomalies()).find((a) => a.kind === 'split-brain'), {
      timeoutMs: 20_000,
      intervalMs: 100,
      description: '/status to show the split brain',
    });
    expect(split.nodes).toEqual([n1.name, n2.name].sort());
    expect(split.message).toContain(`held by ${[n1.name, n2.name].sort().join(' and ')} at once`);
    expect(split.message).toContain('every holder is MASTER and drops the VRRP adverts it hears');
    expect(split.message).toContain('likely an authentication mismatch');
    expect(split.message).toMatch(new RegExp(`\\(container keepalived-split on ${n1.name}, ${n2.name}\\)$`));
    const clash = (await anomalies()).find((a) => a.kind === 'vrid-clash');
    expect(clash?.nodes).toEqual([n1.name, n2.name].sort());
    expect(clash?.message).toContain('("received an invalid passwd")');
    expect(clash?.message).toContain('(container keepalived-split)');
    const logged = await reconciler.waitForLog(
      (l) => l.anomaly === 'split-brain' && l.vip === 'split',
      'the split brain in the log',
    );
    expect(logged.msg).toBe(split.message);
    // Still what the interfaces say while the alarm stands.
    expect(await held()).toEqual([n1.name, n2.name].sort());

    // `reconciler status` finds the same from one look (the containers' recent log lines).
    const shown = await runCli(['status', '--manifests', dir, '--lock-file', lockFile, '-o', 'json']);
    expect(shown.code, shown.stderr).toBe(4);
    const cliAnomalies = (JSON.parse(shown.stdout) as { anomalies: AnomalyView[] }).anomalies;
    expect(cliAnomalies.find((a) => a.kind === 'split-brain')?.message).toContain(
      'likely an authentication mismatch',
    );
    expect(cliAnomalies.find((a) => a.kind === 'vrid-clash')?.nodes).toEqual([n1.name, n2.name].sort());
    const text = await runCli(['status', '--manifests', dir, '--lock-file', lockFile]);
    expect(text.code).toBe(4);
    expect(text.stdout).toContain(
      `anomaly split-brain: VIP split: held by ${[n1.name, n2.name].sort().join(' and ')} at once`,
    );

    // The drifted container goes (stopped first, so keepalived gives the address up); the
    // reconciler creates it again with the manifest's password.
    await docker.getContainer(drifted.id).stop({ t: 5 });
    await docker.getContainer(drifted.id).remove();
    await waitFor(async () => (await held()).join() === n1.name, {
      timeoutMs: 30_000,
      description: `${vip.address} held by ${n1.name} alone again`,
    });
    const recreated = await waitFor(
      async () => {
        const c = await container(n2.name);
        return c?.running && c.id !== drifted.id ? c : undefined;
      },
      { timeoutMs: 20_000, description: `keepalived-split created again on ${n2.name}` },
    );
    expect(recreated.node).toBe(n2.name);
    await waitFor(async () => (await anomalies()).length === 0, {
      timeoutMs: 20_000,
      description: 'the alarms to clear',
    });
    expect(await held()).toEqual([n1.name]);
  });
});
