import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatProblem, validateCommand, type ValidateArgs } from '../../src/cli/validate-command.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function run(dir: string, cwd = root): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await validateCommand(
    { dir },
    { stdout: (l) => stdout.push(l), stderr: (l) => stderr.push(l), cwd },
  );
  return { code, stdout, stderr };
}

/** One entry per problem the broken fixtures hold: file, line, JSON pointer, words of the message. */
const expected: [file: string, line: number, path: string, says: string][] = [
  ['advert-precision.yaml', 10, '/spec/advertInterval', 'not a whole number of centiseconds'],
  ['api-version.yaml', 2, '/apiVersion', 'apiVersion must be "swarm-vip/v1"; got "swarm-vip/v2"'],
  ['auth-vrrp3.yaml', 11, '/spec/authentication', 'VRRPv3'],
  ['duplicate-key.yaml', 10, '/spec/addresses', 'duplicate key `addresses` (first at line 7)'],
  [
    'duplicate-name-a.yaml',
    5,
    '/metadata/name',
    'also defined at test/fixtures/broken/duplicate-name-b.yaml:4',
  ],
  [
    'duplicate-name-b.yaml',
    4,
    '/metadata/name',
    'also defined at test/fixtures/broken/duplicate-name-a.yaml:5',
  ],
  ['duplicate-node.yaml', 12, '/spec/nodes/2/name', 'node "node-1" is already listed at /spec/nodes/0'],
  ['endpoint-address.json', 7, '/spec/address', 'not an IPv4 or IPv6 address'],
  ['enum.yaml', 10, '/spec/nodeSelector/role', 'must be one of "manager", "worker", "any"; got "master"'],
  ['health-check-kinds.yaml', 12, '/spec/healthCheck/exec', 'exactly one of `tcp` / `http` / `exec`'],
  ['invalid-address.yaml', 8, '/spec/addresses/0', '"192.168.4.300/24" is not an IPv4 or IPv6 address'],
  ['invalid-prefix.yaml', 7, '/spec/addresses/0', 'must be a whole number in 1..32 for IPv4'],
  ['missing-field.yaml', 4, '/metadata/name', 'missing required field `name`'],
  ['mixed-family.yaml', 9, '/spec/addresses/1', 'is IPv6 but /spec/addresses/0 is IPv4'],
  ['multi-document.yaml', 8, '/spec/virtualRouterId', 'must be in the range 1..255; got 0'],
  ['multi-document.yaml', 27, '/spec/interface', 'is not an interface name'],
  ['name-pattern.yaml', 5, '/metadata/name', '"Name_Pattern" is not a DNS label'],
  ['node-address.yaml', 7, '/spec/addresses/0', 'own address of node "node-2"'],
  [
    'nodes-and-selector.yaml',
    10,
    '/spec/nodeSelector',
    'exactly one of `nodes` / `nodeSelector` must be set',
  ],
  ['outside-subnet.yaml', 7, '/spec/addresses/0', 'does not contain the unicast address of node-1'],
  ['password-both.yaml', 12, '/spec/authentication/passwordFile', 'both set'],
  ['range.yaml', 11, '/spec/nodes/0/priority', 'must be in the range 1..254; got 255'],
  ['router-id-conflict.yaml', 8, '/spec/virtualRouterId', 'also used by VirtualIP "conflict-b"'],
  ['router-id-conflict.yaml', 17, '/spec/virtualRouterId', 'also used by VirtualIP "conflict-a"'],
  ['type.yaml', 10, '/spec/preempt', 'must be true or false'],
  ['unknown-field.yaml', 7, '/spec/adresses', 'unknown field `adresses`; did you mean `addresses`?'],
  ['unknown-kind.yaml', 3, '/kind', 'did you mean "VirtualIP"?'],
  ['unknown-node.yaml', 11, '/spec/nodes/1/name', 'no node named "node-9"'],
  ['yaml-syntax.yaml', 8, '/', 'Flow sequence'],
];

