/**
 * What `reconciler agent` lets through to its node's Docker engine: a pure allow-list of the
 * Docker API calls the reconciler makes, and nothing else.
 *
 * The boundary is the container: a caller holding the reconciler's credential can create, start,
 * stop, remove, fill (archive), read (inspect, logs) and exec into containers that carry
 * `swarm-vip.managed=true`, and a create must itself describe a keepalived container — host
 * network, at most the capabilities keepalived needs, no privileged mode, no host paths, devices,
 * host namespaces or security overrides. So a stolen credential can disturb the node's network
 * (which keepalived must be allowed to) but cannot read or write the node's disk, reach other
 * containers or change the swarm. Everything else (other containers, volumes, images beyond the
 * pull, swarm, plugins, system) is refused.
 *
 * The decision comes in two steps where the request alone does not tell: {@link decideRequest}
 * names what must be looked up (the container a path names, the exec a path names, the create
 * body), and {@link decideContainerAccess} / {@link checkCreateRequest} decide with it.
 */
import { LABEL_MANAGED, LABEL_SPEC_HASH, LABEL_VIP } from './types.js';

/** A request as the agent sees it: method, path without the API version, query. */
export interface AgentRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

/** What may be done to a container the path names. */
export type ContainerAction =
  'inspect' | 'start' | 'stop' | 'wait' | 'remove' | 'put-archive' | 'logs' | 'exec-create';

export type RequestDecision =
  | { kind: 'refuse'; reason: string }
  /** Forward as is (with `query` when the policy rewrote it). */
  | { kind: 'forward'; query?: URLSearchParams }
  /** Forward, then keep only managed or keepalived containers in the response. */
  | { kind: 'forward-container-list' }
  /** Look the container up; {@link decideContainerAccess} decides. */
  | { kind: 'container'; id: string; action: ContainerAction; rest: string }
  /** Look the exec up: allowed when it runs in a managed container. */
  | { kind: 'exec'; id: string; rest: string }
  /** Read the body; {@link checkCreateRequest} decides. */
  | { kind: 'create' };

export interface PolicyOptions {
  /**
   * Also serve the read-only swarm calls that node discovery needs (node and task lists, node
   * events). For the agent on managers that the reconciler uses as its `--swarm`.
   */
  swarmRead: boolean;
}

/**
 * Marks the reconciler's short-lived helper containers (e.g. removing a stale address on a node
 * whose keepalived is gone): they get the same access as managed containers, under the same
 * create rules.
 */
export const LABEL_HELPER = 'swarm-vip.helper';

/** keepalived sends VRRP and adds addresses in the node's network namespace: these, no more. */
export const KEEPALIVED_CAPABILITIES: readonly string[] = ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'];

const ID = '([A-Za-z0-9][A-Za-z0-9_.-]{0,127})';

/** Container sub-paths, by method, and the action each one is. */
const CONTAINER_ROUTES: readonly { method: string; rest: string; action: ContainerAction }[] = [
  { method: 'GET', rest: '/json', action: 'inspect' },
  { method: 'POST', rest: '/start', action: 'start' },
  { method: 'POST', rest: '/stop', action: 'stop' },
  { method: 'POST', rest: '/wait', action: 'wait' },
  { method: 'DELETE', rest: '', action: 'remove' },
  { method: 'PUT', rest: '/archive', action: 'put-archive' },
  { method: 'GET', rest: '/logs', action: 'logs' },
  { method: 'POST', rest: '/exec', action: 'exec-create' },
];

const SWARM_READS: readonly RegExp[] = [
  /^\/nodes$/,
  new RegExp(`^/nodes/${ID}$`),
  /^\/tasks$/,
  /^\/services$/,
  new RegExp(`^/services/${ID}$`),
  /^\/info$/,
];

/** The path without a leading API version (`/v1.41/containers/json` → `/containers/json`). */
export function stripApiVersion(path: string): string {
  return path.replace(/^\/v\d+\.\d+(?=\/)/, '');
}

/** Fixed paths, by `METHOD path`. */
const FIXED_ROUTES: Readonly<
  Record<string, (query: URLSearchParams, options: PolicyOptions) => RequestDecision>
> = {
  'GET /_ping': () => ({ kind: 'forward' }),
  'HEAD /_ping': () => ({ kind: 'forward' }),
  'GET /version': () => ({ kind: 'forward' }),
  'GET /containers/json': () => ({ kind: 'forward-container-list' }),
  'POST /containers/create': () => ({ kind: 'create' }),
  'POST /images/create': (query) => decidePull(query),
  'GET /events': (query, options) => decideEvents(query, options),
};

