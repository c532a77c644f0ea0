/**
 * `npm run bench:events [-- --idle-seconds 60 --trials 5]`: on a private three-node test cluster
 * (env SWARM_VIP_TB_*, else bn / 9), with 10 VIPs on 3 nodes (30 keepalived containers) at the
 * product's default advertInterval, followed by the built CLI (`dist/`, built first) as a user runs it:
 *
 * 1. idle CPU of the daemon (VRRP state as events, log streams) against the exec-polling
 *    baseline (a probe `docker exec` per container every 5 s, what the daemon did before), both
 *    running side by side over the same window, from utime+stime in /proc/<pid>/stat;
 * 2. how long after the kernel hands a VIP to another node (`ip -ts monitor` in the nodes'
 *    namespaces) the daemon's `/status` shows the new holder alone, over graceful stops and
 *    SIGKILLs of the holder's keepalived, against a 5 s exec probe beside it (bench/holder-lag.ts);
 * 3. how long a rollout step's stop takes: `docker stop` + remove (the baseline) against
 *    DockerNodeRuntime.remove (SIGTERM, then remove as soon as keepalived reports STOP).
 *
 * `--phases idle,lag,stop` (default all three) runs only some of them.
 *
 * Prints a Markdown section for BENCHMARKS.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { addressesOf, dockerOf, down, up, waitFor, type ClusterDescription } from '../test/cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeManagedContainers,
  vipYaml,
  removeLockFile,
} from '../test/e2e/reconciler-harness.js';
import { KEEPALIVED_TEST_IMAGE } from '../test/cluster/index.js';
import { describeMachine, machineInfo } from './machine.js';
import { ms, ratio, summarise } from './measure.js';
import { benchClusterOptions } from './real-cluster-bench.js';
import { benchRuntime, holderLagPhase, type HandOver, type HandOverKind } from './holder-lag.js';

const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '60' },
    trials: { type: 'string', default: '10' },
    phases: { type: 'string', default: 'idle,lag,stop' },
  },
});
const idleSeconds = Number(values['idle-seconds']);
const trials = Number(values.trials);
const phases = new Set(values.phases.split(','));
const VIPS = 10;
const repo = path.resolve(import.meta.dirname, '..');
const log = (m: string) => process.stderr.write(`[bench:events] ${m}\n`);

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start at ") "; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function spawnTs(args: string[], logFile?: (line: string) => void): ChildProcess {
  return spawnNode(['--import', 'tsx', ...args], logFile);
}

function spawnNode(args: string[], logFile?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, DOCKER_HOST: '' },
  });
  let buffered = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) logFile?.(line);
  });
  child.stdout?.resume();
  return child;
}

interface LogLine {
  time: number;
  msg: string;
  vip?: string;
  node?: string;
  state?: string;
  address?: string;
}

async function main(): Promise<void> {
  const clusterOptions = benchClusterOptions();
  const cluster = await up(clusterOptions, log);
  const dir = await manifestDir(cluster);
  const lockFile = path.join(tmpdir(), `swarm-vip-bench-events-${process.pid}.lock`);
  const daemonLog: LogLine[] = [];
  let daemon: ChildProcess | undefined;
  let baseline: ChildProcess | undefined;
  try {
    const [n1, n2, n3] = cluster.nodes;
    if (!n1 || !n2 || !n3) throw new Error('three nodes needed');
    for (let i = 0; i < VIPS; i++) {
      const address = `${cluster.spareIpv4[i]}/${cluster.ipv4PrefixLength}`;
      await writeFile(
        path.join(dir, `ev${i}.yaml`),
        vipYaml({
          name: `ev${i}`,
          address,
          image: KEEPALIVED_TEST_IMAGE,
          priorities: { [n1.name]: 200, [n2.name]: 100, [n3.name]: 50 },
          // What a user gets: VRRPv3 at 0.05 s (README, "Sub-second failover").
          advertInterval: 'default',
        }),
      );
    }
    // The built CLI, as the image and the package's bin run it (under tsx the loader's thread and
    // esbuild's service would be measured too).
    log('building the CLI (npm run build)');
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], {
      cwd: repo,
      stdio: 'inherit',
    });
    daemon = spawnNode(
      [
        'dist/cli/main.js',
        '--manifests',
        dir,
        '--lock-file',
        lockFile,
        '--log-format',
        'json',
        '--listen',
        '127.0.0.1:0',
      ],
      (line) => {
        try {
          daemonLog.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      },
    );
    await waitFor(
      async () =>
        (await containersOnNodes(cluster, 'keepalived-ev')).filter((c) => c.running).length === 3 * VIPS,
      {
        timeoutMs: 300_000,
        intervalMs: 1000,
        description: '30 keepalived containers running',
      },
    );
    const addresses = cluster.spareIpv4.slice(0, VIPS);
    // One `ip addr` per node (not one per VIP and node): cheap enough on a loaded machine.
    await waitFor(
      async () => {
        const [on1, on2, on3] = await Promise.all(cluster.nodes.map((n) => addressesOf(n)));
        return addresses.every((a) => on1?.includes(a) && !on2?.includes(a) && !on3?.includes(a));
      },
      { timeoutMs: 300_000, intervalMs: 2000, description: `every VIP held by ${n1.name} alone` },
    );
    log('converged; settling 10 s');
    await new Promise((r) => setTimeout(r, 10_000));
    let idle: IdleResult | undefined;
    if (phases.has('idle')) {
      // The daemon alone first: the baseline's bursts of 30 execs disturb keepalived (and so
      // the daemon, which follows every state change); then the baseline, the daemon beside it.
      const alone = await idleWindow([daemon], daemonLog);
      baseline = spawnTs(['bench/exec-poll-baseline.ts', ...cluster.nodes.map((n) => n.dockerUrl)]);
      await new Promise((r) => setTimeout(r, 6_000)); // past its module loading and first probe
      const beside = await idleWindow([daemon, baseline], daemonLog);
      idle = { alone, beside };
      log(
        `idle CPU: daemon alone ${pct(alone.cpuPct[0])} (${alone.stateLines} VRRP state changes); exec-polling baseline ${pct(beside.cpuPct[1])}, the daemon beside it ${pct(beside.cpuPct[0])} (${beside.stateLines} VRRP state changes)`,
      );
      baseline.kill('SIGTERM');
    }
    // Hand-overs measured before a failure still count (and the failure is reported).
    const lag: HandOver[] = [];
    const served = daemonLog.find((l) => typeof l.address === 'string')?.address;
    if (phases.has('lag')) {
      await holderLagPhase(cluster, dir, `http://${served}/status`, trials, lag, log).catch(
        async (error: unknown) => {
          log(`holder lag phase failed after ${lag.length} hand-overs: ${String(error)}`);
          const file = path.join(tmpdir(), `swarm-vip-bench-events-daemon-${process.pid}.log`);
          await writeFile(file, daemonLog.map((l) => JSON.stringify(l)).join('\n'));
          log(`the daemon's log: ${file}`);
        },
      );
    }
    const stops = phases.has('stop') ? await stopPhase(cluster) : undefined;
    process.stdout.write(report(idle, lag, stops));
  } finally {
    baseline?.kill('SIGKILL');
    daemon?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    await removeManagedContainers(cluster).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await removeLockFile(lockFile);
    await down(clusterOptions, log);
  }
}

/** One idle window: CPU of each process, and what the daemon logged meanwhile. */
interface IdleWindow {
  /** Per process, % of one core (utime + stime over the wall-clock window). */
  cpuPct: number[];
  loadavg: string;
  /** Lines the daemon logged in the window. */
  logLines: number;
  /** VRRP state changes it followed (keepalived flapping shows here). */
  stateLines: number;
}

