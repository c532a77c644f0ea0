/**
 * `ssh://` NodeEndpoints against a real OpenSSH server in node 3's network namespace, whose
 * sessions may only run `docker system dial-stdio` against node 3's engine (test/cluster/sshd.ts).
 * The reconciler runs in the hub namespace (node addresses are unreachable from the root one);
 * nodes 1 and 2 are reached over their unix sockets.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOf, holderOf, nodeByName, nodeNames, waitFor } from '../cluster/index.js';
import { makeSshKey, startSshAgent, startSshd, type NodeSshd } from '../cluster/sshd.js';
import {
  containersOnNodes,
  nodeEndpointYaml,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const VIP = 'over-ssh';
const [name1, name2, name3] = nodeNames(cluster, 3);

describe('ssh:// NodeEndpoint against a real sshd', () => {
  const node3 = nodeByName(cluster, name3);
  const vip = testVip(cluster, VIP, 6);
  let dir = '';
  let sshd: NodeSshd;
  let agent: { socket: string; stop(): Promise<void> };

  const node3Yaml = (ssh: string[]) =>
    [
      'apiVersion: swarm-vip/v1',
      'kind: NodeEndpoint',
      `metadata: { name: ${name3} }`,
      'spec:',
      `  docker: ${sshd.url}`,
      `  address: ${node3.ipv4}`,
      ...ssh,
      '',
    ].join('\n');
  const once = (...extra: string[]) =>
    runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock'), ...extra], 120_000, {
      netns: cluster.hub.netns,
    });
  const node3Container = async () =>
    (await containersOnNodes(cluster, `keepalived-${VIP}`)).find((c) => c.node === name3);
  /** Sessions sshd accepted so far (each is one authenticated ssh connection). */
  const acceptedSessions = async () =>
    (await readFile(path.join(sshd.dir, 'sshd.log'), 'utf8')).split('Accepted publickey for root').length - 1;
  const waitForHolder = (node: string) =>
    waitFor(async () => (await holderOf(cluster, vip.address)) === node, {
      timeoutMs: 15_000,
      intervalMs: 100,
      description: `${vip.address} held by ${node}`,
    });

  beforeAll(async () => {
    sshd = await startSshd(cluster, node3);
    agent = await startSshAgent(node3, sshd.dir, sshd.identityFile);
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-ssh-'));
    for (const name of [name1, name2]) {
      await writeFile(path.join(dir, `${name}.yaml`), nodeEndpointYaml(nodeByName(cluster, name)));
    }
    await writeFile(path.join(dir, 'vip.yaml'), vip.yaml({ [name1]: 100, [name2]: 50, [name3]: 200 }));
  });

  afterAll(async () => {
    await removeManagedContainers(cluster);
    await agent?.stop();
    await sshd?.stop();
    await removeDir(dir);
  });

  it('reconciles node 3 over ssh (identity file, verified host key): it holds the VIP, and is repaired after a failover', async () => {
    await writeFile(
      path.join(dir, `${name3}.yaml`),
      node3Yaml([`  ssh: { identityFile: ${sshd.identityFile}, knownHostsFile: ${sshd.knownHostsFile} }`]),
    );
    const first = await once();
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await acceptedSessions()).toBeGreaterThan(0);
    expect((await containersOnNodes(cluster, `keepalived-${VIP}`)).map((c) => [c.node, c.running])).toEqual([
      [name1, true],
      [name2, true],
      [name3, true],
    ]);
    await waitForHolder(name3);

    // node 3's keepalived stops (SIGTERM: priority 0 hand-over): the VIP moves to node 1 ...
    await dockerOf(node3).getContainer(`keepalived-${VIP}`).stop({ t: 5 });
    await waitForHolder(name1);
    // ... and the next pass, over ssh again, brings node 3 back, which takes the VIP back (preempt).
    const repair = await once();
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    expect((await node3Container())?.running).toBe(true);
    await waitForHolder(name3);
  });

  it('takes the key from an ssh-agent and known_hosts from the flags when the NodeEndpoint names neither', async () => {
    await writeFile(path.join(dir, `${name3}.yaml`), node3Yaml([]));
    const before = await node3Container();
    const sessions = await acceptedSessions();
    const result = await once('--ssh-agent', agent.socket, '--ssh-known-hosts', sshd.knownHostsFile);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(await acceptedSessions()).toBeGreaterThan(sessions);
    expect(await node3Container()).toEqual(before);
  });

  it('refuses node 3 when its host key is not the one in known_hosts; the other nodes are still reconciled', async () => {
    const wrongKnownHosts = path.join(dir, 'known_hosts.wrong');
    const impostor = await makeSshKey(path.join(dir, 'impostor'));
    await writeFile(wrongKnownHosts, `${sshd.knownHostsLine(impostor)}\n`);
    await writeFile(
      path.join(dir, `${name3}.yaml`),
      node3Yaml([`  ssh: { identityFile: ${sshd.identityFile}, knownHostsFile: ${wrongKnownHosts} }`]),
    );
    // Work for node 1: its keepalived is gone (stopped first, so no address is left behind).
    const node1 = dockerOf(nodeByName(cluster, name1)).getContainer(`keepalived-${VIP}`);
    await node1.stop({ t: 5 });
    await node1.remove();
    const node3Before = await node3Container();
    const sessions = await acceptedSessions();

    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout + result.stderr).toMatch(
      new RegExp(`${name3}.*HOST KEY MISMATCH.*known_hosts\\.wrong \\(line 1\\)`),
    );
    // Refused before authenticating: the server never saw the client's key.
    expect(await acceptedSessions()).toBe(sessions);
    expect(await node3Container()).toEqual(node3Before);
    const node1After = (await containersOnNodes(cluster, `keepalived-${VIP}`)).find((c) => c.node === name1);
    expect(node1After?.running).toBe(true);
    await waitForHolder(name3);
  });
});
