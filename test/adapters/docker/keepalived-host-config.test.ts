import { describe, expect, it } from 'vitest';
import { keepalivedHostConfig } from '../../../src/adapters/docker/keepalived-host-config.js';

describe('keepalivedHostConfig', () => {
  it('runs keepalived on the host network with the VRRP capabilities, restarted always', () => {
    expect(keepalivedHostConfig()).toEqual({
      NetworkMode: 'host',
      CapAdd: ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'],
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
    });
  });

  it('puts no CPU limit on keepalived (a throttled master misses its 0.05 s adverts)', () => {
    const config = keepalivedHostConfig();
    for (const key of ['CpuQuota', 'CpuPeriod', 'NanoCpus', 'CpusetCpus', 'CpuShares', 'CpuRealtimeRuntime'])
      expect(config).not.toHaveProperty(key);
  });
});
