/**
 * Manifest features that only real keepalived can prove: a health check moves the VIP away from
 * a node whose service is down, and VRRP authentication works without the password showing up
 * anywhere a user can look (inspect, labels, plan, status).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  KEEPALIVED_TEST_IMAGE,
  dockerOf,
  holderOf,
  nodeByName,
  nodeNames,
  waitFor,
} from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const HEALTH_PORT = 18080;
const [name1, name2, name3] = nodeNames(cluster, 3);

/** A TCP listener on 127.0.0.1:port inside a node's namespace, standing for the service the VIP fronts. */
function serviceIn(node: string): ChildProcess {
  const script = `require('net').createServer((s) => s.end()).listen(${HEALTH_PORT}, '127.0.0.1')`;
  const netns = nodeByName(cluster, node).netns;
  return spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', script], { stdio: 'ignore' });
}

describe('keepalived features on real nodes', () => {
  let dir = '';
  const services: ChildProcess[] = [];
  const once = () => runCli(['--once', '--manifests', dir, '--lock-file', path.join(dir, '.lock')]);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
  });

  afterEach(async () => {
    for (const service of services.splice(0)) service.kill('SIGKILL');
    await rm(path.join(dir, 'checked.yaml'), { force: true });
    await rm(path.join(dir, 'secure.yaml'), { force: true });
    await removeManagedContainers(cluster);
  });

  afterAll(async () => {
    await removeDir(dir);
  });

  it('a tcp health check keeps the VIP on a node whose service answers, and moves it when the service stops', async () => {
    const address = cluster.spareIpv4[4] ?? '';
    await writeFile(
      path.join(dir, 'checked.yaml'),
      [
        'apiVersion: swarm-vip/v1',
        'kind: VirtualIP',
        'metadata: { name: checked }',
        'spec:',
        `  addresses: [${address}/${cluster.ipv4PrefixLength}]`,
        '  advertInterval: 0.1',
        `  image: ${KEEPALIVED_TEST_IMAGE}`,
        `  nodes: [{ name: ${name1}, priority: 200 }, { name: ${name2}, priority: 100 }]`,
        `  healthCheck: { tcp: { port: ${HEALTH_PORT} }, intervalSeconds: 1, fall: 1, rise: 1 }`,
        '',
      ].join('\n'),
    );
    services.push(serviceIn(name2));
    expect((await once()).code).toBe(0);
    // Node 1 has the higher priority but no service: node 2 holds the VIP.
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 20_000,
      description: `${name2} (the only healthy node) to hold the VIP`,
    });
    const node1Service = serviceIn(name1);
    services.push(node1Service);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name1), {
      timeoutMs: 20_000,
      description: `${name1} to take the VIP once its service answers`,
    });
    node1Service.kill('SIGKILL');
    await waitFor(() => holderOf(cluster, address).then((h) => h === name2), {
      timeoutMs: 20_000,
      description: `the VIP back on ${name2} after ${name1} service stopped`,
    });
  });

  it('authentication from passwordEnv: VRRP works, and the password is nowhere a user can see it', async () => {
    const address = cluster.spareIpv4[5] ?? '';
    const password = 'e2eSecr7';
    process.env.VRRP_PASSWORD_E2E = password;
    await writeFile(
      path.join(dir, 'secure.yaml'),
      [
        'apiVersion: swarm-vip/v1',
        'kind: VirtualIP',
        'metadata: { name: secure }',
        'spec:',
        `  addresses: [${address}/${cluster.ipv4PrefixLength}]`,
        `  image: ${KEEPALIVED_TEST_IMAGE}`,
        `  nodes: [{ name: ${name1}, priority: 100 }, { name: ${name3}, priority: 200 }]`,
        '  authentication: { passwordEnv: VRRP_PASSWORD_E2E }',
        '',
      ].join('\n'),
    );
    const plan = await runCli(['plan', '--manifests', dir, '-o', 'json']);
    const result = await once();
    expect(result.code, result.stdout + result.stderr).toBe(0);
    await waitFor(() => holderOf(cluster, address).then((h) => h === name3), {
      timeoutMs: 20_000,
      description: `${name3} (priority 200) to hold the authenticated VIP`,
    });
    const status = await runCli(['status', '--manifests', dir, '-o', 'json']);
    const docker = dockerOf(nodeByName(cluster, name3));
    const [container] = (await containersOnNodes(cluster, 'keepalived-secure')).filter(
      (c) => c.node === name3,
    );
    const inspect = JSON.stringify(await docker.getContainer(container?.id ?? '').inspect());
    for (const visible of [plan.stdout, plan.stderr, result.stdout, result.stderr, status.stdout, inspect]) {
      expect(visible).not.toContain(password);
    }
    // The password is in the config inside the container, readable by root only.
    const exec = await docker.getContainer(container?.id ?? '').exec({
      Cmd: [
        'sh',
        '-c',
        'grep -c auth_pass /etc/swarm-vip/keepalived.conf; stat -c %a /etc/swarm-vip/keepalived.conf',
      ],
      AttachStdout: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const output = await new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString('latin1')));
      stream.on('end', () => resolve(text));
    });
    expect(output).toMatch(/1\s[\s\S]*600/);
  });
});
