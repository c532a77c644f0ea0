/**
 * `npm run bench:hostile`: the real CLI (a child process, as CI or cron runs it) on each class of
 * hostile input that issue 9 names, at the sizes it names, with the wall time and the peak RSS of
 * the child (GNU `/usr/bin/time`), against the bound the issue sets (5 s, 500 MB) and against a
 * baseline measured in the same run: `validate` of the sample manifests (what any run costs).
 * `validate` reads no password, so the password sources are measured with `plan`, which does.
 * Prints a Markdown table for BENCHMARKS.md. Touches no network: the one NodeEndpoint names a unix
 * socket that does not exist.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineInfo } from './machine.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliEntry = path.join(repo, 'src/cli/main.ts');
const BOUND_MS = 5000;
const BOUND_RSS_MB = 500;
const RUNS = 3;
/** A child past this is killed: the bench itself stays bounded even if the CLI hangs. */
const KILL_AFTER_MS = 60_000;

const VALID_VIP = `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata: { name: valid }
spec:
  addresses: [198.18.0.100/24]
  nodes: [{ name: node-1, priority: 100 }]
`;
const ENDPOINT = `apiVersion: swarm-vip/v1
kind: NodeEndpoint
metadata: { name: node-1 }
spec:
  docker: unix:///nonexistent/swarm-vip-bench.sock
  address: 198.18.0.1
`;

interface Case {
  name: string;
  /** Fills the (empty) directory `dir`; returns the CLI arguments. */
  setup: (dir: string) => Promise<string[]>;
  /** What the output must say: the class was refused for the right reason. */
  expect: RegExp;
}

const vipWithPassword = (source: string) =>
  `${VALID_VIP}  advertInterval: 1\n  authentication: { ${source} }\n`;

