/**
 * `reconciler --once` on the real cluster with hostile files beside a valid VIP, as an attacker
 * with write access to the manifest directory would leave them: 10,000-deep nesting, a link to a
 * secret outside the directory, terminal control bytes, a value near the file size limit, a FIFO,
 * and a password source the operator did not allow. The valid VIP is created and held (read from
 * the node's interface); each hostile file is reported at file:line; exit 2 (some manifest
 * invalid, the valid ones reconciled); the output carries no raw control byte and no secret.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KEEPALIVED_TEST_IMAGE, holderOf, nodeNames, waitFor } from '../cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeDir,
  removeManagedContainers,
  runCli,
  testVip,
  vipYaml,
  removeLockFile,
} from './reconciler-harness.js';

const cluster = inject('cluster');
const { address, yaml: validVip } = testVip(cluster, 'steady', 18);
const [name1, name2] = nodeNames(cluster, 2);
const SECRET = 'TOPSECRET-hostile-e2e';
const PATH_VALUE = process.env.PATH ?? '';

describe('reconciler --once with hostile manifests beside a valid one', () => {
  let dir = '';
  let outside = '';
  const lockFile = path.join(tmpdir(), `swarm-vip-e2e-hostile-${process.pid}.lock`);

  beforeAll(async () => {
    dir = await manifestDir(cluster);
    outside = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-outside-'));
    await writeFile(path.join(outside, 'secret.yaml'), `kind: ${SECRET}\n`);
    await writeFile(path.join(dir, 'steady.yaml'), validVip({ [name1]: 100, [name2]: 200 }));
    // 10,000 levels: a recursive parser overflows its stack here.
    await writeFile(
      path.join(dir, 'deep.yaml'),
      `kind: VirtualIP\nspec: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
    );
    await symlink(path.join(outside, 'secret.yaml'), path.join(dir, 'leak.yaml'));
    // ESC, CSI colour, BEL, CR and NUL in a name: a forged "all valid" line if printed raw.
    await writeFile(
      path.join(dir, 'ctl.yaml'),
      vipYaml({
        name: 'ctl',
        address: `${address}/24`,
        priorities: { [name1]: 100 },
        image: KEEPALIVED_TEST_IMAGE,
      }).replace(
        'metadata: { name: ctl }',
        'metadata: { name: "x\u001b[2K\r\u001b[32mall manifests valid\u0007\u0000" }',
      ),
    );
    // A value of 900 KB (under the 1 MiB file limit): its message must quote only a little of it.
    await writeFile(
      path.join(dir, 'huge.yaml'),
      `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${'h'.repeat(900_000)} }\n`,
    );
    execFileSync('mkfifo', [path.join(dir, 'fifo.yaml')]);
    // A well-formed VIP whose password source names a variable the operator did not allow.
    await writeFile(
      path.join(dir, 'thief.yaml'),
      vipYaml({
        name: 'thief',
        address: `${cluster.spareIpv4[19] ?? ''}/${cluster.ipv4PrefixLength}`,
        priorities: { [name1]: 100 },
        image: KEEPALIVED_TEST_IMAGE,
        advertInterval: 1,
      }) + '  authentication: { passwordEnv: PATH }\n',
    );
  });

  afterAll(async () => {
    await removeManagedContainers(cluster);
    await removeDir(dir);
    await rm(outside, { recursive: true, force: true });
    await removeLockFile(lockFile);
  });

  it('reconciles and holds the valid VIP, reports each hostile file at file:line, exits 2, prints nothing raw', async () => {
    const result = await runCli(
      ['--once', '--manifests', dir, '--lock-file', lockFile, '--log-format', 'pretty'],
      90_000,
    );
    const output = result.stdout + result.stderr;
    if (process.env.SWARM_VIP_E2E_SHOW) console.log(output);
    expect(result.code, output.slice(0, 4000)).toBe(2);

    // The valid VIP: its containers run, and the higher priority node holds the address.
    expect((await containersOnNodes(cluster, 'keepalived-steady')).map((c) => [c.node, c.running])).toEqual([
      [name1, true],
      [name2, true],
    ]);
    await waitFor(() => holderOf(cluster, address).then((holder) => holder === name2), {
      timeoutMs: 20_000,
      description: `${name2} (priority 200) to hold the valid VIP beside the hostile files`,
    });
    // Nothing of the hostile ones was created.
    expect(await containersOnNodes(cluster, 'keepalived-thief')).toEqual([]);

    // Each hostile file at file:line, naming what is wrong.
    const at = (file: string) => `${path.join(dir, file)}:`;
    for (const [file, what] of [
      ['deep.yaml', /nesting/i],
      ['leak.yaml', /outside/i],
      ['ctl.yaml', /name/i],
      ['huge.yaml', /name/i],
      ['fifo.yaml', /not a regular file|FIFO/i],
      ['thief.yaml', /passwordEnv PATH is refused/],
    ] as const) {
      const lines = output.split('\n').filter((l) => l.includes(at(file)));
      expect(lines.join('\n'), `${file} reported at file:line in\n${output.slice(0, 4000)}`).toMatch(
        new RegExp(`${at(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d+`),
      );
      expect(lines.join('\n')).toMatch(what);
    }

    // No raw control byte (line breaks aside), no secret, no environment, no flood.
    // eslint-disable-next-line no-control-regex -- looking for control bytes is the point
    expect(output.match(/[\u0000-\u0009\u000b-\u001f\u007f]/)).toBeNull();
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(PATH_VALUE);
    expect(output).not.toContain('h'.repeat(200));
    expect(output.length).toBeLessThan(64 * 1024);
  }, 120_000);
});
