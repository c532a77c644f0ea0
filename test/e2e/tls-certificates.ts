/**
 * Certificates for TLS tests, made by openssl for one test run (nothing here is a real secret),
 * and `reconciler agent` processes that serve a node's engine with them.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ClusterNodeDescription } from '../cluster/index.js';
import { RunningReconciler } from './reconciler-harness.js';

const run = promisify(execFile);

/** Paths of a CA and of a server and a client key pair signed by it. */
export interface TestCertificates {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/**
 * A CA `<name>-ca.pem`, a server certificate `<name>-server.pem` for `serverSubjectAltName`
 * (`IP:127.0.0.1`, `IP:198.18.7.3`, `DNS:swarm-vip-agent`) and a client certificate
 * `<name>-client.pem`, all from that CA, written into `dir`.
 */
export async function makeCertificates(
  dir: string,
  name: string,
  serverSubjectAltName = 'IP:127.0.0.1',
): Promise<TestCertificates> {
  const at = (file: string) => path.join(dir, file);
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...key,
    '-days',
    '1',
    '-keyout',
    at(`${name}-ca-key.pem`),
    '-out',
    at(`${name}-ca.pem`),
    ...subj(`${name} test CA`),
  ]);
  for (const [role, ext] of [
    ['server', `subjectAltName=${serverSubjectAltName}\nextendedKeyUsage=serverAuth`],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await writeFile(at(`${name}-${role}.ext`), ext);
    await run('openssl', [
      'req',
      ...key,
      '-keyout',
      at(`${name}-${role}-key.pem`),
      '-out',
      at(`${name}-${role}.csr`),
      ...subj(`${name} ${role}`),
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      at(`${name}-${role}.csr`),
      '-CA',
      at(`${name}-ca.pem`),
      '-CAkey',
      at(`${name}-ca-key.pem`),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      at(`${name}-${role}.ext`),
      '-out',
      at(`${name}-${role}.pem`),
    ]);
  }
  return {
    ca: at(`${name}-ca.pem`),
    serverCert: at(`${name}-server.pem`),
    serverKey: at(`${name}-server-key.pem`),
    clientCert: at(`${name}-client.pem`),
    clientKey: at(`${name}-client-key.pem`),
  };
}

/** `reconciler agent` for one node, run on this host against its unix socket, on a loopback port. */
export class NodeAgent {
  process: RunningReconciler | undefined;
  port = 0;
  constructor(
    readonly node: ClusterNodeDescription,
    private readonly certs: TestCertificates,
  ) {}

  /** Starts it (port 0: any free port) and waits until it serves. */
  async start(port = 0): Promise<void> {
    this.process = new RunningReconciler([
      'agent',
      '--docker',
      this.node.dockerUrl,
      '--listen',
      `127.0.0.1:${port}`,
      '--tls-ca',
      this.certs.ca,
      '--tls-cert',
      this.certs.serverCert,
      '--tls-key',
      this.certs.serverKey,
    ]);
    const line = await this.process.waitForLog(
      (l) => l.msg === 'agent: serving',
      `agent of ${this.node.name}`,
    );
    this.port = Number(String(line.listen).split(':').pop());
  }

  /** The agent's `agent: refused` log lines so far. */
  refusals() {
    return (this.process?.logs ?? []).filter((l) => l.msg === 'agent: refused');
  }

  /** A NodeEndpoint manifest that reaches the node through this agent with the client pair. */
  endpointYaml(): string {
    return [
      'apiVersion: swarm-vip/v1',
      'kind: NodeEndpoint',
      `metadata: { name: ${this.node.name} }`,
      'spec:',
      `  docker: tcp://127.0.0.1:${this.port}`,
      `  tls: { caFile: ${this.certs.ca}, certFile: ${this.certs.clientCert}, keyFile: ${this.certs.clientKey} }`,
      `  address: ${this.node.ipv4}`,
      '',
    ].join('\n');
  }
}
