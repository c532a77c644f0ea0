import type Docker from 'dockerode';
import { EMPTY, defer, filter, firstValueFrom, map, switchMap, timeout, of, type Observable } from 'rxjs';
import {
  REMOVAL_SKIPPED_MASTER,
  REMOVED_LINE,
  addressRemovalCommand,
} from '../../core/address-removal-command.js';
import type { RemovalRoute } from '../../core/address-removal-route.js';
import {
  parseContainerReport,
  type ContainerReport,
  type LoggedRejection,
} from '../../core/container-reports.js';
import {
  LABEL_MANAGED,
  LABEL_SPEC_HASH,
  LABEL_VIP,
  type ActualContainer,
  type DesiredContainer,
  type ForeignKeepalived,
} from '../../core/types.js';
import { canonicalAddress, parseIpAddress } from '../../core/ip-address.js';
import { REPORT_ADDRESSES, REPORT_STATE, STATE_FILE_PATH } from '../../core/container-layout.js';
import { fileEnvironment } from '../../core/container-command.js';
import { EndpointError, describeError } from '../../errors.js';
import type {
  AddressRemoval,
  CreateOptions,
  NodeEvent,
  NodeRuntime,
  PriorityReload,
  VrrpProbe,
} from '../../ports.js';
import {
  PRIORITY_NOT_READY,
  PRIORITY_RELOADED,
  PRIORITY_STATE_LINE,
  PRIORITY_UNCHANGED,
  priorityReloadCommand,
} from '../../core/priority-reload-command.js';
import type { HandRunKeepalived } from '../../core/import-keepalived.js';
import { containerArchive } from './container-archive.js';
import { acceptsConnections, listenerOf } from './engine-listener.js';
import { handRunFacts } from './hand-run-env.js';
import { addressesInIpOutput, execOutput, execResult } from './exec-output.js';
import { keepalivedHostConfig } from './keepalived-host-config.js';
import { containerReports } from './keepalived-log-stream.js';
import { nodeEvents, type EventStreamOptions } from './node-events.js';

export interface DockerRuntimeOptions {
  /** Bound on one probe (docker exec). */
  probeTimeoutMs: number;
  /** Seconds Docker waits after SIGTERM before SIGKILL when stopping a container. */
  stopTimeoutSeconds: number;
  /** How long create() waits for keepalived to report a VRRP state before it returns anyway. */
  startWaitMs: number;
  events: EventStreamOptions;
}

const VRRP_STATES = new Set(['MASTER', 'BACKUP', 'FAULT', 'STOP']);

/** Marks short-lived helper containers (address removal): never managed, never foreign. */
export const LABEL_HELPER = 'swarm-vip.helper';

/**
 * Bound on the log lines read for dropped adverts: a foreign router at keepalived's shortest
 * interval (0.01 s) still leaves hundreds within the window, and the latest is what counts.
 */
const REJECTION_LOG_LINES = 500;

/** How much of each of a container's last log lines a reason quotes. */
const LOG_LINE_MAX_CHARS = 200;

/** swarm-vip's view of one node's Docker engine (see NodeRuntime). */
export class DockerNodeRuntime implements NodeRuntime {
  /**
   * @param docker client for API calls, each bounded by a timeout
   * @param eventsDocker client for the event stream: the same engine, but without a timeout, which
   *   would cut a quiet stream every few seconds
   */
  constructor(
    readonly node: string,
    private readonly docker: Docker,
    private readonly eventsDocker: Docker,
    private readonly options: DockerRuntimeOptions,
  ) {}

