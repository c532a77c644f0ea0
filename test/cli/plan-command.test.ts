/**
 * `reconciler plan` through the real CLI when a node's engine cannot be reached (a real refused
 * TCP connection): the output says which node, the engine's reason, and that nothing could be
 * planned for it, never that every node runs what the manifests say. With `--git`, from a real
 * git repository.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitRemote } from '../support/git-remote.js';

const repo = path.resolve(import.meta.dirname, '../..');

/** A loopback port nothing listens on: bound once by us, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function endpoint(name: string, port: number, address: string): string {
  return `apiVersion: swarm-vip/v1
kind: NodeEndpoint
metadata: { name: ${name} }
spec: { docker: "tcp://127.0.0.1:${port}", address: ${address} }
`;
}

/** VirtualIP `name` on node-1 at this priority (line 6). */
function web(priority: number, name = 'web'): string {
  return `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: ${name} }
spec:
  addresses: [198.18.0.100/24]
  nodes: [{ name: node-1, priority: ${priority} }]
`;
}

async function plan(...args: string[]): Promise<{ code: number; stdout: string }> {
  const run = promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'src/cli/main.ts'), 'plan', '--request-timeout', '5s', ...args],
    { cwd: repo, timeout: 30_000 },
  );
  return run.then(
    ({ stdout }) => ({ code: 0, stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
}

describe('reconciler plan with an unreachable node', () => {
  let dir = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'plan-unreachable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names the node, the reason and the VIPs it holds back, says the plan is incomplete, and exits 1', async () => {
    const port = await closedPort();
    await writeFile(path.join(dir, 'node-1.yaml'), endpoint('node-1', port, '198.18.0.1'));
    await writeFile(path.join(dir, 'web.yaml'), web(200));
    const { code, stdout } = await plan('--manifests', dir);
    expect(code).toBe(1);
    expect(stdout).not.toMatch(/every node runs what the manifests say/);
    expect(stdout).toMatch(/^The plan is incomplete: 1 node could not be read \(below\)/m);
    expect(stdout).toContain(
      `node node-1 unreachable: list containers: connect ECONNREFUSED 127.0.0.1:${port}; ` +
        'nothing could be planned for it (target of VirtualIP web)',
    );
  }, 30_000);

  it('an invalid manifest: the plan says it is incomplete and why, at file:line, and exits 1', async () => {
    await writeFile(path.join(dir, 'web.yaml'), web(300));
    const { code, stdout } = await plan('--manifests', dir);
    expect(code).toBe(1);
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'The plan is incomplete: 1 manifest problem, whose VIPs are left as they are (below). Nothing to do for the rest.',
      expect.stringMatching(
        /web\.yaml:6:\d+ {2}\/spec\/nodes\/0\/priority {2}must be in the range 1\.\.254; got 300$/,
      ),
    ]);
  }, 30_000);

  it('with no node unreachable and nothing to change, says there is nothing to do and exits 0', async () => {
    const { code, stdout } = await plan('--manifests', dir);
    expect([code, stdout.trim()]).toEqual([0, 'Nothing to do: every node runs what the manifests say.']);
  }, 30_000);

  it('--git: plans what a commit of a real git repository declares, its files named file@commit', async () => {
    const remote = await gitRemote('plan-git');
    try {
      const port = await closedPort();
      const commit = await remote.commit(
        {
          'cluster/node-1.yaml': endpoint('node-1', port, '198.18.0.1'),
          'cluster/web.yaml': web(200),
          'cluster/bad.yaml': web(300, 'bad'),
          'README.md': 'not a manifest directory\n',
        },
        'web on node-1, bad out of range',
      );
      const checkout = path.join(remote.root, 'checkout');
      const args = ['--git', remote.url, '--ref', 'main', '--path', 'cluster', '--git-checkout', checkout];
      const { code, stdout } = await plan(...args);
      expect(code).toBe(1);
      expect(stdout.split('\n')).toEqual([
        'The plan is incomplete: 1 node could not be read; 1 manifest problem, whose VIPs are left as they are (below). Nothing to do for the rest.',
        `node node-1 unreachable: list containers: connect ECONNREFUSED 127.0.0.1:${port}; ` +
          'nothing could be planned for it (target of VirtualIP web)',
        expect.stringMatching(
          new RegExp(
            `^cluster/bad\\.yaml@${commit.slice(0, 12)}:6:\\d+ {2}/spec/nodes/0/priority {2}must be in the range 1\\.\\.254; got 300$`,
          ),
        ),
        '',
      ]);
    } finally {
      await rm(remote.root, { recursive: true, force: true });
    }
  }, 30_000);
});
