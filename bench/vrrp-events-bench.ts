/**
 * `npm run bench:events [-- --idle-seconds 60 --trials 5]`: on a private three-node test cluster
 * (env SWARM_VIP_TB_*, else bn / 9), with 10 VIPs on 3 nodes (30 keepalived containers):
 *
 * 1. idle CPU of the daemon (VRRP state as events, log streams) against the exec-polling
 *    baseline (a probe `docker exec` per container every 5 s, what the daemon did before), both
 *    running side by side over the same window, from utime+stime in /proc/<pid>/stat;
 * 2. how long after the VIP appears on the new holder's interface (the kernel's event, from
 *    `ip -ts monitor` in the node's namespace: bench/holder-monitor.ts) the daemon's `/status`
 *    shows the new holder (polled every 5 ms over loopback), over graceful hand-overs; and, as
 *    before, from keepalived's "setting VIPs." log line to the daemon's "is MASTER" log line;
 * 3. how long a rollout step's stop takes: `docker stop` + remove (the baseline) against
 *    DockerNodeRuntime.remove (SIGTERM, then remove as soon as keepalived reports STOP).
 *
 * Prints a Markdown section for BENCHMARKS.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dockerClientFor } from '../src/adapters/docker/connect.js';
import { DockerNodeRuntime } from '../src/adapters/docker/node-runtime.js';
import { addressesOf, dockerOf, down, up, waitFor, type ClusterDescription } from '../test/cluster/index.js';
import {
  containersOnNodes,
  manifestDir,
  removeManagedContainers,
  vipYaml,
} from '../test/e2e/reconciler-harness.js';
import { KEEPALIVED_TEST_IMAGE } from '../test/cluster/index.js';
import { describeMachine, machineInfo } from './machine.js';
import { ms, ratio, summarise } from './measure.js';
import { benchClusterOptions } from './real-cluster-bench.js';
import { HolderMonitor, nowMs } from './holder-monitor.js';

const { values } = parseArgs({
  options: {
    'idle-seconds': { type: 'string', default: '60' },
    trials: { type: 'string', default: '10' },
  },
});
const idleSeconds = Number(values['idle-seconds']);
const trials = Number(values.trials);
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
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
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

/** Per hand-over: kernel event → /status, and keepalived's log line → the daemon's log line. */
interface Lag {
  statusMs: number[];
  logMs: number[];
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
        }),
      );
    }
    daemon = spawnTs(
      [
        'src/cli/main.ts',
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
    baseline = spawnTs(['bench/exec-poll-baseline.ts', ...cluster.nodes.map((n) => n.dockerUrl)]);
    await new Promise((r) => setTimeout(r, 6_000)); // past its module loading and first probe
    const idle = await idlePhase(daemon, baseline);
    log(
      `idle CPU: daemon ${idle.daemonPct.toFixed(2)} %, exec-polling baseline ${idle.baselinePct.toFixed(2)} %`,
    );
    baseline.kill('SIGTERM');
    // Trials measured before a failure still count (and the failure is reported).
    const lag: Lag = { statusMs: [], logMs: [] };
    await holderLagPhase(cluster, daemonLog, lag).catch(async (error: unknown) => {
      log(`holder lag phase failed after ${lag.statusMs.length} hand-overs: ${String(error)}`);
      const file = path.join(tmpdir(), `swarm-vip-bench-events-daemon-${process.pid}.log`);
      await writeFile(file, daemonLog.map((l) => JSON.stringify(l)).join('\n'));
      log(`the daemon's log: ${file}`);
    });
    log(`holder lag: ${JSON.stringify(lag)}`);
    const stops = await stopPhase(cluster);
    process.stdout.write(report(idle, lag, stops));
  } finally {
    baseline?.kill('SIGKILL');
    daemon?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    await removeManagedContainers(cluster).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    await rm(lockFile, { recursive: true, force: true });
    await down(clusterOptions, log);
  }
}

