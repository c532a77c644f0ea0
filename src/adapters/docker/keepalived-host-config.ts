import type Docker from 'dockerode';

/** keepalived needs these to send VRRP and add addresses in the node's network namespace. */
export const KEEPALIVED_CAPABILITIES = ['NET_ADMIN', 'NET_BROADCAST', 'NET_RAW'];

/**
 * The HostConfig of every managed keepalived container: the node's network, the capabilities
 * VRRP needs, restarted whenever it dies.
 *
 * Deliberately no CPU limit of any kind (CpuQuota, CpuPeriod, NanoCpus, CpusetCpus, a low
 * CpuShares): at the default 0.05 s advertisement interval a backup declares the master dead after
 * ~0.17 s of silence, and a throttled keepalived that misses its send slot on a busy node hands
 * the address over for nothing. keepalived itself uses next to no CPU.
 */
export function keepalivedHostConfig(): Docker.HostConfig {
  return {
    NetworkMode: 'host',
    CapAdd: [...KEEPALIVED_CAPABILITIES],
    RestartPolicy: { Name: 'always', MaximumRetryCount: 0 },
  };
}
