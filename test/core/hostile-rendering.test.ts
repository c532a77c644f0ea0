/**
 * Hostile values against everything rendered, checked by the real programs: each string field a
 * manifest carries into keepalived.conf or a shell script is given values that would escape an
 * unquoted or badly quoted rendering, as if validation had missed them. Either the renderer
 * refuses the VIP, or what it renders runs under busybox sh, dash and bash (and passes
 * `keepalived --config-test` without a warning) with nothing escaping: a canary file that any
 * escaped command would create never appears.
 */
import { existsSync } from 'node:fs';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_TEMPLATE_PATH,
  HEALTH_CHECK_SCRIPT_PATH,
  INTERFACE_PLACEHOLDER,
} from '../../src/core/container-layout.js';
import { desiredState } from '../../src/core/desired-state.js';
import { renderHealthCheckScript } from '../../src/core/health-check-script.js';
import type { DesiredContainer, VirtualIP, VirtualIPSpec } from '../../src/core/types.js';
import { vrrpPasswordProblem } from '../../src/core/vrrp-password.js';
import { nodesOf, vipOf } from './fixtures.js';
import { BUSYBOX, KEEPALIVED, busyboxBin, relocate, requireTools, run, tempDir } from './real-tools.js';

requireTools({ keepalived: true, busybox: true, root: true });

const SHELLS: [string, string[]][] = [
  ['busybox sh', [BUSYBOX, 'sh']],
  ['dash', ['/usr/bin/dash']],
  ['bash', ['/usr/bin/bash']],
];

/** Payloads that run `touch CANARY` if they ever leave their quotes. */
const payloads = (canary: string): string[] => [
  `x\ntouch ${canary}`,
  `x\r\ntouch ${canary}`,
  `x'; touch ${canary}; '`,
  `x"; touch ${canary}; "`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `x\nEOF\ntouch ${canary}\nEOF`,
  `-e touch ${canary}`,
  `x;touch ${canary}`,
  `x&&touch ${canary}`,
  `x|touch ${canary}`,
  `x}\n}\nvrrp_script evil {\n  script "touch ${canary}"\n}`,
  `x # } ! {`,
  `\u001b[32mall manifests valid\u001b[0m`,
  `x\u0000touch ${canary}`,
];

function realInterface(): string {
  return Object.entries(networkInterfaces()).find(([, a]) => a?.some((x) => !x.internal))?.[0] ?? 'eth0';
}

/**
 * desiredState trusts validated input and throws when a value breaks that promise (the
 * renderers refuse it): a throw here means "refused, never rendered".
 */
function render(vip: VirtualIP, password?: string) {
  try {
    const state = desiredState({
      virtualIPs: [vip],
      nodes: nodesOf(2),
      passwords: new Map(password === undefined ? [] : [[vip.metadata.name, password]]),
      frozen: { names: new Set(), unknownNames: false },
    });
    return { state, problems: [] as { message: string }[] };
  } catch (error) {
    return {
      state: { containers: [] as DesiredContainer[] },
      problems: [{ message: `cannot be rendered: ${(error as Error).message}` }],
    };
  }
}

