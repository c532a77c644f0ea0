import { describe, expect, it } from 'vitest';
import {
  checkCreateRequest,
  checkExecCreate,
  decideContainerAccess,
  decideRequest,
  visibleContainers,
  type ContainerAction,
  type RequestDecision,
} from '../../src/core/agent-policy.js';

const ask = (method: string, url: string, swarmRead = false): RequestDecision => {
  const parsed = new URL(url, 'http://agent');
  return decideRequest({ method, path: parsed.pathname, query: parsed.searchParams }, { swarmRead });
};

describe('decideRequest: the calls the reconciler makes', () => {
  it.each([
    ['GET', '/_ping', { kind: 'forward' }],
    ['HEAD', '/_ping', { kind: 'forward' }],
    ['GET', '/v1.41/version', { kind: 'forward' }],
    ['GET', '/v1.41/containers/json?all=true', { kind: 'forward-container-list' }],
    ['POST', '/v1.41/containers/create?name=keepalived-web', { kind: 'create' }],
    ['POST', '/images/create?fromImage=osixia%2Fkeepalived&tag=2.0.20', { kind: 'forward' }],
    ['GET', '/containers/abc123/json', { kind: 'container', id: 'abc123', action: 'inspect', rest: '/json' }],
    [
      'POST',
      '/containers/keepalived-web/start',
      { kind: 'container', id: 'keepalived-web', action: 'start', rest: '/start' },
    ],
    ['POST', '/containers/abc/stop?t=10', { kind: 'container', id: 'abc', action: 'stop', rest: '/stop' }],
    ['POST', '/containers/abc/wait', { kind: 'container', id: 'abc', action: 'wait', rest: '/wait' }],
    ['DELETE', '/containers/abc', { kind: 'container', id: 'abc', action: 'remove', rest: '' }],
    [
      'PUT',
      '/containers/abc/archive?path=%2F',
      { kind: 'container', id: 'abc', action: 'put-archive', rest: '/archive' },
    ],
    [
      'GET',
      '/containers/abc/logs?stdout=1&follow=1',
      { kind: 'container', id: 'abc', action: 'logs', rest: '/logs' },
    ],
    ['POST', '/containers/abc/exec', { kind: 'container', id: 'abc', action: 'exec-create', rest: '/exec' }],
    ['POST', '/exec/e1/start', { kind: 'exec', id: 'e1', rest: '/start' }],
    ['GET', '/exec/e1/json', { kind: 'exec', id: 'e1', rest: '/json' }],
  ])('%s %s → %j', (method, url, expected) => {
    expect(ask(method, url)).toEqual(expected);
  });
});