const keys = (count: number) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata:\n  name: keys\n  labels:\n${Array.from(
    { length: count },
    (_, k) => `    k${k}: v\n`,
  ).join('')}`;

const CASES: Case[] = [
  {
    name: 'baseline: the sample manifests (valid)',
    setup: async () => ['validate', path.join(repo, 'manifests')],
    expect: /manifests valid/,
  },
  ...[20_000, 40_000, 400_000].map((count): Case => ({
    name: `${count.toLocaleString('en')} keys in one mapping`,
    setup: async (dir) => {
      await writeFile(path.join(dir, 'keys.yaml'), keys(count));
      return ['validate', dir];
    },
    expect: /maxKeysPerMapping|maxFileBytes|maxTokensPerFile/,
  })),
  {
    name: '1,000,000-item list',
    setup: async (dir) => {
      await writeFile(
        path.join(dir, 'list.yaml'),
        `apiVersion: swarm-vip/v1\nkind: VirtualIP\nspec:\n  addresses: [${Array(1_000_000).fill('1').join(',')}]\n`,
      );
      return ['validate', dir];
    },
    expect: /maxItemsPerSequence|maxFileBytes|maxTokensPerFile/,
  },
  {
    name: '10,000-deep nesting',
    setup: async (dir) => {
      await writeFile(path.join(dir, 'deep.yaml'), `spec: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`);
      return ['validate', dir];
    },
    expect: /maxNestingDepth/,
  },
  {
    name: '100,000 small files',
    setup: async (dir) => {
      for (let k = 0; k < 100_000; k += 1000) {
        await Promise.all(
          Array.from({ length: 1000 }, (_, j) => writeFile(path.join(dir, `f${k + j}.yaml`), 'kind: x\n')),
        );
      }
      return ['validate', dir];
    },
    expect: /maxDirectoryEntries|maxFiles/,
  },
  {
    name: 'a 20 MB value',
    setup: async (dir) => {
      await writeFile(
        path.join(dir, 'huge.yaml'),
        `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${'h'.repeat(20 * 1024 * 1024)} }\n`,
      );
      return ['validate', dir];
    },
    expect: /maxFileBytes/,
  },
  {
    name: '10,000 duplicates of one name (10 files × 1,000 documents)',
    setup: async (dir) => {
      const doc = `---\n${VALID_VIP}`;
      for (let f = 0; f < 10; f += 1) await writeFile(path.join(dir, `dup${f}.yaml`), doc.repeat(1000));
      return ['validate', dir];
    },
    expect: /is also defined at .* and \d+ more/,
  },
  {
    name: 'the most the limits admit: 9 MiB of small distinct VirtualIPs (60 files × 1,000 documents)',
    setup: async (dir) => {
      for (let f = 0; f < 60; f += 1) {
        const docs = Array.from({ length: 1000 }, (_, d) => {
          const k = f * 1000 + d;
          return `---\napiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: v${k} }\nspec:\n  addresses: [198.18.${(k >> 8) & 255}.${(k & 255) + 1}/16]\n  nodes: [{ name: node-1, priority: 100 }]\n`;
        });
        await writeFile(path.join(dir, `f${String(f).padStart(2, '0')}.yaml`), docs.join(''));
      }
      return ['validate', dir];
    },
    expect: /problems in 60 files/,
  },
  {
    name: 'symlink loops (two links to ".", a → b → a)',
    setup: async (dir) => {
      await writeFile(path.join(dir, 'valid.yaml'), VALID_VIP);
      await symlink('.', path.join(dir, 'self1'));
      await symlink('.', path.join(dir, 'self2'));
      await symlink('b.yaml', path.join(dir, 'a.yaml'));
      await symlink('a.yaml', path.join(dir, 'b.yaml'));
      return ['validate', dir];
    },
    expect: /link/,
  },
  {
    name: 'plan: passwordFile a FIFO',
    setup: async (dir) => {
      const secrets = path.join(dir, '..', `${path.basename(dir)}-secrets`);
      await mkdir(secrets, { recursive: true });
      execFileSync('mkfifo', [path.join(secrets, 'fifo')]);
      await writeFile(
        path.join(dir, 'vip.yaml'),
        vipWithPassword(`passwordFile: ${path.join(secrets, 'fifo')}`),
      );
      await writeFile(path.join(dir, 'node.yaml'), ENDPOINT);
      return ['plan', '--manifests', dir, '--password-dir', secrets];
    },
    expect: /it is a FIFO, not a regular file/,
  },
  {
    name: 'plan: passwordFile /dev/zero (with --password-dir /dev)',
    setup: async (dir) => {
      await writeFile(path.join(dir, 'vip.yaml'), vipWithPassword('passwordFile: /dev/zero'));
      await writeFile(path.join(dir, 'node.yaml'), ENDPOINT);
      return ['plan', '--manifests', dir, '--password-dir', '/dev'];
    },
    expect: /it is a character device, not a regular file/,
  },
];

interface Run {
  wallMs: number;
  rssMb: number;
  code: number | null;
  outputBytes: number;
  matched: boolean;
}

/** One run of the CLI under GNU time: wall time measured here, peak RSS from time's %M (KiB). */
function runOnce(args: string[], expect: RegExp, statsFile: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      '/usr/bin/time',
      ['-f', '%M', '-o', statsFile, process.execPath, '--import', 'tsx', cliEntry, ...args],
      { cwd: repo, env: { ...process.env, FORCE_COLOR: '0' } },
    );
    let output = '';
    let outputBytes = 0;
    const collect = (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (output.length < 1_000_000) output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      try {
        const kib = Number(readFileSync(statsFile, 'utf8').trim().split('\n').at(-1));
        resolve({ wallMs, rssMb: kib / 1024, code, outputBytes, matched: expect.test(output) });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const loadBefore = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const rows: string[] = [];
  let allWithin = true;
  let baselineMs = NaN;
  // `npm run bench:hostile -- WORD`: only the cases whose name holds WORD (and the baseline).
  const only = process.argv[2];
  for (const testCase of CASES.filter((c, k) => k === 0 || !only || c.name.includes(only))) {
    const root = await mkdtemp(path.join(tmpdir(), 'swarm-vip-hostile-bench-'));
    try {
      const dir = path.join(root, 'm');
      await mkdir(dir);
      const args = await testCase.setup(dir);
      const runs: Run[] = [];
      for (let k = 0; k < RUNS; k += 1)
        runs.push(await runOnce(args, testCase.expect, path.join(root, 'time')));
      const wall = median(runs.map((r) => r.wallMs));
      const rss = Math.max(...runs.map((r) => r.rssMb));
      const maxWall = Math.max(...runs.map((r) => r.wallMs));
      if (Number.isNaN(baselineMs)) baselineMs = wall;
      const within = maxWall < BOUND_MS && rss < BOUND_RSS_MB && runs.every((r) => r.matched);
      allWithin &&= within;
      const codes = [...new Set(runs.map((r) => r.code))].join('/');
      rows.push(
        `| ${testCase.name} | \`${args[0]}\` exit ${codes} | ${Math.round(wall)} / ${Math.round(maxWall)} | ${(
          wall / baselineMs
        ).toFixed(
          2,
        )} | ${Math.round(rss)} | ${Math.max(...runs.map((r) => r.outputBytes)).toLocaleString('en')} | ${
          within ? 'yes' : `**no**${runs.every((r) => r.matched) ? '' : ' (output did not name the refusal)'}`
        } |`,
      );
      process.stderr.write(`${rows.at(-1) ?? ''}\n`);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }
  const machine = describeMachine(machineInfo());
  process.stdout.write(
    [
      `Machine: ${machine}; load average before: ${loadBefore}`,
      `Each case ${RUNS} runs of the CLI (\`node --import tsx src/cli/main.ts\`); bound: ${BOUND_MS} ms and ${BOUND_RSS_MB} MB.`,
      '',
      '| input | command | wall ms, median / max | × baseline | peak RSS MB (max) | output bytes | within bound and refused for the right reason |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
  if (!allWithin) process.exitCode = 1;
}

await main();