describe('hostile values in rendered files', () => {
  let dir = '';
  let bin = '';
  let canary = '';
  let port = 0;
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.end('ok');
  });

  beforeAll(async () => {
    dir = await tempDir('hostile');
    bin = await busyboxBin(dir, ['sh', 'nc', 'wget', 'awk', 'true', 'false', 'test']);
    canary = join(dir, 'CANARY');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  async function runEverywhere(script: string): Promise<number[]> {
    const path = join(dir, 'health.sh');
    await writeFile(path, script);
    await chmod(path, 0o755);
    const codes: number[] = [];
    for (const [, argv] of SHELLS) {
      const [file = '', ...args] = argv;
      const result = await run(file, [...args, path], { PATH: bin });
      codes.push(result.code);
      expect(existsSync(canary), `${argv.join(' ')} ran an escaped command`).toBe(false);
    }
    return codes;
  }

  const fields: [string, (value: string) => Partial<VirtualIPSpec>][] = [
    ['healthCheck.tcp.host', (value) => ({ healthCheck: { tcp: { host: value, port: 80 } } })],
    ['healthCheck.http.url', (value) => ({ healthCheck: { http: { url: `http://127.0.0.1/${value}` } } })],
    ['interface', (value) => ({ interface: value })],
  ];

  it.each(fields)('%s: every hostile value is refused, never rendered', (_, spec) => {
    for (const payload of payloads('/tmp/never')) {
      const { state, problems } = render(vipOf('web', spec(payload)));
      expect(state.containers, JSON.stringify(payload)).toEqual([]);
      expect(problems.map((p) => p.message).join()).toMatch(/cannot be rendered/);
    }
  });

  it('a host starting with "-" never reaches nc as an option', async () => {
    expect(() => renderHealthCheckScript({ kind: 'tcp', host: '-e/bin/sh', port: 80 }, 1)).toThrow(
      /not a host name/,
    );
    // A valid host is passed after `--` anyway.
    const script = renderHealthCheckScript({ kind: 'tcp', host: '127.0.0.1', port: 9 }, 1);
    expect(script).toContain("nc -w 1 -- '127.0.0.1' 9");
  });

  it('exec argv: each hostile argument reaches the command literally, under every shell', async () => {
    const args = payloads(canary).filter((p) => !p.includes('\u0000'));
    const check = `i=0; for a in "$@"; do i=$((i+1)); done; test "$i" = ${args.length}`;
    const { state, problems } = render(
      vipOf('web', { healthCheck: { exec: ['sh', '-c', check, 'sh', ...args] } }),
    );
    expect(problems).toEqual([]);
    const script = state.containers[0]?.files.find((f) => f.path === HEALTH_CHECK_SCRIPT_PATH)?.content ?? '';
    expect(await runEverywhere(script)).toEqual([0, 0, 0]);
  });

  it('exec argv with a NUL is refused (no shell word can carry it)', () => {
    const { state, problems } = render(vipOf('web', { healthCheck: { exec: ['true', 'a\u0000b'] } }));
    expect(state.containers).toEqual([]);
    expect(problems[0]?.message).toMatch(/NUL/);
  });

  it('http url: shell characters the URL grammar allows reach the server verbatim, under every shell', async () => {
    // No spaces in a URL: $IFS splits the command should the quoting ever break.
    const path = `/x?a='$(touch$IFS${canary})'&b=;touch$IFS${canary};&c=$HOME`;
    const { state, problems } = render(
      vipOf('web', { healthCheck: { http: { url: `http://127.0.0.1:${port}${path}`, expectStatus: 200 } } }),
    );
    expect(problems).toEqual([]);
    const script = state.containers[0]?.files.find((f) => f.path === HEALTH_CHECK_SCRIPT_PATH)?.content ?? '';
    expect(script).not.toContain('<<');
    expect(await runEverywhere(script)).toEqual([0, 0, 0]);
    expect(seen.slice(-3)).toEqual([path, path, path]);
  });

  const passwords = ['a}b', '{x}', '#x!y', "it's", 'a;b&c|d', '%s%n', '`id`', '(x)<y>'];

  it.each(passwords)(
    'password %j is quoted so keepalived --config-test reads the whole config without a warning',
    async (password) => {
      const { state, problems } = render(
        vipOf('web', { authentication: { passwordEnv: 'VRRP_P' } }),
        password,
      );
      expect(problems).toEqual([]);
      const root = await tempDir('hostile-conf');
      try {
        const template =
          state.containers[0]?.files.find((f) => f.path === CONFIG_TEMPLATE_PATH)?.content ?? '';
        const conf = relocate(template, root).replaceAll(INTERFACE_PLACEHOLDER, realInterface());
        expect(conf).toContain(`auth_pass "${password}"`);
        const path = join(root, 'keepalived.conf');
        await writeFile(path, conf, { mode: 0o600 });
        // A track_script or notify block dropped by a broken quote shows up as warnings here.
        expect(await run(KEEPALIVED, ['--config-test', '-f', path])).toEqual({
          code: 0,
          stdout: '',
          stderr: '',
        });
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  );

  it.each(['ninechars', 'a b', 'a"b', 'a\\b', '$_PWD', '${_HASH}', 'a\nb', 'é'])(
    'password %j is refused without saying what or how long it is',
    (password) => {
      const message = vrrpPasswordProblem(password) ?? '';
      expect(message).toMatch(/VRRP password/);
      expect(message).not.toContain(password);
      expect(message).not.toMatch(/\b9\b/);
    },
  );
});
