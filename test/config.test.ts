import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { addAgentOptions, addClusterOptions, toAgentConfig, toConfig } from '../src/config.js';

describe('toConfig', () => {
  it('turns durations into milliseconds and parses --listen', () => {
    const config = toConfig({
      manifests: 'm',
      resyncInterval: '2m',
      healthInterval: '500ms',
      listen: '127.0.0.1:9107',
    });
    expect(config.resyncIntervalMs).toBe(120_000);
    expect(config.healthIntervalMs).toBe(500);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9107 });
    expect(config.manifestsDir.endsWith('/m')).toBe(true);
  });

  it.each([
    [{ resyncInterval: 'soon' }, /--resync-interval soon: expected a duration/],
    [{ listen: 'localhost' }, /--listen localhost: expected HOST:PORT/],
  ])('rejects %j with a message saying what would be right', (raw, message) => {
    expect(() => toConfig(raw)).toThrow(message);
  });

  it('gives two manifest directories two different default lock files', () => {
    expect(toConfig({ manifests: 'a' }).lockFile).not.toBe(toConfig({ manifests: 'b' }).lockFile);
  });

  it('takes TLS files for discovered nodes from --tls-ca/--tls-cert/--tls-key, all three or none', () => {
    expect(toConfig({}).discoveredTls).toBeUndefined();
    expect(
      toConfig({ tlsCa: '/t/ca.pem', tlsCert: '/t/cert.pem', tlsKey: '/t/key.pem' }).discoveredTls,
    ).toEqual({ caFile: '/t/ca.pem', certFile: '/t/cert.pem', keyFile: '/t/key.pem' });
    expect(() => toConfig({ tlsCa: '/t/ca.pem' })).toThrow(
      /--tls-cert and --tls-key missing: TLS to discovered nodes needs --tls-ca, --tls-cert and --tls-key together/,
    );
  });

  it('reads the TLS files from SWARM_VIP_TLS_CA, SWARM_VIP_TLS_CERT and SWARM_VIP_TLS_KEY', () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      SWARM_VIP_TLS_CA: '/e/ca.pem',
      SWARM_VIP_TLS_CERT: '/e/cert.pem',
      SWARM_VIP_TLS_KEY: '/e/key.pem',
    });
    try {
      const command = addClusterOptions(new Command()).exitOverride();
      command.parse([], { from: 'user' });
      expect(toConfig(command.opts()).discoveredTls).toEqual({
        caFile: '/e/ca.pem',
        certFile: '/e/cert.pem',
        keyFile: '/e/key.pem',
      });
    } finally {
      for (const key of ['SWARM_VIP_TLS_CA', 'SWARM_VIP_TLS_CERT', 'SWARM_VIP_TLS_KEY']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });

  it('--agents SERVICE[:PORT] needs --swarm and the TLS files', () => {
    const tls = { tlsCa: '/t/ca.pem', tlsCert: '/t/cert.pem', tlsKey: '/t/key.pem', swarm: 'unix:///s.sock' };
    expect(toConfig({ ...tls, agents: 'swarm-vip_agent' }).agents).toEqual({
      service: 'swarm-vip_agent',
      port: 2376,
    });
    expect(toConfig({ ...tls, agents: 'a:9443' }).agents).toEqual({ service: 'a', port: 9443 });
    expect(() => toConfig({ ...tls, agents: 'a b' })).toThrow(/--agents a b: expected a swarm service name/);
    expect(() => toConfig({ swarm: 'unix:///s.sock', agents: 'a' })).toThrow(/agents speak only mutual TLS/);
  });

  it('the agent serves only a unix socket, only with TLS files', () => {
    const tls = { tlsCa: '/t/ca.pem', tlsCert: '/t/cert.pem', tlsKey: '/t/key.pem' };
    expect(
      toAgentConfig({ ...tls, docker: 'unix:///var/run/docker.sock', listen: '0.0.0.0:2376' }),
    ).toMatchObject({
      dockerSocket: '/var/run/docker.sock',
      listen: { host: '0.0.0.0', port: 2376 },
      swarmRead: false,
    });
    expect(() => toAgentConfig({ ...tls, docker: 'tcp://1.2.3.4:2375' })).toThrow(
      /its own node's unix socket/,
    );
    expect(() => toAgentConfig({})).toThrow(/the agent serves only mutual TLS/);
  });

  it('reconciler agent reads SWARM_VIP_DOCKER, SWARM_VIP_LISTEN, SWARM_VIP_SWARM_READ (a strict switch) and the TLS variables', () => {
    const agentFrom = (env: Record<string, string>) => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const command = addAgentOptions(new Command()).exitOverride();
        command.parse([], { from: 'user' });
        return toAgentConfig(command.opts());
      } finally {
        for (const key of Object.keys(env)) {
          if (saved[key] === undefined) delete process.env[key];
          else process.env[key] = saved[key];
        }
      }
    };
    const tls = {
      SWARM_VIP_TLS_CA: '/e/ca.pem',
      SWARM_VIP_TLS_CERT: '/e/a.pem',
      SWARM_VIP_TLS_KEY: '/e/a-key.pem',
    };
    expect(agentFrom(tls)).toMatchObject({
      dockerSocket: '/var/run/docker.sock',
      listen: { host: '0.0.0.0', port: 2376 },
      tls: { caFile: '/e/ca.pem', certFile: '/e/a.pem', keyFile: '/e/a-key.pem' },
      swarmRead: false,
    });
    expect(
      agentFrom({
        ...tls,
        SWARM_VIP_DOCKER: 'unix:///run/d.sock',
        SWARM_VIP_LISTEN: '10.0.0.1:9443',
        SWARM_VIP_SWARM_READ: '1',
      }),
    ).toMatchObject({
      dockerSocket: '/run/d.sock',
      listen: { host: '10.0.0.1', port: 9443 },
      swarmRead: true,
    });
    expect(agentFrom({ ...tls, SWARM_VIP_SWARM_READ: 'false' }).swarmRead).toBe(false);
    expect(() => agentFrom({ ...tls, SWARM_VIP_SWARM_READ: 'yes' })).toThrow(
      /SWARM_VIP_SWARM_READ="yes": expected true, false, 1 or 0/,
    );
  });
});