async function idlePhase(
  daemon: ChildProcess,
  baseline: ChildProcess,
): Promise<{ daemonPct: number; baselinePct: number; loadavg: string }> {
  const pids = [daemon.pid ?? 0, baseline.pid ?? 0];
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  log(`measuring idle CPU for ${idleSeconds} s`);
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const seconds = (performance.now() - t0) / 1000;
  const [daemonPct = 0, baselinePct = 0] = pids.map(
    (pid, i) => ((cpuSeconds(pid) - (before[i] ?? 0)) / seconds) * 100,
  );
  return {
    daemonPct,
    baselinePct,
    loadavg: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

/**
 * Graceful stop of the holder of ev0 (n1), which hands the VIP to n2: from the kernel's event of
 * the address appearing on n2 (ip monitor) to the first `/status` answer that shows n2 as holder;
 * and from keepalived's `(ev0) setting VIPs.` on n2 (Docker's log timestamp) to the daemon's
 * "is MASTER" log line.
 */
async function holderLagPhase(cluster: ClusterDescription, daemonLog: LogLine[], lag: Lag): Promise<void> {
  const [n1, n2] = cluster.nodes;
  const address = cluster.spareIpv4[0] ?? '';
  const served = daemonLog.find((l) => typeof l.address === 'string')?.address;
  if (!n1 || !n2 || !served) throw new Error("two nodes and the daemon's --listen address needed");
  const monitor = await HolderMonitor.start(cluster, [address]);
  try {
    for (let t = 0; t < trials; t++) {
      const holder = (await containersOnNodes(cluster, 'keepalived-ev0')).find(
        (c) => c.node === n1.name && c.running,
      );
      if (!holder) break;
      const since = Date.now();
      const polling = firstStatusShowing(`http://${served}/status`, 'ev0', n2.name, 20_000);
      await dockerOf(n1).getContainer(holder.id).stop({ t: 10 });
      // The new holder appearing (the old one may keep the address a moment longer).
      const onInterface = await monitor.until(
        () => monitor.holders(address).includes(n2.name),
        20_000,
        `${address} on ${n2.name} alone`,
      );
      const shownMs = await polling;
      lag.statusMs.push(shownMs - onInterface);
      const logged = await logLag(cluster, daemonLog, since).catch(() => undefined);
      if (logged !== undefined) lag.logMs.push(logged);
      // Back to n1 (the daemon restarts it; priority 200 preempts) before the next trial.
      await monitor.until(() => monitor.holders(address).join() === n1.name, 60_000, 'n1 to hold ev0 again');
      await new Promise((r) => setTimeout(r, 2000));
    }
  } finally {
    await monitor.stop();
  }
}

/** The time of the first `/status` answer that shows `node` holding `vip` (polled every 5 ms). */
async function firstStatusShowing(
  url: string,
  vip: string,
  node: string,
  timeoutMs: number,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 5 && Date.now() < deadline; i++) {
    const body = (await (await fetch(url)).json()) as { vips: { vip: string; holders: string[] }[] };
    const answeredMs = nowMs();
    if (body.vips.find((v) => v.vip === vip)?.holders.includes(node)) return answeredMs;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`/status did not show ${vip} held by ${node} within ${timeoutMs} ms`);
}

/** keepalived's `(ev0) setting VIPs.` on the new holder → the daemon's "is MASTER" line. */
async function logLag(
  cluster: ClusterDescription,
  daemonLog: LogLine[],
  since: number,
): Promise<number | undefined> {
  const n2 = cluster.nodes[1];
  if (!n2) return undefined;
  const known = await waitFor(
    () =>
      daemonLog.find((l) => l.time >= since && l.vip === 'ev0' && l.node === n2.name && l.state === 'MASTER'),
    { timeoutMs: 20_000, intervalMs: 20, description: 'the daemon to log the new holder' },
  );
  const backup = (await containersOnNodes(cluster, 'keepalived-ev0')).find((c) => c.node === n2.name);
  const raw = await dockerOf(n2)
    .getContainer(backup?.id ?? '')
    .logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(since / 1000) });
  const setting = raw
    .toString('utf8')
    .split('\n')
    .filter((l) => l.includes('(ev0) setting VIPs.'))
    .map((l) => Date.parse(l.replace(/^[^0-9]*/, '').split(' ')[0] ?? ''))
    .filter((v) => v >= since - 1000)
    .pop();
  return setting === undefined ? undefined : known.time - setting;
}

/** Stop of a backup's container (ev1..): `docker stop` + remove against DockerNodeRuntime.remove. */
async function stopPhase(cluster: ClusterDescription): Promise<{ old: number[]; now: number[] }> {
  const n3 = cluster.nodes[2];
  if (!n3) return { old: [], now: [] };
  const runtime = new DockerNodeRuntime(
    n3.name,
    dockerClientFor(n3.name, { url: n3.dockerUrl }, 10_000),
    dockerClientFor(n3.name, { url: n3.dockerUrl }, undefined),
    {
      probeTimeoutMs: 5000,
      stopTimeoutSeconds: 10,
      startWaitMs: 5000,
      events: { reconnect: { baseMs: 500, maxMs: 5000 } },
    },
  );
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
  idle: { daemonPct: number; baselinePct: number; loadavg: string },
  lag: Lag,
  stops: { old: number[]; now: number[] },
): string {
  const lagStats = summarise(lag.logMs);
  const statusStats = summarise(lag.statusMs);
  const oldStats = summarise(stops.old);
  const newStats = summarise(stops.now);
  return [
    '## VRRP state as events (issue 8 items 1 and 5)',
    '',
    `Machine: ${describeMachine(machineInfo())}. \`npm run bench:events\` (idle window ${idleSeconds} s, ${trials} trials; load average at the end of the idle window: ${idle.loadavg}).`,
    '',
    '| what | swarm-vip (events) | baseline | ratio |',
    '|---|---|---|---|',
    `| idle CPU of the daemon, 10 VIPs on 3 nodes (utime+stime from /proc/<pid>/stat) | ${idle.daemonPct.toFixed(2)} % | ${idle.baselinePct.toFixed(2)} % (exec probe of each container every 5 s) | ${ratio(idle.daemonPct, idle.baselinePct)} |`,
    `| stop of a managed container in a rollout step, median (min / max) | ${ms(newStats.medianMs)} ms (${ms(newStats.minMs)} / ${ms(newStats.maxMs)}) | ${ms(oldStats.medianMs)} ms (${ms(oldStats.minMs)} / ${ms(oldStats.maxMs)}) (\`docker stop\` + remove) | ${ratio(newStats.medianMs, oldStats.medianMs)} |`,
    `| VIP on the new holder's interface (ip monitor) → \`/status\` shows it, median (min / max), ${statusStats.runs} hand-overs | ${ms(statusStats.medianMs)} ms (${ms(statusStats.minMs)} / ${ms(statusStats.maxMs)}) | up to the 5 s probe interval | |`,
    `| keepalived's "setting VIPs." → the daemon's "is MASTER" log line, median (min / max), ${lagStats.runs} hand-overs | ${ms(lagStats.medianMs)} ms (${ms(lagStats.minMs)} / ${ms(lagStats.maxMs)}) | | |`,
    `| every hand-over, interface → \`/status\`, ms | ${lag.statusMs.map((v) => ms(v)).join(', ')} | | |`,
    '',
  ].join('\n');
}

await main();