describe('validateCommand on test/fixtures/broken', () => {
  it('reports exactly one line per problem, at the right file:line, and exits 1', async () => {
    const { code, stdout } = await run('test/fixtures/broken');
    const lines = stdout.slice(0, -1);
    expect(code).toBe(1);
    expect(lines).toHaveLength(expected.length);
    expected.forEach(([file, line, pointer, says], index) => {
      const match = /^(\S+):(\d+):(\d+) {2}(\S+) {2}(.+)$/.exec(lines[index] ?? '');
      expect(match, lines[index]).not.toBeNull();
      expect([match?.[1], Number(match?.[2]), match?.[4]]).toEqual([
        `test/fixtures/broken/${file}`,
        line,
        pointer,
      ]);
      expect(match?.[5]).toContain(says);
    });
    const files = new Set(expected.map(([file]) => file)).size;
    expect(stdout.at(-1)).toBe(`${expected.length} problems in ${files} files`);
  });

  it('leaves the valid files of the directory alone', async () => {
    const { stdout } = await run('test/fixtures/broken');
    expect(stdout.filter((line) => line.includes('good.yaml') || line.includes('nodes.yaml'))).toEqual([]);
  });

  it('names files relative to the working directory', async () => {
    const { stdout } = await run('broken', path.join(root, 'test/fixtures'));
    expect(stdout[0]).toMatch(/^broken\/advert-precision\.yaml:10:19 {2}/);
  });
});

describe('validateCommand', () => {
  it('accepts the sample manifests, with a notice of what authentication costs, and exits 0', async () => {
    const { code, stdout, stderr } = await run('manifests');
    expect({ code, stderr, last: stdout.at(-1) }).toEqual({
      code: 0,
      stderr: [],
      last: '6 manifests valid (4 VirtualIP, 2 NodeEndpoint); 1 notice',
    });
    expect(stdout).toHaveLength(2);
    expect(stdout[0]).toMatch(
      /^manifests\/web\.yaml:22:3 {2}\/spec\/authentication {2}notice: authentication needs VRRPv2, .* at advertInterval 2 s a dead holder's address moves after 6–8 s/,
    );
  });

  it.each([
    ['a missing directory', 'no-such-dir', 'error: manifest directory no-such-dir does not exist'],
    [
      'a file',
      'package.json',
      'error: package.json is not a directory; give the directory that holds the manifests',
    ],
  ])('reports %s in one line on stderr and exits 1', async (_, dir, message) => {
    const { code, stdout, stderr } = await run(dir);
    expect({ code, stdout, stderr }).toEqual({ code: 1, stdout: [], stderr: [message] });
  });

  it('counts a single problem in the singular', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'validate-'));
    try {
      const endpoint =
        'apiVersion: swarm-vip/v1\nkind: NodeEndpoint\nmetadata: { name: n }\nspec: { docker: x }\n';
      await writeFile(path.join(dir, 'a.yaml'), endpoint);
      const { code, stdout } = await run(dir, dir);
      expect(code).toBe(1);
      expect(stdout).toEqual([
        'a.yaml:4:17  /spec/docker  "x" is not a Docker engine URL: unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host',
        '1 problem in 1 file',
      ]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });
});

describe('formatProblem', () => {
  it.each([
    [
      { file: '/work/m/a.yaml', line: 3, col: 5, path: '/spec', message: 'x' },
      '/work',
      'm/a.yaml:3:5  /spec  x',
    ],
    [{ file: 'm/a.yaml', line: 1, col: 1, path: '', message: 'y' }, '/work', 'm/a.yaml:1:1  /  y'],
  ])('%o from %s', (problem, cwd, line) => {
    expect(formatProblem({ code: 'schema', ...problem }, cwd)).toBe(line);
  });
});

