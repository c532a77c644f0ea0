/**
 * The hand-over reload, run for real with static busybox (every container path moved into a temp
 * dir): a stand-in keepalived records the SIGHUPs it gets.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_PATH, KEEPALIVED_PID_FILE, STATE_FILE_PATH } from '../../src/core/container-layout.js';
import {
  PRIORITY_NOT_READY,
  PRIORITY_RELOADED,
  PRIORITY_UNCHANGED,
  priorityReloadCommand,
} from '../../src/core/priority-reload-command.js';
import { parseContainerReport } from '../../src/core/container-reports.js';
import { renderKeepalivedConf } from '../../src/core/render-keepalived-conf.js';
import type { VirtualIP } from '../../src/core/types.js';
import { BUSYBOX, busyboxBin, relocate, requireTools, run, tempDir } from './real-tools.js';

requireTools({ busybox: true });

const vip: VirtualIP = {
  apiVersion: 'swarm-vip/v1',
  kind: 'VirtualIP',
  metadata: { name: 'web' },
  spec: { addresses: ['198.18.0.100/24'], nodes: [{ name: 'n1', priority: 100 }] },
};
const config = renderKeepalivedConf({
  vip,
  node: 'n1',
  priority: 100,
  unicastSrcIp: '198.18.0.1',
  unicastPeers: ['198.18.0.2'],
  password: 'secret1',
});

describe(`priority reload under busybox (${BUSYBOX})`, () => {
  let root = '';
  let bin = '';
  let keepalived: ChildProcess | undefined;
  const at = (path: string) => join(root, path);

  beforeAll(async () => {
    root = await tempDir('reload');
    bin = await busyboxBin(root, ['sh', 'grep', 'cat', 'sed', 'mv', 'kill', 'sleep']);
    for (const path of [CONFIG_PATH, STATE_FILE_PATH, KEEPALIVED_PID_FILE]) {
      await mkdir(dirname(at(path)), { recursive: true });
    }
    // Stands for keepalived: counts the SIGHUPs it receives.
    keepalived = spawn(
      BUSYBOX,
      ['sh', '-c', `trap 'echo hup >> ${at('hups')}' HUP; while :; do sleep 1 & wait; done`],
      { stdio: 'ignore' },
    );
    await writeFile(at(KEEPALIVED_PID_FILE), `${keepalived.pid}\n`);
    await writeFile(at('report-sink'), '');
  });

  afterAll(async () => {
    keepalived?.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  const reload = (priority: number) =>
    run(BUSYBOX, ['sh', '-c', relocate(priorityReloadCommand(priority)[2] ?? '', root)], { PATH: bin });
  const hups = () =>
    readFile(at('hups'), 'utf8').then(
      (t) => t.split('\n').filter(Boolean).length,
      () => 0,
    );
  const waitForHups = async (count: number) => {
    for (let i = 0; i < 50 && (await hups()) < count; i += 1) await new Promise((r) => setTimeout(r, 100));
    return hups();
  };

  it('rewrites only the priority line of the running config, signals keepalived once and says so in its log', async () => {
    await writeFile(at(CONFIG_PATH), config, { mode: 0o600 });
    await writeFile(at(STATE_FILE_PATH), 'BACKUP\n');
    const result = await reload(254);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    expect(result.stdout.trim().split('\n')).toEqual(['state BACKUP', PRIORITY_RELOADED]);
    const after = await readFile(at(CONFIG_PATH), 'utf8');
    expect(after).toBe(config.replace('  priority 100\n', '  priority 254\n'));
    // It holds the VRRP password: still readable by root only.
    expect((await stat(at(CONFIG_PATH))).mode & 0o777).toBe(0o600);
    expect(await waitForHups(1)).toBe(1);
    // The line the reconciler following the container's log reads the new priority from.
    const sink = (await readFile(at('report-sink'), 'utf8')).split('\n').filter(Boolean);
    expect(sink.map(parseContainerReport)).toEqual([{ kind: 'priority', priority: 254 }]);
  });

  it('does nothing when the running config has that priority already', async () => {
    const before = await hups();
    const result = await reload(254);
    expect(result.code).toBe(0);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(PRIORITY_UNCHANGED);
    await new Promise((r) => setTimeout(r, 300));
    expect(await hups()).toBe(before);
  });

  it('restores the priority with another reload', async () => {
    const before = await hups();
    const result = await reload(100);
    expect(result.stdout.trim().split('\n').at(-1)).toBe(PRIORITY_RELOADED);
    expect(await readFile(at(CONFIG_PATH), 'utf8')).toBe(config);
    expect(await waitForHups(before + 1)).toBe(before + 1);
  });

  it('changes nothing while keepalived has reported no state (starting up: it would drop the SIGHUP)', async () => {
    await writeFile(at(CONFIG_PATH), config, { mode: 0o600 });
    await rm(at(STATE_FILE_PATH), { force: true });
    const before = await hups();
    const result = await reload(254);
    expect(result.code).toBe(PRIORITY_NOT_READY);
    expect(result.stderr).toMatch(/no VRRP state yet/);
    expect(await readFile(at(CONFIG_PATH), 'utf8')).toBe(config);
    expect(await hups()).toBe(before);
    await writeFile(at(STATE_FILE_PATH), 'BACKUP\n');
  });

  it.each([
    ['no priority line', config.replace('  priority 100\n', '')],
    ['two priority lines', config.replace('  priority 100\n', '  priority 100\n  priority 90\n')],
  ])('refuses a config with %s, changing nothing', async (_what, text) => {
    await writeFile(at(CONFIG_PATH), text, { mode: 0o600 });
    const before = await hups();
    const result = await reload(254);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/priority lines, not one/);
    expect(await readFile(at(CONFIG_PATH), 'utf8')).toBe(text);
    expect(await hups()).toBe(before);
  });

  it('refuses anything but a VRRP priority before it reaches the shell', () => {
    for (const bad of [0, 255, 1.5, Number.NaN])
      expect(() => priorityReloadCommand(bad)).toThrow(/VRRP priority/);
  });
});
