/**
 * Drives the real reconciler CLI (a child process, as an operator runs it) against the test
 * cluster, and reads what a user would see: containers on each node, who holds an address, logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { removeRecordTemps } from '../../src/adapters/json-record-file.js';
import { lockSideFiles } from '../../src/cli/compose.js';
import type { ClusterDescription, ClusterNodeDescription } from '../cluster/description.js';
import { KEEPALIVED_TEST_IMAGE, dockerOf, keepalivedPids, managerOf, waitFor } from '../cluster/index.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cliEntry = path.join(repo, 'src/cli/main.ts');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for every reconciler run: DOCKER_HOST points nowhere usable, to prove it is ignored. */
function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:9', FORCE_COLOR: '0', ...extra };
}

/**
 * Runs `reconciler <args>` to completion (bounded) and returns its exit code and output. With
 * `netns` it runs inside that network namespace (e.g. the hub, to reach the nodes' tcp endpoints).
 */
export function runCli(
  args: readonly string[],
  timeoutMs = 60_000,
  { netns }: { netns?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const argv = [process.execPath, '--import', 'tsx', cliEntry, ...args];
    const [command, ...rest] = netns ? ['nsenter', `--net=/run/netns/${netns}`, ...argv] : argv;
    const child = spawn(command ?? process.execPath, rest, { cwd: repo, env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reconciler ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The messages that close a pass (see runPass). */
const PASS_END = new Set(['converged, nothing to do', 'pass applied']);

/** The reconciler in watch mode, with its JSON log lines collected as they come. */
export class RunningReconciler {
  readonly logs: LogLine[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private stderrTail = '';

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', cliEntry, '--log-format', 'json', ...args], {
      cwd: repo,
      env: cliEnv(),
    });
    let buffered = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) this.take(line);
    });
    this.child.stdout?.resume();
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  private take(line: string): void {
    this.stderrTail = `${this.stderrTail}\n${line}`.slice(-4000);
    try {
      this.logs.push(JSON.parse(line) as LogLine);
    } catch {
      // Not a log line (e.g. a crash message): kept in stderrTail for failure messages.
    }
  }

  /** Waits (bounded) for a log line matching the predicate, and returns it. */
  async waitForLog(
    predicate: (line: LogLine) => boolean,
    description: string,
    timeoutMs = 30_000,
  ): Promise<LogLine> {
    let found: LogLine | undefined;
    await waitFor(
      () => {
        found = this.logs.find(predicate);
        return found !== undefined;
      },
      { timeoutMs, intervalMs: 100, description: `${description}; stderr tail:${this.stderrTail}` },
    );
    return found as LogLine;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `signal` (SIGKILL: a crash; SIGSTOP/SIGCONT: a freeze) without waiting. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** SIGKILL, as a crash or the OOM killer would, then the exit. */
  async crash(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The `--listen` address, once the reconciler has said it serves (bounded wait). */
  async listenUrl(timeoutMs = 30_000): Promise<string> {
    const line = await this.waitForLog((l) => typeof l.address === 'string', 'the status server', timeoutMs);
    return `http://${String(line.address)}`;
  }

  /** The log line that ends pass `passId` (its summary), once it has been written. */
  waitForPassEnd(passId: unknown, timeoutMs = 30_000): Promise<LogLine> {
    return this.waitForLog(
      (l) => l.pass === passId && PASS_END.has(l.msg),
      `pass ${String(passId)} to finish`,
      timeoutMs,
    );
  }

  /**
   * Proof that a whole pass ran after the log line at `afterIndex`: needs `--log-level debug`
   * (for `pass started`). Returns that pass's closing line.
   */
  async waitForPassAfter(afterIndex: number, timeoutMs = 30_000): Promise<LogLine> {
    const started = await this.waitForLog(
      (l) => l.msg === 'pass started' && this.logs.indexOf(l) > afterIndex,
      'a pass to start',
      timeoutMs,
    );
    return this.waitForPassEnd(started.pass, timeoutMs);
  }

  /** SIGTERM, then the exit code (bounded; SIGKILL after the bound). */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/**
 * A watching reconciler on `dir` with resync and health listing slowed to 10 minutes, so what
 * reacts does so from manifest changes, Docker events and keepalived's own reports; it serves
 * `/status` on a free port, whose URL is `base`.
 */
export async function startEventDrivenDaemon(
  dir: string,
  lockFile: string,
  extraArgs: readonly string[] = [],
): Promise<{ reconciler: RunningReconciler; base: string }> {
  const reconciler = new RunningReconciler([
    '--manifests',
    dir,
    '--resync-interval',
    '10m',
    '--health-interval',
    '10m',
    '--lock-file',
    lockFile,
    '--listen',
    '127.0.0.1:0',
    ...extraArgs,
  ]);
  return { reconciler, base: await reconciler.listenUrl() };
}

/**
 * YAML of the NodeEndpoint of a cluster node: its unix socket, and its address for unicast VRRP
 * (IPv4 unless `family` says 6: a NodeEndpoint carries one address, so IPv6 VIPs need their own).
 */
export function nodeEndpointYaml(node: ClusterNodeDescription, family: 4 | 6 = 4): string {
  return [
    'apiVersion: swarm-vip/v1',
    'kind: NodeEndpoint',
    `metadata: { name: ${node.name} }`,
    'spec:',
    `  docker: ${node.dockerUrl}`,
    `  address: ${family === 4 ? node.ipv4 : node.ipv6}`,
    '',
  ].join('\n');
}

/** A scratch manifest directory with one NodeEndpoint per cluster node. */
export async function manifestDir(cluster: ClusterDescription, family: 4 | 6 = 4): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'swarm-vip-e2e-'));
  for (const node of cluster.nodes) {
    await writeFile(path.join(dir, `node-${node.name}.yaml`), nodeEndpointYaml(node, family));
  }

  return dir;
}

