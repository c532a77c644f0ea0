import { describe, expect, it } from 'vitest';
import { addressesInIpOutput } from '../../../src/adapters/docker/exec-output.js';

describe('addressesInIpOutput', () => {
  it('reads IPv4 and IPv6 addresses from `ip -o addr show` (busybox and iproute2 forms)', () => {
    const output = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 198.18.0.1/24 brd 198.18.0.255 scope global eth0',
      '2: eth0    inet 198.18.0.100/24 scope global secondary eth0',
      '2: eth0    inet6 fd00:5eed::1/64 scope global nodad',
      '3: eth1: <BROADCAST> mtu 1500',
    ].join('\n');
    expect(addressesInIpOutput(output)).toEqual(['127.0.0.1', '198.18.0.1', '198.18.0.100', 'fd00:5eed::1']);
  });
});