  async listContainers(): Promise<{ managed: ActualContainer[]; foreign: ForeignKeepalived[] }> {
    const list = await this.call('list containers', () => this.docker.listContainers({ all: true }));
    const managed = list.filter((c) => c.Labels[LABEL_MANAGED] === 'true');
    const foreign = list.filter(
      (c) =>
        c.Labels[LABEL_MANAGED] !== 'true' &&
        c.Labels[LABEL_HELPER] !== 'true' &&
        /keepalived/i.test(`${c.Image} ${c.Command}`),
    );
    return {
      managed: managed.map((c) => ({
        id: c.Id,
        name: containerName(c),
        node: this.node,
        vip: c.Labels[LABEL_VIP] ?? '',
        specHash: c.Labels[LABEL_SPEC_HASH] ?? '',
        running: c.State === 'running',
        ...(c.State === 'removing' ? { removing: true } : {}),
        createdAtMs: c.Created * 1000,
      })),
      foreign: await Promise.all(foreign.map((c) => this.describeForeign(c))),
    };
  }

  async handRunKeepalived(): Promise<HandRunKeepalived[]> {
    const { foreign } = await this.listContainers();
    return Promise.all(
      foreign.map(async (c) => {
        const info = await this.call('inspect', () => this.docker.getContainer(c.id).inspect());
        return {
          node: this.node,
          container: c.name,
          image: info.Config.Image ?? c.image,
          running: c.running,
          ...handRunFacts(info.Config.Env ?? []),
        };
      }),
    );
  }

  /** Only the environment tells what a hand-run keepalived claims: one inspect per such container. */
  private async describeForeign(c: Docker.ContainerInfo): Promise<ForeignKeepalived> {
    const info = await this.call('inspect', () => this.docker.getContainer(c.Id).inspect());
    return {
      id: c.Id,
      name: containerName(c),
      node: this.node,
      image: c.Image,
      running: c.State === 'running',
      addresses: declaredAddresses(info.Config.Env ?? []),
    };
  }

  async create(desired: DesiredContainer, options: CreateOptions = {}): Promise<void> {
    await this.refuseIfStopping(`create ${desired.name}`);
    // Files without secrets ride in the create request; others go in before the first start, the
    // archive built while the engine creates.
    const [container, archive] = await Promise.all([
      this.createContainer(desired),
      desired.fileDelivery === 'archive' ? containerArchive(desired.files) : undefined,
    ]);
    if (archive !== undefined) {
      await this.call(`put files into ${desired.name}`, () => container.putArchive(archive, { path: '/' }));
    }
    await this.start(container.id);
    if (options.awaitVrrp ?? true) await this.waitForVrrpState(container.id, desired);
    if (options.takeOverWithinMs !== undefined)
      await masterWithin(this.reports(container.id), options.takeOverWithinMs);
  }

  async reloadWithPriority(
    name: string,
    priority: number,
    options: { awaitMasterWithinMs?: number } = {},
  ): Promise<PriorityReload> {
    const info = await this.call(`inspect ${name}`, () => this.docker.getContainer(name).inspect());
    if (info.Config.Labels?.[LABEL_MANAGED] !== 'true') {
      throw new EndpointError(
        'docker-api',
        this.node,
        `${name} is not a managed container (no ${LABEL_MANAGED}=true); not reloading it`,
      );
    }
    if (!info.State.Running) {
      throw new EndpointError('container-failed', this.node, `${name} is not running; cannot reload it`);
    }
    const reload = () =>
      this.call(`reload ${name}`, () =>
        execResult(this.docker, info.Id, priorityReloadCommand(priority), this.options.probeTimeoutMs),
      );
    // Reports from this second on: the MASTER report may come before we listen.
    let sinceSeconds = Math.floor(Date.now() / 1000);
    let result = await reload();
    if (result.exitCode === PRIORITY_NOT_READY) {
      // Still starting: once more after its first state report (bounded like a create's wait).
      await this.stateReported(info.Id);
      sinceSeconds = Math.floor(Date.now() / 1000);
      result = await reload();
    }
    const lines = printable(Buffer.from(result.output)).trim().split('\n');
    const last = lines.at(-1);
    if (result.exitCode !== 0 || (last !== PRIORITY_RELOADED && last !== PRIORITY_UNCHANGED)) {
      throw new EndpointError(
        'docker-api',
        this.node,
        `reloading ${name} with priority ${priority} failed (exit ${result.exitCode}): ${lines.join(' | ').slice(0, 300)}`,
      );
    }
    const reloaded = last === PRIORITY_RELOADED;
    if (options.awaitMasterWithinMs === undefined) return { reloaded };
    if (lines.includes(`${PRIORITY_STATE_LINE}MASTER`)) return { reloaded, master: true };
    const reports = containerReports(this.eventsDocker, info.Id, sinceSeconds);
    return { reloaded, master: await masterWithin(reports, options.awaitMasterWithinMs) };
  }