interface IdleResult {
  /** The daemon alone. */
  alone: IdleWindow;
  /** The exec-polling baseline, with the daemon beside it. */
  beside: IdleWindow;
}

const pct = (value: number | undefined) => `${(value ?? 0).toFixed(2)} %`;

async function idleWindow(processes: ChildProcess[], daemonLog: readonly LogLine[]): Promise<IdleWindow> {
  const pids = processes.map((p) => p.pid ?? 0);
  const before = pids.map(cpuSeconds);
  const firstLine = daemonLog.length;
  const t0 = performance.now();
  log(`measuring idle CPU for ${idleSeconds} s`);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const seconds = (performance.now() - t0) / 1000;
  const logged = daemonLog.slice(firstLine);
  const changes = new Map<string, number>();
  for (const l of logged) {
    const key = `${l.node ?? '?'} ${l.state ?? ''}`;
    if (l.state !== undefined) changes.set(key, (changes.get(key) ?? 0) + 1);
  }
  log(`VRRP state changes in the window, by node: ${JSON.stringify(Object.fromEntries(changes))}`);
  return {
    cpuPct: pids.map((pid, i) => ((cpuSeconds(pid) - (before[i] ?? 0)) / seconds) * 100),
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    logLines: logged.length,
    stateLines: logged.filter((l) => l.state !== undefined).length,
  };
}

/** Stop of a backup's container (ev1..): `docker stop` + remove against DockerNodeRuntime.remove. */
async function stopPhase(cluster: ClusterDescription): Promise<{ old: number[]; now: number[] }> {
  const n3 = cluster.nodes[2];
  if (!n3) return { old: [], now: [] };
  const runtime = benchRuntime(n3);
  const old: number[] = [];
  const now: number[] = [];
  for (let t = 0; t < trials * 2; t++) {
    const name = `keepalived-ev${1 + (t % (VIPS - 1))}`;
    const target = await waitFor(
      async () =>
        (await containersOnNodes(cluster, name)).find(
          (c) => c.node === n3.name && c.running && c.name === name,
        ),
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        description: `${name} running on ${n3.name}`,
      },
    );
    await new Promise((r) => setTimeout(r, 1500)); // its keepalived past start-up
    const t0 = performance.now();
    if (t % 2 === 0) {
      const container = dockerOf(n3).getContainer(target.id);
      await container.stop({ t: 10 });
      await container.remove();
      old.push(performance.now() - t0);
    } else {
      await runtime.remove(target.id);
      now.push(performance.now() - t0);
    }
  }
  return { old, now };
}

