/**
 * `--tls-ca/--tls-cert/--tls-key` for nodes found by `--swarm`: the last node has no
 * `swarm-vip.endpoint` label, so `--endpoint-template 'tcp://{address}:2376'` names its engine, a
 * real dockerd started with `--tlsverify` in that node's namespace (server certificate with the
 * node's address as IP SAN, from a CA this test makes with openssl). The other nodes keep their
 * unix-socket labels, to which the TLS flags do not apply.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENDPOINT_LABEL, dockerOf, holderOf, managerOf, waitFor } from '../cluster/index.js';
import { startSecondEngine, type SecondEngine } from '../cluster/second-engine.js';
import {
  containersOnNodes,
  removeDir,
  removeManagedContainers,
  runCli,
  setNodeLabels,
  testVip,
} from './reconciler-harness.js';
import { makeCertificates, type TestCertificates } from './tls-certificates.js';

const cluster = inject('cluster');
const [first, second, tlsNode] = cluster.nodes;
const vip = testVip(cluster, 'tls-discovered', 14);
const VIP_NAME = 'keepalived-tls-discovered';

describe('TLS to discovered nodes (--tls-ca, --tls-cert, --tls-key) against dockerd --tlsverify', () => {
  let dir = '';
  let engine: SecondEngine | undefined;
  let good: TestCertificates;
  let other: TestCertificates;
  if (!first || !second || !tlsNode) throw new Error('this test needs three nodes');

  const once = (certificates: TestCertificates) =>
    runCli(
      [
        '--once',
        '--manifests',
        dir,
        '--swarm',
        managerOf(cluster).dockerUrl,
        '--endpoint-template',
        'tcp://{address}:2376',
        '--tls-ca',
        certificates.ca,
        '--tls-cert',
        good.clientCert,
        '--tls-key',
        good.clientKey,
        '--lock-file',
        path.join(dir, '.lock'),
      ],
      60_000,
      // The nodes' tcp endpoints answer only inside the test namespaces.
      { netns: cluster.hub.netns },
    );
  const onTlsEngine = async () =>
    (await (engine?.docker.listContainers({ all: true }) ?? [])).filter((c) =>
      c.Names.includes(`/${VIP_NAME}`),
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-dtls-'));
    good = await makeCertificates(dir, 'good', `IP:${tlsNode.ipv4}`);
    other = await makeCertificates(dir, 'other', `IP:${tlsNode.ipv4}`);
    engine = await startSecondEngine(cluster, tlsNode, {
      tag: 'tls',
      tcpPort: 2376,
      tls: { caFile: good.ca, certFile: good.serverCert, keyFile: good.serverKey },
    });
    await setNodeLabels(cluster, tlsNode.name, (labels) => {
      const { [ENDPOINT_LABEL]: _unix, ...rest } = labels;
      return rest;
    });
    await writeFile(
      path.join(dir, 'vip.yaml'),
      vip.yaml({ [first.name]: 100, [second.name]: 50, [tlsNode.name]: 200 }),
    );
  });

  afterAll(async () => {
    await setNodeLabels(cluster, tlsNode.name, (labels) => ({
      ...labels,
      [ENDPOINT_LABEL]: tlsNode.dockerUrl,
    }));
    await engine?.stop();
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('reaches the --tlsverify engine with the client certificate; the VIP runs there and is held there', async () => {
    const result = await once(good);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect((await onTlsEngine()).map((c) => c.State)).toEqual(['running']);
    const onSockets = (await containersOnNodes(cluster, VIP_NAME)).map((c) => [c.node, c.running]);
    expect(onSockets).toEqual([
      [first.name, true],
      [second.name, true],
    ]);
    // Highest priority: the keepalived started through TLS takes part in real VRRP and wins.
    await waitFor(() => holderOf(cluster, vip.address).then((h) => h === tlsNode.name), {
      timeoutMs: 15_000,
      description: `${tlsNode.name} to hold ${vip.address}`,
    });
  });

  it('a CA that does not vouch for the engine fails that node only; the others still reconcile', async () => {
    const before = await onTlsEngine();
    const firstContainer = (await containersOnNodes(cluster, VIP_NAME)).find((c) => c.node === first.name);
    await dockerOf(first)
      .getContainer(firstContainer?.id ?? '')
      .remove({ force: true });

    const result = await once(other);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`${tlsNode.name} unreachable: .*(certificate|verify)`, 'i'));
    const failed = result.stdout.split('\n').filter((line) => line.startsWith('failed'));
    expect(failed).toEqual([expect.stringContaining(`node ${tlsNode.name} unreachable`)]);
    expect(result.stdout).toContain(`create ${VIP_NAME} on ${first.name}`);
    // The failing node was left alone, and the removed container on the first node is back.
    expect((await onTlsEngine()).map((c) => c.Id)).toEqual(before.map((c) => c.Id));
    expect((await containersOnNodes(cluster, VIP_NAME)).map((c) => [c.node, c.running])).toEqual([
      [first.name, true],
      [second.name, true],
    ]);
  });
});