/** First step: allowed as is, refused, or what must be looked up to decide. */
export function decideRequest(request: AgentRequest, options: PolicyOptions): RequestDecision {
  const { method, query } = request;
  const path = stripApiVersion(request.path);
  const key = `${method} ${path}`;
  const fixed = Object.hasOwn(FIXED_ROUTES, key) ? FIXED_ROUTES[key] : undefined;
  if (fixed) return fixed(query, options);
  if (method === 'GET' && options.swarmRead && SWARM_READS.some((re) => re.test(path))) {
    return { kind: 'forward' };
  }
  return containerOrExec(method, path) ?? refuse(`${method} ${path} is not in the agent's allow-list`);
}

function containerOrExec(method: string, path: string): RequestDecision | undefined {
  const container = new RegExp(`^/containers/${ID}(/[a-z]+)?$`).exec(path);
  if (container) {
    const [, id = '', rest = ''] = container;
    const route = CONTAINER_ROUTES.find((r) => r.method === method && r.rest === rest);
    return route ? { kind: 'container', id, action: route.action, rest } : undefined;
  }
  const exec = new RegExp(`^/exec/${ID}(/start|/json)$`).exec(path);
  if (!exec) return undefined;
  const [, id = '', rest = ''] = exec;
  const allowed = (rest === '/start' && method === 'POST') || (rest === '/json' && method === 'GET');
  return allowed ? { kind: 'exec', id, rest } : undefined;
}

/** An image pull from a registry; importing (`fromSrc`) is not a pull. */
function decidePull(query: URLSearchParams): RequestDecision {
  if (query.has('fromSrc') || query.has('repo')) return refuse('image import is not allowed, only pulls');
  if (!query.get('fromImage')) return refuse('an image pull needs fromImage');
  return { kind: 'forward' };
}

/**
 * Events of managed containers only: whatever the caller asked for, the filters are narrowed to
 * `type=container` and `label=swarm-vip.managed=true`. Swarm node events pass with `swarmRead`.
 */
function decideEvents(query: URLSearchParams, options: PolicyOptions): RequestDecision {
  let filters: Record<string, unknown> = {};
  const raw = query.get('filters');
  if (raw) {
    try {
      filters = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return refuse('events: filters is not JSON');
    }
    if (typeof filters !== 'object' || filters === null || Array.isArray(filters)) {
      return refuse('events: filters must be a JSON object');
    }
  }
  const types = Array.isArray(filters.type) ? filters.type : [];
  if (options.swarmRead && types.length === 1 && types[0] === 'node') return { kind: 'forward' };
  const narrowed = new URLSearchParams(query);
  narrowed.set(
    'filters',
    JSON.stringify({ ...filters, type: ['container'], label: [`${LABEL_MANAGED}=true`] }),
  );
  return { kind: 'forward', query: narrowed };
}

/** What the agent knows of a container from its inspect. */
export interface InspectedContainer {
  Config?: { Labels?: Record<string, string> | null; Image?: string } | null;
  Path?: string;
  Args?: string[] | null;
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Second step for a path naming a container: managed containers allow every listed action;
 * a hand-run keepalived (not managed) may only be inspected, so the reconciler can report the
 * addresses it claims.
 */
export function decideContainerAccess(
  action: ContainerAction,
  container: InspectedContainer,
): AccessDecision {
  const labels = container.Config?.Labels;
  if (isManaged(labels) || isHelper(labels)) return { allowed: true };
  if (action === 'inspect' && looksLikeKeepalived(container)) return { allowed: true };
  return {
    allowed: false,
    reason: `${action} of a container without ${LABEL_MANAGED}=true is not allowed`,
  };
}

function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL_MANAGED] === 'true';
}

function isHelper(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL_HELPER] === 'true';
}

/** The reconciler's own rule for a hand-run keepalived: the image or the command says so. */
function looksLikeKeepalived(container: InspectedContainer): boolean {
  const command = [container.Path ?? '', ...(container.Args ?? [])].join(' ');
  return /keepalived/i.test(`${container.Config?.Image ?? ''} ${command}`);
}

/**
 * Body of `POST /containers/{id}/exec` (the container already passed as managed): a privileged
 * exec would hand the command every capability, more than the container itself has.
 */
export function checkExecCreate(body: unknown): AccessDecision {
  if (typeof body !== 'object' || body === null)
    return { allowed: false, reason: 'exec: body must be a JSON object' };
  if ((body as Record<string, unknown>).Privileged === true) {
    return { allowed: false, reason: 'exec: Privileged is not allowed' };
  }
  return { allowed: true };
}

/** One entry of a container list (GET /containers/json). */
export interface ListedContainer {
  Image?: string;
  Command?: string;
  Labels?: Record<string, string> | null;
}

