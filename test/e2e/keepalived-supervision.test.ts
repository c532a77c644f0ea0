/**
 * No stale address when keepalived dies uncleanly, on three real nodes with real keepalived: the
 * container's own shell removes the VIP's addresses the moment keepalived dies (no reconciler
 * involved), every container start removes a predecessor's leftover before keepalived runs, and
 * kills from outside are not taken for a crash loop. Who holds an address is read from the nodes'
 * interfaces; the steps build on each other, so they run in order.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerOf, holdersOf, inNode, waitFor } from '../cluster/index.js';
import {
  RunningReconciler,
  containersOnNodes,
  killKeepalived,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const [n1, n2, n3] = cluster.nodes;
if (!n1 || !n2 || !n3) throw new Error('these tests need a cluster of three nodes');
const vip = testVip(cluster, 'supervised', 4);
const NAME = 'keepalived-supervised';

async function containerOn(node: string) {
  const found = (await containersOnNodes(cluster, NAME)).find((c) => c.node === node && c.name === NAME);
  if (!found) throw new Error(`no ${NAME} on ${node}`);
  return found;
}

describe('keepalived supervised in its container: no stale address after an unclean death', () => {
  let dir = '';
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-supervision-${process.pid}.lock`);
  const onNodes = () => holdersOf(cluster, vip.address);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    await writeFile(
      path.join(dir, 'supervised.yaml'),
      vip.yaml({ [n1.name]: 200, [n2.name]: 100, [n3.name]: 50 }),
    );
    const once = await runCli(['--once', '--manifests', dir, '--lock-file', lockFile]);
    expect(once.code, once.stderr).toBe(0);
    await waitFor(async () => (await onNodes()).join() === n1.name, {
      timeoutMs: 20_000,
      description: `${vip.address} held by ${n1.name} alone`,
    });
  });

  afterAll(async () => {
    await removeManagedContainers(cluster);
    await removeDir(dir);
    await removeLockFile(lockFile);
  });

  it('keepalived SIGKILLed: its container drops the address by itself and exits 137; the backup holds alone', async () => {
    const holder = await containerOn(n1.name);
    const docker = dockerOf(n1);
    // No restart and no reconciler: whatever removes the address is the dying container itself.
    await docker.getContainer(holder.id).update({ RestartPolicy: { Name: 'no' } });
    await killKeepalived(docker, holder.id);
    await waitFor(async () => (await onNodes()).join() === n2.name, {
      timeoutMs: 10_000,
      description: `${vip.address} on ${n2.name} alone (${n1.name} must have dropped it)`,
    });
    const state = (await docker.getContainer(holder.id).inspect()).State;
    expect(state.Running).toBe(false);
    expect(state.ExitCode).toBe(137);
    // Back as it was: the restart policy restored, the container started, n1 preempts.
    await docker.getContainer(holder.id).update({ RestartPolicy: { Name: 'always', MaximumRetryCount: 0 } });
    await docker.getContainer(holder.id).start();
    await waitFor(async () => (await onNodes()).join() === n1.name, {
      timeoutMs: 20_000,
      description: `${n1.name} holding alone again`,
    });
  });

  it('a container that starts on a node carrying its address (a killed predecessor’s) removes it before keepalived runs', async () => {
    const backup = await containerOn(n3.name);
    const docker = dockerOf(n3);
    await docker.getContainer(backup.id).stop();
    // What `docker rm -f` of a holder leaves behind: the address, with no keepalived on the node.
    await inNode(n3, 'ip', ['addr', 'add', vip.cidr, 'dev', n3.interface]);
    expect((await onNodes()).sort()).toEqual([n1.name, n3.name].sort());
    const since = Math.floor(Date.now() / 1000) - 1;
    await docker.getContainer(backup.id).start();
    await waitFor(async () => (await onNodes()).join() === n1.name, {
      timeoutMs: 15_000,
      description: `${n3.name} to drop ${vip.address}`,
    });
    const logs = (await docker.getContainer(backup.id).logs({ stdout: true, stderr: true, since })).toString(
      'utf8',
    );
    // The container command's own line, printed before it starts keepalived.
    expect(logs).toContain(`swarm-vip: removed ${vip.cidr} ${n3.interface}`);
  });

  it('kills from outside are no crash loop: three SIGKILLs of keepalived within a minute leave the container in place', async () => {
    const reconciler = new RunningReconciler([
      '--manifests',
      dir,
      '--lock-file',
      lockFile,
      '--log-level',
      'debug',
      '--resync-interval',
      '10m',
      '--health-interval',
      '10m',
    ]);
    try {
      await reconciler.waitForLog((l) => l.msg === 'converged, nothing to do', 'a first converged pass');
      const docker = dockerOf(n2);
      const before = await containerOn(n2.name);
      for (let kill = 1; kill <= 3; kill++) {
        const logsBefore = reconciler.logs.length;
        await killKeepalived(docker, before.id);
        // The reconciler saw the die event, and a whole pass ran after it.
        const died = await reconciler.waitForLog(
          (l) =>
            reconciler.logs.indexOf(l) >= logsBefore &&
            l.msg === 'docker event' &&
            l.event === 'die' &&
            l.container === NAME &&
            l.node === n2.name,
          `die event ${kill} of ${NAME} on ${n2.name}`,
        );
        await reconciler.waitForPassAfter(reconciler.logs.indexOf(died));
        await waitFor(async () => (await containerOn(n2.name)).running, {
          timeoutMs: 20_000,
          description: `${NAME} on ${n2.name} running again after kill ${kill}`,
        });
        await waitFor(async () => (await onNodes()).join() === n1.name, {
          timeoutMs: 10_000,
          description: `${n1.name} alone holding after kill ${kill}`,
        });
      }
      const after = await containerOn(n2.name);
      expect(after.id).toBe(before.id);
      const sick = reconciler.logs.filter((l) => l.msg.includes('is sick') || l.action === 'replace');
      expect(sick).toEqual([]);
    } finally {
      expect(await reconciler.stop()).toBe(0);
    }
  });
});
