/**
 * A `tcp://` NodeEndpoint with TLS client files, against a real TLS server that demands a client
 * certificate and forwards to a real node's Docker engine (dockerd's own TLS would apply to every
 * tcp listener of the test nodes, so a loopback TLS front stands in for it). Certificates are made
 * by openssl for this test only.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nodeByName, nodeNames } from '../cluster/index.js';
import {
  containersOnNodes,
  nodeEndpointYaml,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
} from './reconciler-harness.js';
import { makeCertificates } from './tls-certificates.js';

const cluster = inject('cluster');
const [name1, name2] = nodeNames(cluster, 2);

describe('tcp:// NodeEndpoint with TLS', () => {
  let dir = '';
  let server: Server;
  let port = 0;
  const node = nodeByName(cluster, name1);

  const endpoint = (caPrefix: string) =>
    [
      'apiVersion: swarm-vip/v1',
      'kind: NodeEndpoint',
      `metadata: { name: ${name1} }`,
      'spec:',
      `  docker: tcp://127.0.0.1:${port}`,
      `  tls: { caFile: ${dir}/${caPrefix}-ca.pem, certFile: ${dir}/good-client.pem, keyFile: ${dir}/good-client-key.pem }`,
      `  address: ${node.ipv4}`,
      '',
    ].join('\n');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-tls-'));
    await makeCertificates(dir, 'good');
    await makeCertificates(dir, 'other');
    const file = (f: string) => readFile(path.join(dir, f));
    server = createServer(
      {
        key: await file('good-server-key.pem'),
        cert: await file('good-server.pem'),
        ca: await file('good-ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (client) => {
        const engine = connect(node.socketPath);
        client.pipe(engine).pipe(client);
        engine.on('error', () => client.destroy());
        client.on('error', () => engine.destroy());
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    // A second node, reached over its unix socket, so the VIP has a unicast peer.
    await writeFile(path.join(dir, 'node2.yaml'), nodeEndpointYaml(nodeByName(cluster, name2)));
    await writeFile(
      path.join(dir, 'vip.yaml'),

      testVip(cluster, 'secured-endpoint', 6).yaml({ [name1]: 100, [name2]: 50 }),
    );
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await removeManagedContainers(cluster);
    await removeDir(dir);
  });

  it('reaches the engine with the client certificate and runs the VIP there', async () => {
    await writeFile(path.join(dir, 'node.yaml'), endpoint('good'));
    const result = await runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock')]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const seen = (await containersOnNodes(cluster, 'keepalived-secured-endpoint')).map((c) => [
      c.node,
      c.running,
    ]);
    expect(seen).toEqual([
      [name1, true],
      [name2, true],
    ]);
  });

  it('refuses a server its CA file does not vouch for: the node is reported unreachable, nothing changes', async () => {
    const before = await containersOnNodes(cluster, 'keepalived-secured-endpoint');
    await writeFile(path.join(dir, 'node.yaml'), endpoint('other'));
    const result = await runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock')]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      new RegExp(`node ${name1} unreachable: .*(certificate|self.signed|verify)`, 'i'),
    );
    expect(await containersOnNodes(cluster, 'keepalived-secured-endpoint')).toEqual(before);
  });
});