  async start(containerId: string): Promise<void> {
    await this.refuseIfStopping(`start ${containerId.slice(0, 12)}`);
    await this.call(
      `start ${containerId.slice(0, 12)}`,
      () => this.docker.getContainer(containerId).start(),
      [304],
    );
    const info = await this.call('inspect', () => this.docker.getContainer(containerId).inspect());
    if (!info.State.Running) {
      const logs = await this.logTail(containerId);
      throw new EndpointError(
        'container-failed',
        this.node,
        `${info.Name.replace(/^\//, '')} exited at once (code ${info.State.ExitCode}): ${logs}`,
      );
    }
  }

  /**
   * Refuses to start a keepalived on an engine that takes no new connections: it is shutting down
   * (see engine-listener.ts), and what it still starts over an old connection it will not stop.
   */
  private async refuseIfStopping(what: string): Promise<void> {
    const listener = listenerOf(this.docker);
    if (!listener) return;
    if ((await acceptsConnections(listener, this.options.probeTimeoutMs)) !== false) return;
    throw new EndpointError(
      'endpoint-unreachable',
      this.node,
      `${what}: the engine accepts no new connections (shutting down?); not starting keepalived there`,
    );
  }

  /**
   * SIGTERM first: keepalived then sends priority 0 and drops the VIP at once (a SIGKILL would
   * leave the address on this node while another node takes it). keepalived 2.x then idles about
   * a second before it exits (measured: 1.0 s from "Stopping" to "Stopped", with or without
   * notify scripts), which is what made each rollout step take 1.1 s. Its STOP notify, which runs
   * after it has released the VIP, tells that nothing is left to wait for: the container is then
   * removed by force. Without that report, the wait is bounded by the stop timeout.
   */
  async remove(containerId: string): Promise<void> {
    const container = this.docker.getContainer(containerId);
    const short = containerId.slice(0, 12);
    const sinceSeconds = Math.floor(Date.now() / 1000);
    const released = firstValueFrom(
      containerReports(this.eventsDocker, containerId, sinceSeconds).pipe(
        filter((r) => r.kind === 'state' && r.state === 'STOP'),
        timeout({ first: this.options.stopTimeoutSeconds * 1000, with: () => of(undefined) }),
      ),
      { defaultValue: undefined },
    ).catch(() => undefined);
    const signalled = await this.call(
      `stop ${short}`,
      () => container.kill({ signal: 'SIGTERM' }).then(() => true),
      [404, 409],
    );
    if (signalled) await released;
    await this.call(`remove ${short}`, () => container.remove({ force: true }), [404]);
  }

  reports(containerId: string): Observable<ContainerReport> {
    return defer(() => this.docker.getContainer(containerId).inspect()).pipe(
      switchMap((info) => {
        // A container that has stopped meanwhile (a listing can lag its `die` event), or waits for
        // its restart policy (Docker says Running and Restarting then), has nothing to report:
        // replaying its last run would show a dead keepalived's last word (MASTER).
        if (!info.State.Running || info.State.Restarting) return EMPTY;
        // From the latest start on: earlier runs' reports say nothing about now. Docker takes
        // fractional seconds: a whole second would replay a restarted container's previous run.
        const startedMs = Date.parse(info.State.StartedAt);
        const since = Number.isFinite(startedMs) ? startedMs / 1000 : 0;
        return containerReports(this.eventsDocker, containerId, since);
      }),
    );
  }