describe('validate against the reconciler’s password rules', () => {
  let addresses = 100;
  /** A VirtualIP of its own address (`authentication` on line 9). */
  const manifest = (name: string, authentication: string) => `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: ${name} }
spec:
  addresses: [198.18.0.${(addresses += 1)}/24]
  nodes: [{ name: node-1, priority: 100 }]
  advertInterval: 1
  authentication:
    ${authentication}
`;
  let dir = '';
  let secrets = '';
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'validate-pw-'));
    secrets = await mkdtemp(path.join(tmpdir(), 'validate-pw-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(secrets, { recursive: true, force: true });
  });
  const runWith = async (passwords: ValidateArgs['passwords']) => {
    const stdout: string[] = [];
    const code = await validateCommand(
      { dir, passwords },
      { stdout: (l) => stdout.push(l), stderr: () => {}, cwd: dir },
    );
    // Every VIP here has authentication, so each has its notice of what that costs: not the point.
    return { code, stdout: stdout.filter((line) => !line.includes('  notice: ')) };
  };

  it('reports each refused source at its line with what would be right; allowed ones pass unread', async () => {
    await writeFile(path.join(dir, 'thief.yaml'), manifest('thief', 'passwordEnv: AWS_SECRET_ACCESS_KEY'));
    await writeFile(path.join(dir, 'shadow.yaml'), manifest('shadow', 'passwordFile: /etc/shadow'));
    // Allowed, though the variable is set nowhere and the file does not exist: validate reads no secret.
    await writeFile(path.join(dir, 'env.yaml'), manifest('env', 'passwordEnv: OPS_VRRP_ENV'));
    await writeFile(path.join(dir, 'file.yaml'), manifest('file', `passwordFile: ${secrets}/absent`));
    // A FIFO in the password directory would block a read: there is none.
    execFileSync('mkfifo', [path.join(secrets, 'fifo')]);
    await writeFile(path.join(dir, 'fifo.yaml'), manifest('fifo', `passwordFile: ${secrets}/fifo`));
    const { code, stdout } = await runWith({ envPrefix: 'OPS_VRRP', dirs: [secrets] });
    expect(code).toBe(1);
    expect(stdout).toEqual([
      `shadow.yaml:9:19  /spec/authentication/passwordFile  VirtualIP shadow: passwordFile /etc/shadow is refused: it is not inside a password directory (${secrets}) once links are resolved; put the file there or add its directory with --password-dir`,
      'thief.yaml:9:18  /spec/authentication/passwordEnv  VirtualIP thief: passwordEnv AWS_SECRET_ACCESS_KEY is refused: the reconciler reads passwords only from variables whose name starts with OPS_VRRP (--password-env-prefix, SWARM_VIP_PASSWORD_ENV_PREFIX), e.g. passwordEnv: OPS_VRRP_THIEF',
      '2 problems in 2 files; 5 notices',
    ]);
  });

  it('by default holds manifests to the daemon’s defaults: prefix VRRP_PASSWORD, no passwordFile', async () => {
    await writeFile(path.join(dir, 'env.yaml'), manifest('env', 'passwordEnv: VRRP_PASSWORD_ENV'));
    await writeFile(path.join(dir, 'file.yaml'), manifest('file', `passwordFile: ${secrets}/vrrp`));
    const { code, stdout } = await runWith(undefined);
    expect(code).toBe(1);
    expect(stdout).toEqual([
      `file.yaml:9:19  /spec/authentication/passwordFile  VirtualIP file: passwordFile ${secrets}/vrrp is refused: no password directory is configured; start the reconciler with --password-dir DIR (or SWARM_VIP_PASSWORD_DIRS=DIR1:DIR2) naming the directory that holds it`,
      '1 problem in 1 file; 2 notices',
    ]);
  });

  it('the real CLI takes the daemon’s flags and variables for the rules', async () => {
    await writeFile(path.join(dir, 'file.yaml'), manifest('file', `passwordFile: ${secrets}/vrrp`));
    const cli = (args: string[], env: Record<string, string> = {}) =>
      promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'validate', ...args],
        {
          cwd: root,
          timeout: 30_000,
          env: { ...process.env, ...env },
        },
      ).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
    const [refused, byFlag, byVariable] = await Promise.all([
      cli([dir]),
      cli(['--password-dir', secrets, dir]),
      cli([dir], { SWARM_VIP_PASSWORD_DIRS: `/elsewhere:${secrets}` }),
    ]);
    expect({ refused, byFlag, byVariable }).toEqual({ refused: 1, byFlag: 0, byVariable: 0 });
  }, 30_000);
});