/** The containers a list may show: managed ones, helpers and keepalived run by hand. */
export function visibleContainers<T extends ListedContainer>(list: readonly T[]): T[] {
  return list.filter(
    (c) =>
      isManaged(c.Labels) || isHelper(c.Labels) || /keepalived/i.test(`${c.Image ?? ''} ${c.Command ?? ''}`),
  );
}

/** Top-level create fields the reconciler uses or that cannot widen what a container may do. */
const CREATE_FIELDS = new Set([
  // dockerode repeats the query's name in the body; Docker ignores it there.
  'name',
  'Image',
  'Entrypoint',
  'Cmd',
  'Env',
  'Labels',
  'StopSignal',
  'StopTimeout',
  'Healthcheck',
  'WorkingDir',
  'User',
  'HostConfig',
  'AttachStdin',
  'AttachStdout',
  'AttachStderr',
  'Tty',
  'OpenStdin',
  'StdinOnce',
  'ArgsEscaped',
]);

/** HostConfig fields allowed with a value; every other one must be absent or empty. */
const HOST_CONFIG_FIELDS = new Set([
  'NetworkMode',
  'CapAdd',
  'CapDrop',
  'RestartPolicy',
  'Tmpfs',
  'Init',
  'ReadonlyRootfs',
  'Memory',
  'MemorySwap',
  'NanoCpus',
  'CpuShares',
  'PidsLimit',
]);

const VIP_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/**
 * Second step for `POST /containers/create?name=…`: the body must describe a managed keepalived
 * container named `keepalived-<vip>` (or an unnamed helper labelled `swarm-vip.helper=true`) on
 * the host network with nothing more than keepalived needs.
 */
export function checkCreateRequest(name: string | null, body: unknown): AccessDecision {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return denied('the create body must be a JSON object');
  }
  const spec = body as Record<string, unknown>;
  const problem =
    labelProblem(name, spec.Labels) ??
    unexpectedField('', spec, CREATE_FIELDS) ??
    hostConfigProblem(spec.HostConfig);
  return problem ? denied(problem) : { allowed: true };
}

function denied(reason: string): AccessDecision {
  return { allowed: false, reason: `create refused: ${reason}` };
}

function labelProblem(name: string | null, labels: unknown): string | undefined {
  const map = (typeof labels === 'object' && labels !== null ? labels : {}) as Record<string, unknown>;
  if (map[LABEL_HELPER] === 'true' && map[LABEL_MANAGED] !== 'true') {
    return name ? 'a helper container must not be named' : undefined;
  }
  if (map[LABEL_MANAGED] !== 'true') return `label ${LABEL_MANAGED}=true missing`;
  const vip = map[LABEL_VIP];
  if (typeof vip !== 'string' || !VIP_NAME.test(vip)) return `label ${LABEL_VIP} missing or not a VIP name`;
  if (typeof map[LABEL_SPEC_HASH] !== 'string' || map[LABEL_SPEC_HASH] === '') {
    return `label ${LABEL_SPEC_HASH} missing`;
  }
  if (name !== `keepalived-${vip}`) return `the container must be named keepalived-${vip}`;
  return undefined;
}

function hostConfigProblem(hostConfig: unknown): string | undefined {
  if (typeof hostConfig !== 'object' || hostConfig === null) return 'HostConfig.NetworkMode must be host';
  const host = hostConfig as Record<string, unknown>;
  if (host.NetworkMode !== 'host') return 'HostConfig.NetworkMode must be host';
  const caps = Array.isArray(host.CapAdd) ? host.CapAdd : [];
  const extra = caps.filter((cap) => !KEEPALIVED_CAPABILITIES.includes(String(cap).replace(/^CAP_/, '')));
  if (
    extra.length > 0 ||
    (host.CapAdd !== undefined && host.CapAdd !== null && !Array.isArray(host.CapAdd))
  ) {
    return `HostConfig.CapAdd may hold only ${KEEPALIVED_CAPABILITIES.join(', ')}; got ${extra.join(', ')}`;
  }
  return unexpectedField('HostConfig.', host, HOST_CONFIG_FIELDS);
}

/** The first field outside `allowed` that carries a value (other clients send empty defaults). */
function unexpectedField(
  prefix: string,
  object: Record<string, unknown>,
  allowed: ReadonlySet<string>,
): string | undefined {
  const field = Object.keys(object).find((key) => !allowed.has(key) && !isEmpty(object[key]));
  return field === undefined ? undefined : `${prefix}${field} is not allowed`;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === '' || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  return typeof value === 'object' && Object.keys(value).length === 0;
}

function refuse(reason: string): RequestDecision {
  return { kind: 'refuse', reason };
}
