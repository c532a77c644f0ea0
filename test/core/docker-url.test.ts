import { describe, expect, it } from 'vitest';
import { parseDockerUrl } from '../../src/core/docker-url.js';

describe('parseDockerUrl: one grammar for validate and connect', () => {
  it.each([
    ['unix:///var/run/docker.sock', { scheme: 'unix', socketPath: '/var/run/docker.sock' }],
    ['tcp://198.18.0.1:2376', { scheme: 'tcp', host: '198.18.0.1', port: 2376 }],
    ['tcp://node-1.example', { scheme: 'tcp', host: 'node-1.example', port: undefined }],
    ['tcp://[fd00:5eed::1]:2376/', { scheme: 'tcp', host: 'fd00:5eed::1', port: 2376 }],
    ['ssh://ops@node-1:2222', { scheme: 'ssh', host: 'node-1', port: 2222, user: 'ops' }],
    ['ssh://node-1', { scheme: 'ssh', host: 'node-1', port: undefined, user: undefined }],
  ])('accepts %s', (text, url) => {
    expect(parseDockerUrl(text)).toEqual({ ok: true, url });
  });

  it.each([
    ['http://h:2375', 'not a Docker engine URL'],
    ['unix://relative.sock', 'absolute socket path'],
    ['unix:///a b', 'absolute socket path'],
    ['tcp://h:2376/path', 'nothing after the port'],
    ['tcp://h:99999', 'port must be in 1..65535'],
    ['tcp://h:0', 'port must be in 1..65535'],
    ['tcp://-oProxyCommand=x', 'needs a host name'],
    ['tcp://u@h', 'takes no user'],
    ['ssh://-oProxyCommand=x@h', 'not a plain user name'],
    ['ssh://u@-h', 'needs a host name'],
    ['tcp://h\n:1', 'needs a host name'],
  ])('refuses %j: %s', (text, reason) => {
    const result = parseDockerUrl(text);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toContain(reason);
  });
});