export interface VipOptions {
  name: string;
  address: string;
  priorities: Record<string, number>;
  image: string;
  /** Seconds; `'default'` leaves the field out (the product's default); else 0.1. */
  advertInterval?: number | 'default';
  /** false renders nopreempt: a returning higher-priority node leaves the holder be. */
  preempt?: boolean;
}

/** YAML of a VirtualIP manifest (VRRPv3 at a 0.1 s advert interval keeps hand-overs short). */
export function vipYaml(options: VipOptions): string {
  return [
    'apiVersion: swarm-vip/v1',
    'kind: VirtualIP',
    `metadata: { name: ${options.name} }`,
    'spec:',
    `  addresses: [${options.address}]`,
    ...(options.advertInterval === 'default' ? [] : [`  advertInterval: ${options.advertInterval ?? 0.1}`]),
    `  image: ${options.image}`,
    ...(options.preempt === undefined ? [] : [`  preempt: ${options.preempt}`]),
    '  nodes:',
    ...Object.entries(options.priorities).map(
      ([name, priority]) => `    - { name: ${name}, priority: ${priority} }`,
    ),
    '',
  ].join('\n');
}

/**
 * One test file's VIP: the cluster's spare address `spareIndex` (each file has its own, so files
 * never disturb each other) and a manifest for it with the test image.
 */
export function testVip(cluster: ClusterDescription, name: string, spareIndex: number) {
  const address = cluster.spareIpv4[spareIndex];
  if (!address) throw new Error(`the test cluster has no spare address #${spareIndex}`);
  const cidr = `${address}/${cluster.ipv4PrefixLength}`;
  const yaml = (priorities: Record<string, number>) =>
    vipYaml({ name, address: cidr, priorities, image: KEEPALIVED_TEST_IMAGE });
  return { address, cidr, yaml };
}

export interface SeenContainer {
  node: string;
  id: string;
  name: string;
  running: boolean;
  specHash: string;
  managed: boolean;
}

/** Which nodes a test has taken down on purpose: `containersOnNodes` skips them instead of failing. */
export interface ContainersOnNodesOptions {
  /** Nodes whose engine the test stopped; they must really be unreachable, else the call fails. */
  down?: readonly string[];
}

/**
 * Every container on every node (managed or not), straight from each engine. An engine that does
 * not answer is an error — never "no containers", which would let a removal check pass vacuously —
 * unless the test names the node in `down`; a node named there that does answer is an error too.
 */