  async removeAddresses(addresses: readonly string[], route: RemovalRoute): Promise<AddressRemoval> {
    // Only the VIP's own container knows its keepalived's state; a sibling's is another VIP's.
    const argv = addressRemovalCommand(addresses, { unlessMaster: route.kind === 'own' });
    const result =
      route.kind === 'helper'
        ? await this.runHelper(route.image, argv)
        : await this.call('remove address', () =>
            execResult(this.docker, route.containerId, argv, this.options.probeTimeoutMs),
          );
    if (result.exitCode !== 0 && result.exitCode !== REMOVAL_SKIPPED_MASTER) {
      throw new EndpointError(
        'docker-api',
        this.node,
        `removing ${addresses.join(', ')} failed (exit ${result.exitCode}): ${result.output.trim().slice(0, 300)}`,
      );
    }
    return {
      removed: result.output
        .split('\n')
        .filter((l) => l.startsWith(REMOVED_LINE))
        .map((l) => l.slice(REMOVED_LINE.length).trim()),
      skippedMaster: result.exitCode === REMOVAL_SKIPPED_MASTER,
    };
  }

  async readAddresses(image: string): Promise<string[]> {
    const result = await this.runHelper(image, ['ip', '-o', 'addr', 'show']);
    if (result.exitCode !== 0) {
      throw new EndpointError(
        'docker-api',
        this.node,
        `reading the node's addresses failed (exit ${result.exitCode}): ${result.output.trim().slice(0, 300)}`,
      );
    }
    return [...new Set(addressesInIpOutput(result.output).map(normalizeAddress))];
  }

  /** Runs argv once in a throw-away container of `image` with the node's network and NET_ADMIN. */
  private async runHelper(image: string, argv: string[]): Promise<{ exitCode: number; output: string }> {
    const container = await this.call('create helper', () =>
      this.docker.createContainer({
        Image: image,
        Entrypoint: [],
        Cmd: argv,
        Labels: { [LABEL_HELPER]: 'true' },
        HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'] },
      }),
    );
    try {
      await this.call('start helper', () => container.start());
      const waited = (await this.call('wait helper', () => container.wait())) as { StatusCode?: number };
      const raw = await this.call('helper logs', () => container.logs({ stdout: true, stderr: true }));
      return { exitCode: waited.StatusCode ?? -1, output: printable(raw) };
    } finally {
      await this.removeHelper(container);
    }
  }

