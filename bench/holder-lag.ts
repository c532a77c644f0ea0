/**
 * The holder-lag phase of `npm run bench:events`: how long after the kernel hands a VIP from one
 * node to another the daemon's `/status` shows it, against what a user had before VRRP state came
 * as events (a `docker exec` probe of every managed container every 5 s), in the same run.
 *
 * A VIP of its own (`evlag`, `preempt: false`, so the new holder keeps it and each hand-over goes
 * back the other way), held by one node; each trial hands it over once, alternately by
 * - `stop`: a graceful `docker stop` of the holder's container (keepalived sends priority 0 and
 *   removes its address; the daemon starts the container again, as BACKUP);
 * - `sigkill`: SIGKILL of the holder's keepalived processes (the container's shell removes the
 *   address and exits; the restart policy starts it again, as BACKUP).
 *
 * The clock starts when the kernel's events (`ip -ts monitor` in each node's namespace,
 * bench/holder-monitor.ts) first show the address on the new holder alone: added there and gone
 * from the old one. It stops at the first `/status` answer (polled every 5 ms over loopback) whose
 * holders are exactly the new holder; and, for the baseline, at the end of the first probe round
 * that found the same.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ClusterDescription, ClusterNodeDescription } from '../test/cluster/index.js';
import { KEEPALIVED_TEST_IMAGE, dockerOf, waitFor } from '../test/cluster/index.js';
import { containersOnNodes, killKeepalived, vipYaml } from '../test/e2e/reconciler-harness.js';
import { dockerClientFor } from '../src/adapters/docker/connect.js';
import { DockerNodeRuntime } from '../src/adapters/docker/node-runtime.js';
import { HolderMonitor, holderSegments, nowMs } from './holder-monitor.js';

export type HandOverKind = 'stop' | 'sigkill';

/**
 * One hand-over: kernel → `/status`, kernel → Docker's timestamp of the new holder's MASTER
 * report line (the part spent in the container: keepalived's notify hook), and kernel → the 5 s
 * exec probe (undefined: never seen).
 */
export interface HandOver {
  kind: HandOverKind;
  from: string;
  to: string;
  /** The 5 s exec probe ran beside the daemon during this hand-over. */
  probeBeside: boolean;
  statusMs: number;
  reportMs: number | undefined;
  baselineMs: number | undefined;
}

/** The old health probe's interval: what a user waited for before. */
export const PROBE_INTERVAL_MS = 5000;
const VIP = 'evlag';
/** Bound on one wait of a trial (a hand-over, a restart, a probe round). */
const STEP_TIMEOUT_MS = 20_000;

/** A runtime for one node, as the daemon builds it (the bench's own clients). */
export function benchRuntime(node: ClusterNodeDescription): DockerNodeRuntime {
  return new DockerNodeRuntime(
    node.name,
    dockerClientFor(node.name, { url: node.dockerUrl }, 10_000),
    dockerClientFor(node.name, { url: node.dockerUrl }, undefined),
    {
      probeTimeoutMs: 5000,
      stopTimeoutSeconds: 10,
      startWaitMs: 5000,
      events: { reconnect: { baseMs: 500, maxMs: 5000 } },
    },
  );
}

/** One round of the old health probe: what it would have shown as the VIP's holders, and when. */
interface ProbeRound {
  startMs: number;
  endMs: number;
  holders: string[];
}

/**
 * What the daemon did before events: every 5 s, list each node's managed containers and
 * `docker exec` a probe in every running one; a node holds the VIP when the probe of its
 * container of the VIP finds the address on the node's interfaces.
 */
class ExecProbePoller {
  readonly rounds: ProbeRound[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly runtimes: DockerNodeRuntime[];
  private startedAtMs = 0;

  constructor(
    cluster: ClusterDescription,
    private readonly address: string,
  ) {
    this.runtimes = cluster.nodes.map(benchRuntime);
  }

  start(): void {
    this.startedAtMs = nowMs();
    this.timer = setInterval(() => void this.round().catch(() => undefined), PROBE_INTERVAL_MS);
  }

  /** When the next round begins. */
  nextRoundMs(): number {
    const elapsed = nowMs() - this.startedAtMs;
    return this.startedAtMs + Math.ceil(elapsed / PROBE_INTERVAL_MS) * PROBE_INTERVAL_MS;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async round(): Promise<void> {
    const startMs = nowMs();
    const holders = await Promise.all(
      this.runtimes.map(async (runtime) => {
        const { managed } = await runtime.listContainers();
        const probes = await Promise.all(
          managed
            .filter((c) => c.running)
            .map(async (c) => ({
              vip: c.vip,
              held: (await runtime.probe(c.id, [this.address]).catch(() => undefined))?.heldAddresses ?? [],
            })),
        );
        return probes.some((p) => p.vip === VIP && p.held.length > 0) ? [runtime.node] : [];
      }),
    );
    this.rounds.push({ startMs, endMs: nowMs(), holders: holders.flat().sort() });
  }
}

/** The first `/status` answer (polled every 5 ms) that shows one holder of the VIP, not `from`. */
async function firstStatusShowingAnother(
  url: string,
  from: string,
  timeoutMs: number,
): Promise<{ atMs: number; holder: string }> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 5 && Date.now() < deadline; i++) {
    const body = (await (await fetch(url)).json()) as { vips: { vip: string; holders: string[] }[] };
    const answeredMs = nowMs();
    const [holder, ...more] = body.vips.find((v) => v.vip === VIP)?.holders ?? [];
    if (holder !== undefined && holder !== from && more.length === 0) return { atMs: answeredMs, holder };
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`/status did not show ${VIP} held by one node other than ${from} within ${timeoutMs} ms`);
}