export async function containersOnNodes(
  cluster: ClusterDescription,
  namePrefix = '',
  options: ContainersOnNodesOptions = {},
): Promise<SeenContainer[]> {
  const down = new Set(options.down ?? []);
  const perNode = await Promise.all(
    cluster.nodes.map(async (node) => {
      const listing = dockerOf(node).listContainers({ all: true });
      if (down.has(node.name)) {
        const answered = await listing.then(
          () => true,
          () => false,
        );
        if (answered) throw new Error(`${node.name} was said to be down, but its engine answers`);
        return [];
      }
      const list = await listing.catch((error: unknown) => {
        throw new Error(`cannot list containers on ${node.name}: ${String(error)}`, { cause: error });
      });
      return list
        .map((c) => ({
          node: node.name,
          id: c.Id,
          name: (c.Names[0] ?? '').replace(/^\//, ''),
          running: c.State === 'running',
          specHash: c.Labels['swarm-vip.spec-hash'] ?? '',
          managed: c.Labels['swarm-vip.managed'] === 'true',
        }))
        .filter((c) => c.name.startsWith(namePrefix));
    }),
  );
  return perNode.flat().sort((a, b) => a.node.localeCompare(b.node));
}

/** Removes every managed container from every node (stop first, so no VIP is left behind). */
export async function removeManagedContainers(cluster: ClusterDescription): Promise<void> {
  await Promise.all(
    cluster.nodes.map(async (node) => {
      const docker = dockerOf(node);
      const list = await docker.listContainers({ all: true, filters: { label: ['swarm-vip.managed=true'] } });
      for (const c of list) {
        await docker
          .getContainer(c.Id)
          .stop({ t: 5 })
          .catch(() => undefined);
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
      }
    }),
  );
}

interface SwarmNodeSpec {
  ID: string;
  Version: { Index: number };
  Description: { Hostname: string };
  Spec: { Role: string; Availability: string; Labels: Record<string, string> };
}

/** Sets a swarm node's labels (the rest of its spec unchanged), through the cluster's manager. */
export async function setNodeLabels(
  cluster: ClusterDescription,
  hostname: string,
  change: (labels: Record<string, string>) => Record<string, string>,
): Promise<void> {
  const docker = dockerOf(managerOf(cluster));
  const nodes = (await docker.listNodes()) as SwarmNodeSpec[];
  const node = nodes.find((n) => n.Description.Hostname === hostname);
  if (!node) throw new Error(`no swarm node ${hostname}`);
  await docker.getNode(node.ID).update({
    _query: { version: node.Version.Index },
    _body: { ...node.Spec, Labels: change({ ...node.Spec.Labels }) },
  });
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Removes a lock file and the records a reconciler keeps beside it, leaving nothing in /tmp. */
export async function removeLockFile(lockFile: string): Promise<void> {
  const { revisions, crashLoops } = lockSideFiles(lockFile);
  await Promise.all([lockFile, revisions, crashLoops].map((f) => rm(f, { recursive: true, force: true })));
  // A reconciler SIGKILLed by a test may leave a record's write half done.
  await Promise.all([revisions, crashLoops].map((f) => removeRecordTemps(f)));
}

/** One container event as the node's engine recorded it. */
export interface EngineEvent {
  node: string;
  /** Docker's action: create, start, kill, die, stop, destroy, ... */
  action: string;
  container: string;
  /** The container's ID. */
  id: string;
  /** The engine's own timestamp, ms since the epoch (all test nodes share the host clock). */
  timeMs: number;
}

/**
 * The container events each node's engine recorded between two instants (ms since the epoch), in
 * time order: what really ran, and when — not what a plan said would run. An engine remembers its
 * last 256 events of every kind: a long or busy window loses its oldest.
 */
export async function engineEvents(
  cluster: ClusterDescription,
  sinceMs: number,
  untilMs: number,
): Promise<EngineEvent[]> {
  const perNode = await Promise.all(
    cluster.nodes.map(async (node) => {
      // The window is cut here, not by `since`: the engine reads its remembered events from the
      // newest back and stops at the first one older than `since`, and a node made a swarm manager
      // records the cluster's past events (node, service, secret updates) with their old times
      // after newer ones, so with a real `since` it stopped there and left out the containers
      // created before them (leader-election's just-made containers had no create on a node made
      // manager, once earlier tests had left swarm history). With `until`, the engine sends the
      // recorded events and closes the stream.
      const stream = await dockerOf(node).getEvents({
        since: 1,
        until: Math.ceil(untilMs / 1000) + 1,
        filters: { type: ['container'] },
      });
      const text = await new Promise<string>((resolve, reject) => {
        let body = '';
        stream.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        stream.on('end', () => resolve(body));
        stream.on('error', reject);
      });
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map(
          (line) =>
            JSON.parse(line) as {
              Action: string;
              timeNano: number;
              Actor: { ID: string; Attributes: { name?: string } };
            },
        )
        .map((e) => ({
          node: node.name,
          action: e.Action.split(':')[0] ?? e.Action,
          container: e.Actor.Attributes.name ?? '',
          id: e.Actor.ID,
          timeMs: e.timeNano / 1e6,
        }))
        .filter((e) => e.timeMs >= sinceMs && e.timeMs <= untilMs);
    }),
  );
  return perNode.flat().sort((a, b) => a.timeMs - b.timeMs);
}

/**
 * SIGKILLs the keepalived processes (not the container's shell, which then removes the VIP's
 * addresses and exits) of a running container, once keepalived runs in it.
 */
export async function killKeepalived(docker: Docker, id: string): Promise<void> {
  const pids = await waitFor(
    async () => {
      const found = await keepalivedPids((await docker.getContainer(id).inspect()).State.Pid);
      return found.length > 0 ? found : undefined;
    },
    { timeoutMs: 10_000, description: `keepalived running in ${id.slice(0, 12)}` },
  );
  for (const pid of pids) if (pid > 1) process.kill(pid, 'SIGKILL');
}