  /** A container that has only just exited may refuse removal for a moment (409): retry, bounded. */
  private async removeHelper(container: Docker.Container): Promise<void> {
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const error = await container.remove({ force: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (error === undefined || statusOf(error) === 404) return;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }

  async probe(containerId: string, addresses: readonly string[]): Promise<VrrpProbe> {
    const output = await this.call('probe', () =>
      execOutput(
        this.docker,
        containerId,
        ['sh', '-c', `cat ${STATE_FILE_PATH} 2>/dev/null; echo; echo ---; ip -o addr show 2>/dev/null`],
        this.options.probeTimeoutMs,
      ),
    );
    const [statePart = '', addrPart = ''] = output.split('---');
    const word = statePart.trim().split(/\s+/).pop() ?? '';
    const present = new Set(addressesInIpOutput(addrPart).map(normalizeAddress));
    return {
      state: VRRP_STATES.has(word) ? (word as VrrpProbe['state']) : 'UNKNOWN',
      heldAddresses: addresses.filter((a) => present.has(normalizeAddress(a))),
    };
  }

  events(): Observable<NodeEvent> {
    return nodeEvents(this.node, this.eventsDocker, this.options.events);
  }

  private async createContainer(desired: DesiredContainer): Promise<Docker.Container> {
    const request: Docker.ContainerCreateOptions = {
      name: desired.name,
      Image: desired.image,
      Entrypoint: [],
      Cmd: [...desired.command],
      Env: desired.fileDelivery === 'environment' ? fileEnvironment(desired.files) : [],
      Labels: { ...desired.labels },
      StopSignal: 'SIGTERM',
      HostConfig: keepalivedHostConfig(),
    };
    try {
      return await this.docker.createContainer(request);
    } catch (error) {
      if (statusOf(error) === 404) {
        await this.pull(desired.image);
        return this.call(`create ${desired.name}`, () => this.docker.createContainer(request));
      }
      if (statusOf(error) === 409 && (await this.awaitRemovalOf(desired.name))) {
        return this.call(`create ${desired.name}`, () => this.docker.createContainer(request));
      }
      if (statusOf(error) === 409) {
        throw new EndpointError(
          'name-taken',
          this.node,
          `a container named ${desired.name} already exists and is not the one swarm-vip expects; ` +
            `remove or rename it (swarm-vip never touches containers without ${LABEL_MANAGED}=true)`,
          { cause: error },
        );
      }
      throw this.wrap(`create ${desired.name}`, error);
    }
  }

  /**
   * When the container holding `name` is being removed (`docker rm -f`), waits until it is gone
   * (bounded by the request timeout) and says so: the name is free then. False when a container
   * that stays holds the name.
   */
  private async awaitRemovalOf(name: string): Promise<boolean> {
    const holder = this.docker.getContainer(name);
    const info = await holder
      .inspect()
      .catch((error: unknown) => (statusOf(error) === 404 ? 'gone' : undefined));
    if (info === 'gone') return true;
    if (info?.State.Status !== 'removing') return false;
    await this.call(`wait for ${name} to be removed`, () => holder.wait({ condition: 'removed' }), [404]);
    return true;
  }

  private async pull(image: string): Promise<void> {
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    } catch (cause) {
      throw new EndpointError(
        'image-missing',
        this.node,
        `image ${image} is not on the node and cannot be pulled`,
        {
          cause,
        },
      );
    }
  }

  /**
   * A rollout may take the VIP's holder down right after this returns, so the new keepalived
   * should already take part in VRRP: wait (bounded) until it reports a state.
   */
  private async waitForVrrpState(containerId: string, desired: DesiredContainer): Promise<void> {
    if (await this.stateReported(containerId)) return;
    const info = await this.call('inspect', () => this.docker.getContainer(containerId).inspect());
    if (!info.State.Running) {
      throw new EndpointError(
        'container-failed',
        this.node,
        `${desired.name} stopped: ${await this.logTail(containerId)}`,
      );
    }
  }

  /**
   * Whether keepalived reports a VRRP state since the container's latest start, waiting at most
   * `startWaitMs`. Its first notify (BACKUP at start) arrives on the log stream: no exec, no polling.
   */
  private async stateReported(containerId: string): Promise<boolean> {
    const reported = await firstValueFrom(
      this.reports(containerId).pipe(
        filter((r) => r.kind === 'state'),
        timeout({ first: this.options.startWaitMs, with: () => of(undefined) }),
      ),
      { defaultValue: undefined },
    ).catch(() => undefined);
    return reported !== undefined;
  }

  recentLogs(containerId: string): Promise<string> {
    return this.logTail(containerId);
  }

  async recentRejection(containerId: string, withinMs: number): Promise<LoggedRejection | undefined> {
    // `since` is read against the engine's clock: a node whose clock is off by seconds widens or
    // narrows the window by as much (the daemon, which follows the log, has no such window).
    const since = Math.floor((Date.now() - withinMs) / 1000);
    const raw = await this.call('logs', () =>
      this.docker
        .getContainer(containerId)
        .logs({ stdout: true, stderr: true, since, tail: REJECTION_LOG_LINES, timestamps: true }),
    );
    let latest: LoggedRejection | undefined;
    for (const stamped of demuxFrames(raw).toString('utf8').split('\n')) {
      // Each line starts with the engine's RFC 3339 time (nanoseconds) and a space.
      const space = stamped.indexOf(' ');
      const atMs = Date.parse(stamped.slice(0, space).replace(/(\.\d{3})\d*/, '$1'));
      const report = parseContainerReport(stamped.slice(space + 1));
      if (report?.kind === 'rejected-advert' && Number.isFinite(atMs)) latest = { ...report, atMs };
    }
    return latest;
  }

  /**
   * The last lines a person would read: the report lines (for the reconciler, long and frequent)
   * are left out, so more are fetched than shown.
   */
  private async logTail(containerId: string): Promise<string> {
    try {
      const raw = await this.docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: 40 });
      const lines = printable(demuxFrames(raw))
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith(REPORT_STATE) && !l.startsWith(REPORT_ADDRESSES));
      // Bounded: a reason that carries them is kept in memory, recorded and shown.
      return lines
        .slice(-5)
        .map((l) => (l.length > LOG_LINE_MAX_CHARS ? `${l.slice(0, LOG_LINE_MAX_CHARS)}...` : l))
        .join(' | ');
    } catch (error) {
      return `(logs unavailable: ${describeError(error)})`;
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>, okStatuses: number[] = []): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (okStatuses.includes(statusOf(error) ?? -1)) return undefined as T;
      throw this.wrap(what, error);
    }
  }

  private wrap(what: string, error: unknown): EndpointError {
    if (error instanceof EndpointError) return error;
    const code = statusOf(error) === undefined ? 'endpoint-unreachable' : 'docker-api';
    return new EndpointError(code, this.node, `${what}: ${describeError(error)}`, { cause: error });
  }
}