/** Docker's timestamp (epoch ms) of the MASTER report line that `node`'s keepalived printed since `sinceMs`. */
async function masterReportMs(
  cluster: ClusterDescription,
  node: string,
  sinceMs: number,
): Promise<number | undefined> {
  const where = cluster.nodes.find((n) => n.name === node);
  const container = (await containersOnNodes(cluster, `keepalived-${VIP}`)).find((c) => c.node === node);
  if (!where || !container) return undefined;
  const raw = await dockerOf(where)
    .getContainer(container.id)
    .logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(sinceMs / 1000) });
  // Docker stamps each line in RFC 3339 with nanoseconds: keep the milliseconds and below.
  const stamps = raw
    .toString('utf8')
    .split('\n')
    .filter((line) => line.includes('swarm-vip:state MASTER'))
    .map((line) => /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z/.exec(line))
    .map((m) => (m?.[1] ? Date.parse(`${m[1]}Z`) + Number(m[2] ?? 0) * 1000 : NaN))
    .filter((atMs) => atMs >= sinceMs);
  return stamps[0];
}

/**
 * Docker's restart policy doubles its delay (from 100 ms) each time a container it restarted ends
 * within 10 s of starting; a SIGKILL every few seconds would leave it waiting for seconds, not
 * part of VRRP. Waits until the container has run 10 s since its latest start.
 */
async function restartPolicyRested(node: ClusterNodeDescription, containerId: string): Promise<void> {
  const startedMs = Date.parse((await dockerOf(node).getContainer(containerId).inspect()).State.StartedAt);
  const waitMs = Number.isFinite(startedMs) ? startedMs + 10_500 - Date.now() : 0;
  if (waitMs > 0) await new Promise((r) => setTimeout(r, Math.min(waitMs, 11_000)));
}

/** Ends the holder's keepalived: a graceful stop of its container, or SIGKILL of its processes. */
async function handOver(
  kind: HandOverKind,
  node: ClusterNodeDescription,
  containerId: string,
): Promise<void> {
  const container = dockerOf(node).getContainer(containerId);
  switch (kind) {
    case 'stop':
      await container.stop({ t: 10 });
      return;
    case 'sigkill':
      return killKeepalived(dockerOf(node), containerId);
    default: {
      const unknown: never = kind;
      throw new Error(`unknown hand-over ${String(unknown)}`);
    }
  }
}

/** What one trial needs: the cluster, the VIP's address, the daemon's /status, the kernel's record. */
interface TrialContext {
  cluster: ClusterDescription;
  address: string;
  statusUrl: string;
  monitor: HolderMonitor;
}

async function runningKeepaliveds(cluster: ClusterDescription) {
  return (await containersOnNodes(cluster, `keepalived-${VIP}`)).filter(
    (c) => c.running && c.name === `keepalived-${VIP}`,
  );
}

/**
 * One hand-over of `kind`, once the previous one is over. With a `poller` (the baseline beside),
 * it happens `offsetMs` into the probe's period and waits (bounded) for the probe to see it.
 */