describe('decideRequest: everything else is refused', () => {
  it.each([
    ['POST', '/containers/abc/kill', /POST \/containers\/abc\/kill is not in the agent's allow-list/],
    ['POST', '/containers/abc/attach', /not in the agent's allow-list/],
    ['POST', '/containers/abc/update', /not in the agent's allow-list/],
    ['GET', '/containers/abc/archive?path=/etc', /not in the agent's allow-list/],
    ['POST', '/containers/prune', /not in the agent's allow-list/],
    ['POST', '/containers/abc/rename?name=x', /not in the agent's allow-list/],
    ['GET', '/volumes', /not in the agent's allow-list/],
    ['POST', '/volumes/create', /not in the agent's allow-list/],
    ['POST', '/images/create?fromSrc=-', /image import is not allowed/],
    ['POST', '/images/create', /needs fromImage/],
    ['DELETE', '/images/osixia%2Fkeepalived', /not in the agent's allow-list/],
    ['POST', '/build', /not in the agent's allow-list/],
    ['POST', '/swarm/leave?force=true', /not in the agent's allow-list/],
    ['POST', '/services/create', /not in the agent's allow-list/],
    ['GET', '/nodes', /not in the agent's allow-list/],
    ['GET', '/info', /not in the agent's allow-list/],
    ['POST', '/plugins/pull', /not in the agent's allow-list/],
    ['GET', '/containers/../../etc/passwd', /not in the agent's allow-list/],
    ['POST', '/exec/e1/resize', /not in the agent's allow-list/],
    ['GET', '/secrets', /not in the agent's allow-list/],
  ])('%s %s', (method, url, reason) => {
    const decision = ask(method, url);
    expect(decision.kind).toBe('refuse');
    expect(decision.kind === 'refuse' && decision.reason).toMatch(reason);
  });

  it('serves the read-only swarm calls only with swarmRead, and never swarm changes', () => {
    expect(ask('GET', '/v1.41/nodes', true)).toEqual({ kind: 'forward' });
    expect(ask('GET', '/tasks?filters=%7B%7D', true)).toEqual({ kind: 'forward' });
    expect(ask('GET', '/services/swarm-vip_agent', true)).toEqual({ kind: 'forward' });
    expect(ask('POST', '/nodes/n1/update', true).kind).toBe('refuse');
    expect(ask('DELETE', '/services/x', true).kind).toBe('refuse');
  });
});

describe('decideRequest: events are narrowed to managed containers', () => {
  const filtersOf = (decision: RequestDecision): unknown =>
    decision.kind === 'forward' ? JSON.parse(decision.query?.get('filters') ?? 'null') : decision;

  it.each([
    ['no filters', '/events', { type: ['container'], label: ['swarm-vip.managed=true'] }],
    [
      'the reconciler own filters',
      `/events?filters=${encodeURIComponent('{"type":["container"],"label":["swarm-vip.managed=true"],"event":["die"]}')}`,
      { type: ['container'], label: ['swarm-vip.managed=true'], event: ['die'] },
    ],
    [
      'a wider ask',
      `/events?filters=${encodeURIComponent('{"type":["container","volume"],"label":["x=y"]}')}`,
      { type: ['container'], label: ['swarm-vip.managed=true'] },
    ],
    [
      'node events without swarmRead',
      `/events?filters=${encodeURIComponent('{"type":["node"]}')}`,
      { type: ['container'], label: ['swarm-vip.managed=true'] },
    ],
  ])('%s', (_what, url, filters) => {
    expect(filtersOf(ask('GET', url))).toEqual(filters);
  });

  it('passes swarm node events with swarmRead; refuses filters that are not a JSON object', () => {
    expect(ask('GET', `/events?filters=${encodeURIComponent('{"type":["node"]}')}`, true)).toEqual({
      kind: 'forward',
    });
    expect(ask('GET', '/events?filters=nope').kind).toBe('refuse');
    expect(ask('GET', '/events?filters=%5B%5D').kind).toBe('refuse');
  });
});

describe('decideContainerAccess', () => {
  const managed = { Config: { Labels: { 'swarm-vip.managed': 'true' }, Image: 'any' } };
  const handRun = {
    Config: { Labels: {}, Image: 'osixia/keepalived:2.0.20' },
    Path: '/container/tool/run',
    Args: [],
  };
  const other = { Config: { Labels: { app: 'db' }, Image: 'postgres:16' }, Path: 'postgres', Args: [] };
  const actions: ContainerAction[] = [
    'inspect',
    'start',
    'stop',
    'wait',
    'remove',
    'put-archive',
    'logs',
    'exec-create',
  ];

  it.each(actions)('%s: allowed on a managed container, refused on any other', (action) => {
    expect(decideContainerAccess(action, managed)).toEqual({ allowed: true });
    expect(decideContainerAccess(action, other)).toEqual({
      allowed: false,
      reason: `${action} of a container without swarm-vip.managed=true is not allowed`,
    });
  });

  it.each(actions)(
    '%s of a hand-run keepalived: only inspect (to report the addresses it claims)',
    (action) => {
      expect(decideContainerAccess(action, handRun).allowed).toBe(action === 'inspect');
    },
  );

  it.each(actions)('%s of a helper container (swarm-vip.helper=true): allowed', (action) => {
    expect(decideContainerAccess(action, { Config: { Labels: { 'swarm-vip.helper': 'true' } } })).toEqual({
      allowed: true,
    });
  });

  it('a label with another value is not managed', () => {
    expect(
      decideContainerAccess('stop', { Config: { Labels: { 'swarm-vip.managed': 'yes' } } }).allowed,
    ).toBe(false);
  });
});

describe('checkExecCreate', () => {
  it.each([
    [{ Cmd: ['sh', '-c', 'cat /run/state'], AttachStdout: true }, true],
    [{ Cmd: ['sh'], Privileged: true }, false],
    [null, false],
  ])('%j → %s', (body, allowed) => {
    expect(checkExecCreate(body).allowed).toBe(allowed);
  });
});

describe('checkCreateRequest', () => {
  /** The request the reconciler sends (src/adapters/docker/node-runtime.ts; dockerode repeats the name). */
  const good = {
    name: 'keepalived-web',
    Image: 'osixia/keepalived:2.0.20',
    Entrypoint: [],
    Cmd: ['sh', '-c', 'exec keepalived -n -l'],
    Labels: { 'swarm-vip.managed': 'true', 'swarm-vip.vip': 'web', 'swarm-vip.spec-hash': '0f3ad9c1' },
    StopSignal: 'SIGTERM',
    HostConfig: {
      NetworkMode: 'host',
      CapAdd: ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'],
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
    },
  };
  const withHost = (extra: Record<string, unknown>) => ({
    ...good,
    HostConfig: { ...good.HostConfig, ...extra },
  });

  it('allows the reconciler own request, and empty defaults other clients send', () => {
    expect(checkCreateRequest('keepalived-web', good)).toEqual({ allowed: true });
    expect(
      checkCreateRequest('keepalived-web', {
        ...withHost({ Privileged: false, Binds: null, Devices: [], PidMode: '', SecurityOpt: null }),
        Volumes: {},
        Tty: false,
      }),
    ).toEqual({ allowed: true });
  });

  it.each([
    [
      'no managed label',
      'keepalived-web',
      { ...good, Labels: { 'swarm-vip.vip': 'web' } },
      /label swarm-vip.managed=true missing/,
    ],
    [
      'no VIP label',
      'keepalived-web',
      { ...good, Labels: { 'swarm-vip.managed': 'true', 'swarm-vip.spec-hash': 'h' } },
      /swarm-vip.vip missing/,
    ],
    [
      'no spec hash',
      'keepalived-web',
      { ...good, Labels: { 'swarm-vip.managed': 'true', 'swarm-vip.vip': 'web' } },
      /swarm-vip.spec-hash missing/,
    ],
    ['another name', 'postgres', good, /must be named keepalived-web/],
    ['no name', null, good, /must be named keepalived-web/],
    ['privileged', 'keepalived-web', withHost({ Privileged: true }), /HostConfig.Privileged is not allowed/],
    ['a bind mount', 'keepalived-web', withHost({ Binds: ['/:/host'] }), /HostConfig.Binds is not allowed/],
    [
      'a mount',
      'keepalived-web',
      withHost({ Mounts: [{ Type: 'bind', Source: '/', Target: '/h' }] }),
      /HostConfig.Mounts/,
    ],
    ['a device', 'keepalived-web', withHost({ Devices: [{ PathOnHost: '/dev/sda' }] }), /HostConfig.Devices/],
    [
      'SYS_ADMIN',
      'keepalived-web',
      withHost({ CapAdd: ['NET_ADMIN', 'SYS_ADMIN'] }),
      /CapAdd may hold only NET_ADMIN, NET_BROADCAST, NET_RAW; got SYS_ADMIN/,
    ],
    ['ALL caps', 'keepalived-web', withHost({ CapAdd: ['ALL'] }), /got ALL/],
    ['bridge network', 'keepalived-web', withHost({ NetworkMode: 'bridge' }), /NetworkMode must be host/],
    ['no HostConfig', 'keepalived-web', { ...good, HostConfig: undefined }, /NetworkMode must be host/],
    ['host pid', 'keepalived-web', withHost({ PidMode: 'host' }), /HostConfig.PidMode/],
    [
      'unconfined',
      'keepalived-web',
      withHost({ SecurityOpt: ['seccomp=unconfined'] }),
      /HostConfig.SecurityOpt/,
    ],
    ['volumes from', 'keepalived-web', withHost({ VolumesFrom: ['db'] }), /HostConfig.VolumesFrom/],
    ['a cgroup parent', 'keepalived-web', withHost({ CgroupParent: '/' }), /HostConfig.CgroupParent/],
    ['sysctls', 'keepalived-web', withHost({ Sysctls: { 'kernel.x': '1' } }), /HostConfig.Sysctls/],
    ['a volume', 'keepalived-web', { ...good, Volumes: { '/data': {} } }, /Volumes is not allowed/],
    [
      'another network',
      'keepalived-web',
      { ...good, NetworkingConfig: { EndpointsConfig: { x: {} } } },
      /NetworkingConfig/,
    ],
    ['not an object', 'keepalived-web', [good], /must be a JSON object/],
  ])('%s', (_what, name, body, reason) => {
    const decision = checkCreateRequest(name, body);
    expect(decision.allowed).toBe(false);
    expect(!decision.allowed && decision.reason).toMatch(reason);
  });
});

describe('visibleContainers', () => {
  it('keeps managed containers and hand-run keepalived, hides the rest', () => {
    const list: { Id: string; Image: string; Command: string; Labels: Record<string, string> | null }[] = [
      { Id: 'a', Image: 'x', Command: 'sh', Labels: { 'swarm-vip.managed': 'true' } },
      { Id: 'b', Image: 'osixia/keepalived:2.0.20', Command: '/container/tool/run', Labels: {} },
      { Id: 'c', Image: 'postgres', Command: 'postgres', Labels: {} },
      { Id: 'd', Image: 'debian', Command: 'keepalived -n', Labels: null },
      { Id: 'e', Image: 'x', Command: 'ip addr del', Labels: { 'swarm-vip.helper': 'true' } },
    ];
    expect(visibleContainers(list).map((c) => c.Id)).toEqual(['a', 'b', 'd', 'e']);
  });
});
