/**
 * `reconciler agent` in front of each real node engine (run on this host against the node's unix
 * socket, serving mutual TLS on loopback), and the reconciler reaching every node only through
 * them: the VIP is created, held, fails over and is repaired; calls outside the allow-list are
 * refused and logged; a dead agent fails only its node.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEEPALIVED_TEST_IMAGE, dockerOf, holderOf, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
} from './reconciler-harness.js';
import { NodeAgent, makeCertificates, type TestCertificates } from './tls-certificates.js';

const cluster = inject('cluster');
const [first, second, third] = cluster.nodes;
const vip = testVip(cluster, 'through-agents', 15);
const NAME = 'keepalived-through-agents';
const BYSTANDER = 'agent-bystander';
const BYSTANDER_IMAGE = 'swarm-vip/bystander';

describe('reconciler agent: every node reached only through its agent, over mutual TLS', () => {
  let dir = '';
  let certs: TestCertificates;
  let agents: NodeAgent[] = [];
  if (!first || !second || !third) throw new Error('this test needs three nodes');

  const writeEndpoints = () =>
    Promise.all(agents.map((a) => writeFile(path.join(dir, `node-${a.node.name}.yaml`), a.endpointYaml())));
  const once = () => runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock')]);
  /** A client holding the reconciler's credential, as a thief would. */
  const asReconciler = (agent: NodeAgent) =>
    new Docker({
      host: '127.0.0.1',
      port: agent.port,
      protocol: 'https',
      ca: readFileSync(certs.ca),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      socketPath: undefined,
      timeout: 10_000,
    });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-agent-'));
    certs = await makeCertificates(dir, 'agents', 'IP:127.0.0.1,DNS:swarm-vip-agent');
    agents = [first, second, third].map((node) => new NodeAgent(node, certs));
    await Promise.all(agents.map((a) => a.start()));
    await writeEndpoints();
    await writeFile(
      path.join(dir, 'vip.yaml'),
      vip.yaml({ [first.name]: 200, [second.name]: 100, [third.name]: 50 }),
    );
    // A container the reconciler has no business with (its image does not even look like keepalived).
    await dockerOf(first).getImage(KEEPALIVED_TEST_IMAGE).tag({ repo: BYSTANDER_IMAGE, tag: 'latest' });
    const bystander = await dockerOf(first).createContainer({
      name: BYSTANDER,
      Image: BYSTANDER_IMAGE,
      Entrypoint: ['sleep'],
      Cmd: ['300'],
    });
    await bystander.start();
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.process?.stop()));
    await dockerOf(first)
      .getContainer(BYSTANDER)
      .remove({ force: true })
      .catch(() => undefined);
    await dockerOf(first)
      .getImage(BYSTANDER_IMAGE)
      .remove()
      .catch(() => undefined);
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('creates, starts and probes the VIP on all three nodes through the agents; the highest priority holds it', async () => {
    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await containersOnNodes(cluster, NAME)).map((c) => [c.node, c.running])).toEqual([
      [first.name, true],
      [second.name, true],
      [third.name, true],
    ]);
    await waitFor(() => holderOf(cluster, vip.address).then((h) => h === first.name), {
      timeoutMs: 15_000,
      description: `${first.name} to hold ${vip.address}`,
    });
    expect(agents.flatMap((a) => a.refusals())).toEqual([]);
  });

  it('refuses, and logs, what the reconciler never needs, even with its credential', async () => {
    const [agent] = agents;
    if (!agent) throw new Error('no agent');
    const thief = asReconciler(agent);
    const refused = async (what: string, call: () => Promise<unknown>) => {
      const error = (await call().then(
        () => undefined,
        (e: unknown) => e,
      )) as { statusCode?: number; message?: string } | undefined;
      expect(error?.statusCode, what).toBe(403);
      expect(error?.message, what).toMatch(/swarm-vip agent/);
    };
    await refused('stop a container that is not managed', () => thief.getContainer(BYSTANDER).stop());
    await refused('exec into it', () => thief.getContainer(BYSTANDER).exec({ Cmd: ['id'] }));
    await refused('remove it', () => thief.getContainer(BYSTANDER).remove({ force: true }));
    await refused('a privileged managed container', () =>
      thief.createContainer({
        name: 'keepalived-evil',
        Image: KEEPALIVED_TEST_IMAGE,
        Labels: { 'swarm-vip.managed': 'true', 'swarm-vip.vip': 'evil', 'swarm-vip.spec-hash': 'x' },
        HostConfig: { NetworkMode: 'host', Privileged: true, Binds: ['/:/host'] },
      }),
    );
    await refused('list volumes', () => thief.listVolumes());
    await refused('leave the swarm', () => thief.swarmLeave({ force: true }));
    // Reads show only what the reconciler manages (and hand-run keepalived), not the bystander.
    const names = (await thief.listContainers({ all: true })).map((c) => c.Names[0]);
    expect(names).toContain(`/${NAME}`);
    expect(names).not.toContain(`/${BYSTANDER}`);
    // The bystander is untouched, and each refusal is in the agent's log with its reason.
    expect((await dockerOf(first).getContainer(BYSTANDER).inspect()).State.Running).toBe(true);
    expect(agent.refusals().map((l) => `${String(l.method)} ${String(l.path)}`)).toEqual([
      `POST /containers/${BYSTANDER}/stop`,
      `POST /containers/${BYSTANDER}/exec`,
      `DELETE /containers/${BYSTANDER}?force=true`,
      expect.stringMatching(/^POST \/containers\/create\?name=keepalived-evil/),
      'GET /volumes',
      'POST /swarm/leave?force=true',
    ]);
    expect(agent.refusals()[3]?.reason).toMatch(/HostConfig.Privileged is not allowed/);
  });

  it('refuses a client without a certificate from the CA', async () => {
    const [agent] = agents;
    const stranger = new Docker({
      host: '127.0.0.1',
      port: agent?.port,
      protocol: 'https',
      ca: readFileSync(certs.ca),
      socketPath: undefined,
      timeout: 5_000,
    });
    await expect(stranger.ping()).rejects.toThrow();
  });

  it('watch mode through the agents: a killed holder fails over, the reconciler repairs it from agent events', async () => {
    const reconciler = new RunningReconciler([
      '--manifests',
      dir,
      '--resync-interval',
      '10m',
      '--lock-file',
      path.join(dir, '.lock'),
    ]);
    try {
      await reconciler.waitForLog((l) => l.msg === 'watching', 'the reconciler to start');
      const holder = (await containersOnNodes(cluster, NAME)).find((c) => c.node === first.name);
      await dockerOf(first)
        .getContainer(holder?.id ?? '')
        .kill();
      await waitFor(() => holderOf(cluster, vip.address).then((h) => h === second.name), {
        timeoutMs: 10_000,
        description: `${second.name} to take ${vip.address} over`,
      }).catch(() => undefined); // the repair may already have won it back
      await waitFor(
        async () =>
          (await containersOnNodes(cluster, NAME)).find((c) => c.node === first.name)?.running === true &&
          (await holderOf(cluster, vip.address)) === first.name,
        { timeoutMs: 30_000, description: `the reconciler to restart ${NAME} on ${first.name}` },
      );
    } finally {
      expect(await reconciler.stop()).toBe(0);
    }
  });

  it('a dead agent fails only its node; the node comes back with its agent', async () => {
    const dead = agents[2];
    if (!dead) throw new Error('no agent');
    const port = dead.port;
    await dead.process?.stop();
    const onFirst = (await containersOnNodes(cluster, NAME)).find((c) => c.node === first.name);
    await dockerOf(first)
      .getContainer(onFirst?.id ?? '')
      .stop({ t: 5 });

    const without = await once();
    expect(without.code).toBe(1);
    const failed = without.stdout.split('\n').filter((line) => line.startsWith('failed'));
    expect(failed).toEqual([expect.stringContaining(`node ${third.name} unreachable`)]);
    expect((await containersOnNodes(cluster, NAME)).map((c) => [c.node, c.running])).toEqual([
      [first.name, true],
      [second.name, true],
      [third.name, true],
    ]);

    await dead.start(port);
    const back = await once();
    expect(back.code, back.stdout + back.stderr).toBe(0);
  });
});
