import { describe, expect, it } from 'vitest';
import { parseContainerReport } from '../../src/core/container-reports.js';

describe('parseContainerReport', () => {
  it.each([
    [
      'state with IPv4 and if_inet6 addresses',
      'swarm-vip:state MASTER addrs 127.0.0.1 198.18.0.1 198.18.0.100 fd005eed000000000000000000000001',
      {
        kind: 'state',
        state: 'MASTER',
        addresses: ['127.0.0.1', '198.18.0.1', '198.18.0.100', 'fd00:5eed::1'],
      },
    ],
    [
      'state without addresses',
      'swarm-vip:state FAULT addrs',
      { kind: 'state', state: 'FAULT', addresses: [] },
    ],
    [
      'addresses, de-duplicated (fib_trie lists local addresses twice)',
      'swarm-vip:addrs 198.18.0.1 198.18.0.1 127.0.0.1\r',
      { kind: 'addresses', addresses: ['198.18.0.1', '127.0.0.1'] },
    ],
    ['no addresses at all', 'swarm-vip:addrs', { kind: 'addresses', addresses: [] }],
    [
      'the priority a hand-over reload gave keepalived',
      'swarm-vip:priority 254 (keepalived reloaded)',
      { kind: 'priority', priority: 254 },
    ],
    ['a restored priority, alone on its line', 'swarm-vip:priority 100', { kind: 'priority', priority: 100 }],
    [
      'garbage tokens skipped',
      'swarm-vip:addrs 1.2.3 999.1.1.1 zz 10.0.0.1 fd00::1',
      { kind: 'addresses', addresses: ['10.0.0.1', 'fd00::1'] },
    ],
    [
      'keepalived dropping an advert with a wrong password (2.2.7 wording)',
      'Tue Dec  1 07:32:34 2026: (ev0) received an invalid passwd!',
      {
        kind: 'rejected-advert',
        instance: 'ev0',
        rejection: 'authentication',
        detail: 'received an invalid passwd',
      },
    ],
    [
      'an advert of another VRRP version (older wording with a colon)',
      '(web-1): wrong version. Received 2 and expect 3',
      {
        kind: 'rejected-advert',
        instance: 'web-1',
        rejection: 'version',
        detail: 'wrong version. Received 2 and expect 3',
      },
    ],
    [
      'an advert for other addresses',
      '(api) ip address associated with VRID 51 not present in MASTER advert : 198.18.0.100',
      {
        kind: 'rejected-advert',
        instance: 'api',
        rejection: 'addresses',
        detail: 'not present in MASTER advert',
      },
    ],
    [
      'a multicast advert to a unicast instance',
      '(api) Expected unicast packet but received multicast packet',
      {
        kind: 'rejected-advert',
        instance: 'api',
        rejection: 'cast',
        detail: 'Expected unicast packet but received multicast packet',
      },
    ],
  ])('%s', (_name, line, expected) => {
    expect(parseContainerReport(line)).toEqual(expected);
  });

  it.each([
    ['a keepalived log line', 'Tue Dec  1 07:32:34 2026: (exp) Entering MASTER STATE'],
    ['the start message of the container command', 'swarm-vip: VIP interface is eth0 (holds 198.18.0.1)'],
    ['an unknown state', 'swarm-vip:state GONE addrs 10.0.0.1'],
    ['a state without the addrs marker', 'swarm-vip:state MASTER 10.0.0.1'],
    ['a marker glued to a word', 'swarm-vip:addrsX 10.0.0.1'],
    ['a rejection without an instance', 'received an invalid passwd!'],
    ['a line too long to be ours', `swarm-vip:addrs ${'10.0.0.1 '.repeat(10_000)}`],
    ['a priority out of range', 'swarm-vip:priority 255 (keepalived reloaded)'],
    ['a priority of 0', 'swarm-vip:priority 0'],
    ['a priority that is not a number', 'swarm-vip:priority 2x4'],
  ])('ignores %s', (_name, line) => {
    expect(parseContainerReport(line)).toBeUndefined();
  });
});
