/**
 * The shell the containers run, run for real with static busybox: health checks against tiny
 * servers on 127.0.0.1, the notify hook, and the container command (with stub `ip` and
 * `keepalived`, every container path moved into a temp dir).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerCommand, environmentFiles, fileEnvironment } from '../../src/core/container-command.js';
import {
  CONFIG_PATH,
  CONFIG_TEMPLATE_PATH,
  HEALTH_CHECK_SCRIPT_PATH,
  INTERFACE_PLACEHOLDER,
  NOTIFY_SCRIPT_PATH,
  STALE_PID_FILES,
  STATE_DIR,
  STATE_FILE_PATH,
} from '../../src/core/container-layout.js';
import { renderHealthCheckScript, type HealthProbe } from '../../src/core/health-check-script.js';
import { renderNotifyScript } from '../../src/core/notify-script.js';
import { parseContainerReport } from '../../src/core/container-reports.js';
import {
  BUSYBOX,
  busyboxBin,
  requireTools,
  relocate,
  run,
  tempDir,
  writeContainerFiles,
} from './real-tools.js';

requireTools({ busybox: true });
const APPLETS = [
  'sh',
  'nc',
  'wget',
  'mkdir',
  'mv',
  'rm',
  'sed',
  'awk',
  'cat',
  'printf',
  'true',
  'false',
  'test',
  'sleep',
  'timeout',
];

function listen(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

function close(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe(`container scripts under busybox (${BUSYBOX})`, () => {
  let dir = '';
  let bin = '';
  let tcpPort = 0;
  let httpPort = 0;
  let closedPort = 0;
  const seenPaths: string[] = [];
  const tcp = createTcpServer((socket) => socket.end());
  const http = createHttpServer((req, res) => {
    seenPaths.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/redirect') res.writeHead(302, { location: '/status/200' });
    else res.statusCode = Number(url.pathname.split('/')[2] ?? 200);
    res.end('body');
  });

  beforeAll(async () => {
    dir = await tempDir('scripts');
    bin = await busyboxBin(dir, APPLETS);
    tcpPort = await listen(tcp);
    httpPort = await listen(http);
    // A port that was just free: bound, then closed again.
    const probe = createTcpServer();
    closedPort = await listen(probe);
    await close(probe);
  });

  afterAll(async () => {
    await Promise.all([close(tcp), close(http)]);
    await rm(dir, { recursive: true, force: true });
  });

  async function runScript(name: string, content: string, args: string[] = [], extraPath = '') {
    const path = join(dir, name);
    await writeFile(path, content);
    await chmod(path, 0o755);
    return run(BUSYBOX, ['sh', path, ...args], { PATH: extraPath ? `${extraPath}:${bin}` : bin });
  }

  const healthCases: { name: string; probe: () => HealthProbe; healthy: boolean }[] = [
    {
      name: 'tcp: open port',
      probe: () => ({ kind: 'tcp', host: '127.0.0.1', port: tcpPort }),
      healthy: true,
    },
    {
      name: 'tcp: closed port',
      probe: () => ({ kind: 'tcp', host: '127.0.0.1', port: closedPort }),
      healthy: false,
    },
    {
      name: 'http: 200 as expected',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/status/200`, expectStatus: 200 }),
      healthy: true,
    },
    {
      name: 'http: 404, expected 200',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/status/404`, expectStatus: 200 }),
      healthy: false,
    },
    {
      name: 'http: 404 as expected',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/status/404`, expectStatus: 404 }),
      healthy: true,
    },
    {
      name: 'http: 503, expected 200',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/status/503`, expectStatus: 200 }),
      healthy: false,
    },
    {
      name: 'http: 204, expected 200',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/status/204`, expectStatus: 200 }),
      healthy: false,
    },
    {
      name: 'http: redirect followed to 200',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${httpPort}/redirect`, expectStatus: 200 }),
      healthy: true,
    },
    {
      name: 'http: nothing listening',
      probe: () => ({ kind: 'http', url: `http://127.0.0.1:${closedPort}/`, expectStatus: 200 }),
      healthy: false,
    },
    { name: 'exec: exits 0', probe: () => ({ kind: 'exec', argv: ['true'] }), healthy: true },
    { name: 'exec: exits 1', probe: () => ({ kind: 'exec', argv: ['false'] }), healthy: false },
    {
      name: 'exec: argv kept literally',
      probe: () => ({ kind: 'exec', argv: ['sh', '-c', 'test "$0" = "it\'s \\$HOME"', "it's $HOME"] }),
      healthy: true,
    },
  ];

  it.each(healthCases)('health check $name', async ({ probe, healthy }) => {
    const result = await runScript('health.sh', renderHealthCheckScript(probe(), 1));
    if (healthy) expect(result).toMatchObject({ code: 0 });
    else expect(result.code).not.toBe(0);
  });

  it('http: the URL reaches the server verbatim, quotes and all', async () => {
    const path = "/status/200?a=1&b='x'&c=$HOME";
    const probe: HealthProbe = {
      kind: 'http',
      url: `http://127.0.0.1:${httpPort}${path}`,
      expectStatus: 200,
    };
    const result = await runScript('health.sh', renderHealthCheckScript(probe, 1));
    expect(result.code).toBe(0);
    expect(seenPaths.at(-1)).toBe(path);
  });

  it('notify records the state atomically and reports it with the addresses of this host', async () => {
    const root = join(dir, 'notify-root');
    // The container command makes the state directory before keepalived runs the hook.
    await mkdir(join(root, STATE_DIR), { recursive: true });
    const local = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a?.family === 'IPv4')
      .map((a) => a?.address);
    for (const state of ['BACKUP', 'MASTER']) {
      const result = await runScript('notify.sh', relocate(renderNotifyScript(), root), [state]);
      expect(result.code).toBe(0);
      expect(await readFile(join(root, STATE_FILE_PATH), 'utf8')).toBe(`${state}\n`);
      const report = parseContainerReport(await readFile(join(root, 'report-sink'), 'utf8'));
      expect(report).toMatchObject({ kind: 'state', state });
      expect(report && 'addresses' in report ? report.addresses : []).toEqual(expect.arrayContaining(local));
    }
  });

  it('notify watch reports the addresses at once, then only when they change', async () => {
    const root = join(dir, 'watch-root');
    const script = join(dir, 'watch.sh');
    await writeFile(script, relocate(renderNotifyScript(), root));
    await chmod(script, 0o755);
    // Its input never delivers (as in the container); the watch runs until the bound kills it.
    const result = await run(join(bin, 'sh'), ['-c', `sleep 2 | timeout 1 ${script} watch`], {
      PATH: bin,
    });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(parseContainerReport(lines[0] ?? '')).toMatchObject({
      kind: 'addresses',
      addresses: expect.arrayContaining(['127.0.0.1']),
    });
  });

  describe('container command', () => {
    const template = `vrrp_instance x {\n  interface ${INTERFACE_PLACEHOLDER}\n  virtual_ipaddress {\n    198.18.0.100/24 dev ${INTERFACE_PLACEHOLDER}\n  }\n}\n`;
    const ipOutput = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '7: eth1@if8    inet 198.18.0.10/24 brd 198.18.0.255 scope global eth1\\       valid_lft forever',
      '5: eth0@if6    inet 198.18.0.1/24 brd 198.18.0.255 scope global eth0\\       valid_lft forever',
      '5: eth0@if6    inet6 fd00:5eed::1/64 scope global nodad \\       valid_lft forever',
    ].join('\n');

    async function prepare(name: string): Promise<{ root: string; stubs: string }> {
      const root = join(dir, name);
      const stubs = join(root, 'stubs');
      await writeContainerFiles(root, [
        { path: CONFIG_TEMPLATE_PATH, content: template, mode: 0o600 },
        ...STALE_PID_FILES.map((path) => ({ path, content: '1\n', mode: 0o644 })),
        { path: STATE_FILE_PATH, content: 'MASTER\n', mode: 0o644 },
        { path: '/stubs/ip', content: `#!/bin/sh\ncat <<'EOF'\n${ipOutput}\nEOF\n`, mode: 0o755 },
        { path: '/stubs/keepalived', content: '#!/bin/sh\necho "keepalived $*"\n', mode: 0o755 },
      ]);
      return { root, stubs };
    }

    // busybox sh prefers its own applets to PATH, so the `ip` stub is a shell function.
    async function runCommand(root: string, stubs: string, argv: string[], stubIp = true) {
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      const ip = stubIp ? `ip() { ${join(stubs, 'ip')} "$@"; }\n` : '';
      return run(BUSYBOX, ['sh', '-c', ip + relocate(argv[2] ?? '', root)], { PATH: `${stubs}:${bin}` });
    }

    it.each([
      { address: '198.18.0.1', iface: 'eth0' },
      { address: 'fd00:5eed::1', iface: 'eth0' },
      { address: '198.18.0.10', iface: 'eth1' },
    ])(
      'finds $iface for $address, cleans up, writes the config and execs keepalived',
      async ({ address, iface }) => {
        const { root, stubs } = await prepare(`cmd-${address.replaceAll(':', '_')}`);
        const result = await runCommand(root, stubs, containerCommand({ resolveInterfaceOf: address }));
        expect(result.stderr).toBe('');
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(`keepalived -n -l -D -f ${join(root, CONFIG_PATH)}`);
        const config = await readFile(join(root, CONFIG_PATH), 'utf8');
        expect(config).toBe(template.replaceAll(INTERFACE_PLACEHOLDER, iface));
        expect((await stat(join(root, CONFIG_PATH))).mode & 0o777).toBe(0o600);
        for (const gone of [...STALE_PID_FILES, STATE_FILE_PATH]) {
          await expect(stat(join(root, gone))).rejects.toThrow(/ENOENT/);
        }
      },
    );

    const local = Object.entries(networkInterfaces()).flatMap(([name, addrs]) =>
      (addrs ?? [])
        .filter((a) => !a.internal && a.family === 'IPv4')
        .map((a) => ({ name, address: a.address })),
    )[0] ?? { name: 'lo', address: '127.0.0.1' };

    it("finds this machine's interface with the real busybox ip", async () => {
      const { root, stubs } = await prepare('cmd-real-ip');
      const result = await runCommand(
        root,
        stubs,
        containerCommand({ resolveInterfaceOf: local.address }),
        false,
      );
      expect(result.stdout).toContain(`VIP interface is ${local.name} `);
      expect(result.code).toBe(0);
    });

    it('fails with a clear message when no interface holds the address', async () => {
      const { root, stubs } = await prepare('cmd-missing');
      const result = await runCommand(root, stubs, containerCommand({ resolveInterfaceOf: '198.18.0.99' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('no interface holds 198.18.0.99');
      expect(result.stdout).not.toContain('keepalived');
    });

    it('writes files carried in the environment, byte for byte, with their modes, before using them', async () => {
      const { root, stubs } = await prepare('cmd-env');
      const files = [
        { path: CONFIG_TEMPLATE_PATH, content: `${template}# "quotes" $HOME \\n %s\n`, mode: 0o600 },
        // Not the notify script: the command would start its watcher, which holds stdout open.
        { path: HEALTH_CHECK_SCRIPT_PATH, content: '#!/bin/sh\necho "$1"\n', mode: 0o755 },
      ];
      await rm(join(root, CONFIG_TEMPLATE_PATH));
      const env = Object.fromEntries(
        fileEnvironment(files).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
      );
      const argv = containerCommand({
        resolveInterfaceOf: '198.18.0.1',
        filesFromEnvironment: environmentFiles(files),
      });
      const ip = `ip() { ${join(stubs, 'ip')} "$@"; }\n`;
      const result = await run(BUSYBOX, ['sh', '-c', ip + relocate(argv[2] ?? '', root)], {
        PATH: `${stubs}:${bin}`,
        ...env,
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const f of files) {
        expect(await readFile(join(root, f.path), 'utf8')).toBe(f.content);
        expect((await stat(join(root, f.path))).mode & 0o777).toBe(f.mode);
      }
      expect(await readFile(join(root, CONFIG_PATH), 'utf8')).toBe(
        files[0]?.content.replaceAll(INTERFACE_PLACEHOLDER, 'eth0'),
      );
    });

    it("removes the VIP's addresses from the node before keepalived starts", async () => {
      const { root, stubs } = await prepare('cmd-remove-vips');
      const calls = join(root, 'calls');
      const withVips = [
        ipOutput,
        '5: eth0@if6    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever',
        '5: eth0@if6    inet6 fd00:5eed::100/64 scope global nodad \\       valid_lft forever',
      ].join('\n');
      await writeFile(
        join(stubs, 'ip'),
        `#!/bin/sh\nif [ "$1" = addr ] && [ "$2" = del ]; then echo "ip $*" >> ${calls}; exit 0; fi\ncat <<'EOF'\n${withVips}\nEOF\n`,
      );
      await writeFile(join(stubs, 'keepalived'), `#!/bin/sh\necho "keepalived $*" >> ${calls}\n`);
      const result = await runCommand(
        root,
        stubs,
        containerCommand({
          resolveInterfaceOf: '198.18.0.1',
          vipAddresses: ['198.18.0.100', 'fd00:5eed::100', '198.18.0.101'],
        }),
      );
      expect(result.code).toBe(0);
      expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
        'ip addr del 198.18.0.100/24 dev eth0',
        'ip addr del fd00:5eed::100/64 dev eth0',
        `keepalived -n -l -D -f ${join(root, CONFIG_PATH)}`,
        // The stub lists them still when keepalived has ended: removed again on the way out.
        'ip addr del 198.18.0.100/24 dev eth0',
        'ip addr del fd00:5eed::100/64 dev eth0',
      ]);
      expect(result.stdout).toContain('swarm-vip: removed 198.18.0.100/24 eth0');
    });

    it('starts keepalived even when an address cannot be removed', async () => {
      const { root, stubs } = await prepare('cmd-remove-fails');
      await writeFile(
        join(stubs, 'ip'),
        `#!/bin/sh\nif [ "$1" = addr ] && [ "$2" = del ]; then echo 'RTNETLINK answers: Cannot assign' >&2; exit 2; fi\ncat <<'EOF'\n${ipOutput}\n5: eth0@if6    inet 198.18.0.100/24 scope global secondary eth0\nEOF\n`,
      );
      const result = await runCommand(
        root,
        stubs,
        containerCommand({ resolveInterfaceOf: '198.18.0.1', vipAddresses: ['198.18.0.100'] }),
      );
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('keepalived -n');
      expect(result.stdout).not.toContain('removed');
    });

    it('ends with 143 on SIGTERM before keepalived runs (process 1 ignores signals it has no trap for)', async () => {
      const { root, stubs } = await prepare('cmd-sigterm');
      // sed runs in the command's own shell (a function, like the ip stub): $PPID is that shell.
      await writeFile(join(stubs, 'sed'), '#!/bin/sh\nkill -TERM $PPID\n');
      await chmod(join(stubs, 'sed'), 0o755);
      const argv = containerCommand({});
      const script = `sed() { ${join(stubs, 'sed')} "$@"; }\n${relocate(argv[2] ?? '', root)}`;
      const result = await run(BUSYBOX, ['sh', '-c', script], { PATH: `${stubs}:${bin}` });
      expect(result.code).toBe(143);
      expect(result.stdout).not.toContain('keepalived');
    });

    /** An `ip` stub that lists `listed` and records every `ip addr del` in `calls`. */
    async function recordingIp(stubs: string, calls: string, listed: string): Promise<void> {
      await writeFile(
        join(stubs, 'ip'),
        `#!/bin/sh\nif [ "$1" = addr ] && [ "$2" = del ]; then echo "ip $*" >> ${calls}; exit 0; fi\ncat <<'EOF'\n${listed}\nEOF\n`,
      );
    }
    const vipLine =
      '5: eth0@if6    inet 198.18.0.100/24 scope global secondary eth0\\       valid_lft forever';

    it('removes the addresses at once when keepalived is SIGKILLed, and exits with its status', async () => {
      const { root, stubs } = await prepare('cmd-keepalived-killed');
      const calls = join(root, 'calls');
      await recordingIp(stubs, calls, `${ipOutput}\n${vipLine}`);
      await writeFile(
        join(stubs, 'keepalived'),
        `#!/bin/sh\necho "keepalived up" >> ${calls}\nkill -KILL $$\n`,
      );
      // The notify hook records its reports; its address watcher (and the sleep feeding it) ends at once.
      await writeFile(
        join(root, NOTIFY_SCRIPT_PATH),
        `#!/bin/sh\nif [ "$1" = watch ]; then exit 0; fi\necho "notify $*" >> ${calls}\n`,
      );
      await chmod(join(root, NOTIFY_SCRIPT_PATH), 0o755);
      const argv = containerCommand({ resolveInterfaceOf: '198.18.0.1', vipAddresses: ['198.18.0.100'] });
      const ip = `ip() { ${join(stubs, 'ip')} "$@"; }\nsleep() { :; }\n`;
      const result = await run(BUSYBOX, ['sh', '-c', ip + relocate(argv[2] ?? '', root)], {
        PATH: `${stubs}:${bin}`,
      });
      expect(result.code).toBe(137);
      // Once at start (a predecessor's leftover), once after keepalived died, then the node's
      // addresses are reported afresh: the reconciler sees the VIP gone from this node at once.
      expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([
        'ip addr del 198.18.0.100/24 dev eth0',
        'keepalived up',
        'ip addr del 198.18.0.100/24 dev eth0',
        'notify report',
      ]);
    });

    it('passes SIGTERM on to keepalived and ends with its status once it has stopped', async () => {
      const { root, stubs } = await prepare('cmd-forward-term');
      const calls = join(root, 'calls');
      await recordingIp(stubs, calls, ipOutput);
      await writeFile(
        join(stubs, 'keepalived'),
        `#!/bin/sh\ntrap 'echo "keepalived stopping" >> ${calls}; exit 0' TERM\necho "keepalived up" >> ${calls}\nwhile :; do sleep 0.05; done\n`,
      );
      const argv = containerCommand({ resolveInterfaceOf: '198.18.0.1', vipAddresses: ['198.18.0.100'] });
      const ip = `ip() { ${join(stubs, 'ip')} "$@"; }\n`;
      const child = spawn(BUSYBOX, ['sh', '-c', ip + relocate(argv[2] ?? '', root)], {
        env: { PATH: `${stubs}:${bin}` },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 10_000;
      while (!(await readFile(calls, 'utf8').catch(() => '')).includes('keepalived up')) {
        if (Date.now() > deadline) throw new Error('keepalived stub never started');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await readFile(calls, 'utf8')).toContain('keepalived stopping');
    });

    it('copies a template without placeholder and needs no ip when the interface is fixed', async () => {
      const { root, stubs } = await prepare('cmd-fixed');
      await writeFile(join(stubs, 'ip'), '#!/bin/sh\nexit 99\n');
      const fixed = template.replaceAll(INTERFACE_PLACEHOLDER, 'ens3');
      await writeFile(join(root, CONFIG_TEMPLATE_PATH), fixed);
      const result = await runCommand(root, stubs, containerCommand({}));
      expect(result.code).toBe(0);
      expect(await readFile(join(root, CONFIG_PATH), 'utf8')).toBe(fixed);
    });
  });
});