function report(
  idle: IdleResult | undefined,
  lag: readonly HandOver[],
  stops: { old: number[]; now: number[] } | undefined,
): string {
  const rows: string[] = [];
  if (idle) {
    rows.push(
      `| idle CPU of the daemon (built CLI), 10 VIPs on 3 nodes at the default advertInterval, utime+stime from /proc/<pid>/stat, ${idleSeconds} s alone; it logged ${idle.alone.logLines} lines, ${idle.alone.stateLines} of them VRRP state changes | ${pct(idle.alone.cpuPct[0])} | ${pct(idle.beside.cpuPct[1])} (exec probe of each container every 5 s, under tsx, the next ${idleSeconds} s) | ${ratio(idle.alone.cpuPct[0] ?? 0, idle.beside.cpuPct[1] ?? 0)} |`,
      `| the daemon during the baseline's window: CPU, lines logged, VRRP state changes | ${pct(idle.beside.cpuPct[0])}, ${idle.beside.logLines} lines, ${idle.beside.stateLines} state changes | | |`,
    );
  }
  if (stops) {
    const oldStats = summarise(stops.old);
    const newStats = summarise(stops.now);
    rows.push(
      `| stop of a managed container in a rollout step, median (min / max) | ${ms(newStats.medianMs)} ms (${ms(newStats.minMs)} / ${ms(newStats.maxMs)}) | ${ms(oldStats.medianMs)} ms (${ms(oldStats.minMs)} / ${ms(oldStats.maxMs)}) (\`docker stop\` + remove) | ${ratio(newStats.medianMs, oldStats.medianMs)} |`,
    );
  }
  const kinds: { kind: HandOverKind; what: string }[] = [
    { kind: 'stop', what: "graceful stop of the holder's container" },
    { kind: 'sigkill', what: "SIGKILL of the holder's keepalived" },
  ];
  for (const { kind, what } of kinds) {
    const alone = lag.filter((h) => h.kind === kind && !h.probeBeside);
    const beside = lag.filter((h) => h.kind === kind && h.probeBeside);
    if (alone.length === 0 && beside.length === 0) continue;
    const events = summarise(alone.map((h) => h.statusMs));
    const inContainer = summarise(alone.flatMap((h) => (h.reportMs === undefined ? [] : [h.reportMs])));
    const withProbe = summarise(beside.map((h) => h.statusMs));
    const seen = beside.flatMap((h) => (h.baselineMs === undefined ? [] : [h.baselineMs]));
    const polled = summarise(seen);
    const missed = beside.length - seen.length;
    rows.push(
      `| kernel hands the VIP over → \`/status\` shows the new holder alone, ${what}, median / max (min), ${events.runs} + ${polled.runs} hand-overs | ${ms(events.medianMs)} / ${ms(events.maxMs)} ms (${ms(events.minMs)}); of which kernel → Docker has the MASTER report ${ms(inContainer.medianMs)} / ${ms(inContainer.maxMs)} ms; with the exec probe running beside it ${ms(withProbe.medianMs)} / ${ms(withProbe.maxMs)} ms | ${ms(polled.medianMs)} / ${ms(polled.maxMs)} ms (${ms(polled.minMs)}) (exec probe of each container every 5 s${missed > 0 ? `; ${missed} hand-overs never seen` : ''}) | ${ratio(events.medianMs, polled.medianMs)} |`,
    );
  }
  return [
    '## VRRP state as events (issue 8 items 1 and 5)',
    '',
    `Machine: ${describeMachine(machineInfo())}. \`npm run bench:events -- --phases ${[...phases].join(',')}\` (${trials} trials${idle ? `, idle windows ${idleSeconds} s; load average at the end of each: ${idle.alone.loadavg}, ${idle.beside.loadavg}` : ''}; load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}).`,
    '',
    '| what | swarm-vip (events) | baseline | ratio |',
    '|---|---|---|---|',
    ...rows,
    ...(lag.length > 0
      ? [
          `| every hand-over, kernel → \`/status\` (→ 5 s probe, when beside), ms | ${lag.map((h) => `${h.kind} ${ms(h.statusMs)}${h.probeBeside ? ` (${h.baselineMs === undefined ? 'never' : ms(h.baselineMs)})` : ''}`).join(', ')} | | |`,
        ]
      : []),
    '',
  ].join('\n');
}

await main();