async function trial(
  ctx: TrialContext,
  kind: HandOverKind,
  probe?: { poller: ExecProbePoller; offsetMs: number },
): Promise<HandOver> {
  const { cluster, address, monitor } = ctx;
  // Every keepalived back and past start-up, the VIP on one node: the previous trial is over.
  await waitFor(async () => (await runningKeepaliveds(cluster)).length === 3, {
    timeoutMs: STEP_TIMEOUT_MS,
    intervalMs: 200,
    description: `${VIP} running on three nodes`,
  });
  await new Promise((r) => setTimeout(r, 1500));
  const [from] = monitor.holders(address);
  const fromNode = cluster.nodes.find((n) => n.name === from);
  const holder = (await runningKeepaliveds(cluster)).find((c) => c.node === from);
  if (!from || !fromNode || !holder || monitor.holders(address).length !== 1) {
    throw new Error(`${VIP} is not held by one node: ${monitor.holders(address).join()}`);
  }
  if (kind === 'sigkill') await restartPolicyRested(fromNode, holder.id);
  if (probe) {
    await new Promise((r) =>
      setTimeout(r, Math.max(0, probe.poller.nextRoundMs() + probe.offsetMs - nowMs())),
    );
  }
  const startMs = nowMs();
  const shown = firstStatusShowingAnother(ctx.statusUrl, from, STEP_TIMEOUT_MS);
  shown.catch(() => undefined);
  await handOver(kind, fromNode, holder.id);
  // nopreempt: the highest priority among the others should take over, but under load a lower
  // one's timer may fire first; whoever holds it alone is the new holder.
  const alone1 = (): boolean => {
    const now = monitor.holders(address);
    return now.length === 1 && now[0] !== from;
  };
  await monitor.until(alone1, STEP_TIMEOUT_MS, `${address} on one node other than ${from}`);
  const to = monitor.holders(address)[0] ?? '';
  const { atMs: statusAtMs, holder: shownHolder } = await shown;
  if (shownHolder !== to) throw new Error(`/status showed ${shownHolder} alone while the kernel had ${to}`);
  const alone = holderSegments(monitor.events, address, startMs, nowMs(), { reachableOnly: false }).find(
    (s) => s.holders.join() === to,
  );
  if (!alone) throw new Error(`no stretch with ${to} alone after the hand-over`);
  // The first round to end after the change that found it (one that began before may have
  // probed the nodes after it: the old daemon would have shown it then).
  const baselineAt = probe
    ? await waitFor(
        () => probe.poller.rounds.find((r) => r.endMs > alone.fromMs && r.holders.join() === to),
        {
          timeoutMs: PROBE_INTERVAL_MS * 3,
          intervalMs: 50,
          description: 'the 5 s probe to see the new holder',
        },
      ).catch(() => undefined)
    : undefined;
  const reported = await masterReportMs(cluster, to, startMs);
  return {
    kind,
    from,
    to,
    probeBeside: probe !== undefined,
    statusMs: statusAtMs - alone.fromMs,
    reportMs: reported === undefined ? undefined : reported - alone.fromMs,
    baselineMs: baselineAt ? baselineAt.endMs - alone.fromMs : undefined,
  };
}

/**
 * Hand-overs of a VIP of its own, declared in `manifests` (the daemon serving `statusUrl` follows
 * that directory), stop and sigkill in turn: one to warm up (not kept), `2 × trials` with the
 * daemon alone (its figure), then `2 × trials` with the 5 s exec probe running beside it (the
 * baseline's figure; a probe round is 30-odd `docker exec`s at once, which slow everything on
 * the machine, so the daemon's figure is taken without it). The latter are spread evenly over the
 * probe's period, so the baseline is not tied to the trials' own rhythm. Hand-overs measured
 * before a failure are kept in `out`.
 */
export async function holderLagPhase(
  cluster: ClusterDescription,
  manifests: string,
  statusUrl: string,
  trials: number,
  out: HandOver[],
  log: (m: string) => void,
): Promise<void> {
  const [n1, n2, n3] = cluster.nodes;
  const address = cluster.spareIpv4[19];
  if (!n1 || !n2 || !n3 || !address) throw new Error('three nodes and a spare address needed');
  await writeFile(
    path.join(manifests, `${VIP}.yaml`),
    vipYaml({
      name: VIP,
      address: `${address}/${cluster.ipv4PrefixLength}`,
      image: KEEPALIVED_TEST_IMAGE,
      priorities: { [n1.name]: 200, [n2.name]: 100, [n3.name]: 50 },
      preempt: false,
    }),
  );
  const monitor = await HolderMonitor.start(cluster, [address]);
  const poller = new ExecProbePoller(cluster, address);
  const ctx: TrialContext = { cluster, address, statusUrl, monitor };
  const kindOf = (t: number): HandOverKind => (t % 2 === 0 ? 'stop' : 'sigkill');
  const keep = (entry: HandOver): void => {
    out.push(entry);
    log(`hand-over ${out.length}: ${JSON.stringify(entry)}`);
  };
  try {
    await waitFor(
      async () => (await runningKeepaliveds(cluster)).length === 3 && monitor.holders(address).length === 1,
      { timeoutMs: 60_000, intervalMs: 500, description: `${VIP} running on three nodes and held by one` },
    );
    log(`warm-up hand-over (not kept): ${JSON.stringify(await trial(ctx, 'stop'))}`);
    for (let t = 0; t < trials * 2; t++) keep(await trial(ctx, kindOf(t)));
    poller.start();
    for (let t = 0; t < trials * 2; t++) {
      const offsetMs = ((t + 0.5) * PROBE_INTERVAL_MS) / (trials * 2);
      keep(await trial(ctx, kindOf(t), { poller, offsetMs }));
    }
  } finally {
    poller.stop();
    await monitor.stop();
  }
}