/**
 * The payload of Docker's multiplexed log frames (a container without a TTY): each frame is an
 * 8-byte header (stream, 0, 0, 0, big-endian length) and its bytes. Left in, a header's length
 * byte can be a printable character that lands before a line. Anything that is not a well-formed
 * frame is passed through as it is (a TTY container's raw output).
 */
export function demuxFrames(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const stream = raw[offset];
    if ((stream !== 0 && stream !== 1 && stream !== 2) || raw.readUIntBE(offset + 1, 3) !== 0) {
      return offset === 0 ? raw : Buffer.concat([...parts, raw.subarray(offset)]);
    }
    const length = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return offset === 0 ? raw : Buffer.concat(parts);
}

/** Printable text is what a person needs. */
function printable(raw: Buffer): string {
  return raw.toString('utf8').replace(/[^\x20-\x7e\n]/g, '');
}

/** Whether a MASTER report arrives within `withinMs`; a timeout or a lost stream is no error. */
function masterWithin(reports: Observable<ContainerReport>, withinMs: number): Promise<boolean> {
  return firstValueFrom(
    reports.pipe(
      filter((r) => r.kind === 'state' && r.state === 'MASTER'),
      map(() => true),
      timeout({ first: withinMs, with: () => of(false) }),
    ),
    { defaultValue: false },
  ).catch(() => false);
}

function containerName(c: Docker.ContainerInfo): string {
  return (c.Names[0] ?? c.Id).replace(/^\//, '');
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * The addresses a hand-run keepalived declares in KEEPALIVED_VIRTUAL_IPS, the variable of the
 * widespread osixia/keepalived recipe (`192.168.4.3`, or `#PYTHON2BASH:['a', 'b']`).
 */
export function declaredAddresses(env: readonly string[]): string[] {
  const value = env
    .find((e) => e.startsWith('KEEPALIVED_VIRTUAL_IPS='))
    ?.slice('KEEPALIVED_VIRTUAL_IPS='.length);
  const found: string[] = [];
  for (const token of value?.match(/[0-9a-fA-F:.]{3,}/g) ?? []) {
    const parsed = parseIpAddress(token);
    if (parsed) found.push(canonicalAddress(parsed));
  }
  return found;
}

function normalizeAddress(address: string): string {
  const parsed = parseIpAddress(address);
  return parsed ? canonicalAddress(parsed) : address;
}
