import { describe, expect, it } from 'vitest';
import {
  confirmAnomalies,
  describeAnomaly,
  detectAnomalies,
  type Anomaly,
  type ContainerFacts,
  type NodeFacts,
  type VipFacts,
} from '../../src/core/anomalies.js';

const VIP = '198.18.0.100';
const web: VipFacts = { vip: 'web', addresses: [VIP], frozen: false, targets: ['n1', 'n2', 'n3'] };

const kept = (state: ContainerFacts['state'], running = true): ContainerFacts[] => [
  { vip: 'web', name: 'keepalived-web', running, state },
];

/** The VIP's keepalived in `state`, which drops adverts for its ID (keepalived's words in `detail`). */
const hearing = (
  state: ContainerFacts['state'],
  rejection: NonNullable<ContainerFacts['rejected']>['rejection'],
  detail: string,
): ContainerFacts[] => [{ ...kept(state)[0]!, rejected: { rejection, detail } }];

function node(
  name: string,
  containers: ContainerFacts[],
  addresses: string[] | undefined,
  extra: Partial<NodeFacts> = {},
): NodeFacts {
  return {
    node: name,
    reachable: true,
    addresses: addresses && new Set(['127.0.0.1', ...addresses]),
    containers,
    foreignClaims: new Set(),
    ...extra,
  };
}

/**
 * A rollout is done: n1's keepalived (the newest) started at `newestStartMs`, and n2's, started
 * earlier, dropped a VRRPv3 advert at `droppedAtMs`.
 */
const afterRollout = ({ newestStartMs, droppedAtMs }: { newestStartMs: number; droppedAtMs: number }) => [
  node('n1', [{ ...kept('MASTER')[0]!, current: true, speaksSinceMs: newestStartMs }], [VIP]),
  node(
    'n2',
    [
      {
        ...kept('BACKUP')[0]!,
        current: true,
        speaksSinceMs: 1000,
        rejected: {
          rejection: 'version',
          detail: 'wrong version. Received 3 and expect 2',
          atMs: droppedAtMs,
        },
      },
    ],
    [],
  ),
];

describe('detectAnomalies', () => {
  it.each<[string, VipFacts[], NodeFacts[], Anomaly[]]>([
    [
      'one MASTER holds, two BACKUPs do not: healthy',
      [web],
      [node('n1', kept('MASTER'), [VIP]), node('n2', kept('BACKUP'), []), node('n3', kept('BACKUP'), [])],
      [],
    ],
    [
      'address left by a SIGKILLed keepalived beside the new MASTER',
      [web],
      [
        node('n1', kept('MASTER', false), [VIP]),
        node('n2', kept('MASTER'), [VIP]),
        node('n3', kept('BACKUP'), []),
      ],
      [
        {
          kind: 'stale-address',
          vip: 'web',
          node: 'n1',
          container: 'keepalived-web',
          keepalived: 'stopped',
          heldElsewhere: true,
          addresses: [VIP],
          reason: 'its keepalived (keepalived-web) is not running',
        },
        {
          kind: 'split-brain',
          vip: 'web',
          nodes: ['n1', 'n2'],
          containers: ['keepalived-web', 'keepalived-web'],
          cause: 'address left on n1 where keepalived is not MASTER (being removed)',
        },
      ],
    ],
    [
      'holder container removed (docker rm -f), no backup has taken over yet: stale, held nowhere else',
      [web],
      [
        node('n1', kept('MASTER', false), [VIP]),
        node('n2', kept('BACKUP'), []),
        node('n3', kept('BACKUP'), []),
      ],
      [expect.objectContaining({ kind: 'stale-address', node: 'n1', heldElsewhere: false }) as Anomaly],
    ],
    [
      'an address on a BACKUP is no rightful holding: both stale, neither held elsewhere',
      [web],
      [
        node('n1', kept('MASTER', false), [VIP]),
        node('n2', kept('BACKUP'), [VIP]),
        node('n3', kept('BACKUP'), []),
      ],
      [
        expect.objectContaining({ node: 'n1', keepalived: 'stopped', heldElsewhere: false }) as Anomaly,
        expect.objectContaining({ node: 'n2', keepalived: 'not-master', heldElsewhere: false }) as Anomaly,
        expect.objectContaining({ kind: 'split-brain', nodes: ['n1', 'n2'] }) as Anomaly,
      ],
    ],
    [
      'address added by hand on a BACKUP',
      [web],
      [node('n1', kept('MASTER'), [VIP]), node('n2', kept('BACKUP'), []), node('n3', kept('BACKUP'), [VIP])],
      [
        {
          kind: 'stale-address',
          vip: 'web',
          node: 'n3',
          container: 'keepalived-web',
          keepalived: 'not-master',
          heldElsewhere: true,
          addresses: [VIP],
          reason: 'its keepalived (keepalived-web) is BACKUP, not MASTER',
        },
        expect.objectContaining({ kind: 'split-brain', nodes: ['n1', 'n3'] }) as Anomaly,
      ],
    ],
    [
      'address on a node without any keepalived of the VIP',
      [{ ...web, targets: ['n1'] }],
      [node('n1', kept('MASTER'), [VIP]), node('n2', [], [VIP])],
      [
        expect.objectContaining({
          kind: 'stale-address',
          node: 'n2',
          container: null,
          keepalived: 'absent',
          reason: 'no keepalived of this VIP runs on the node',
        }) as Anomaly,
        expect.objectContaining({ kind: 'split-brain', containers: ['keepalived-web', null] }) as Anomaly,
      ],
    ],
    [
      'two MASTERs: VRRP broken between them',
      [web],
      [node('n1', kept('MASTER'), [VIP]), node('n2', kept('MASTER'), [VIP]), node('n3', kept('BACKUP'), [])],
      [
        expect.objectContaining({
          kind: 'split-brain',
          nodes: ['n1', 'n2'],
          cause: expect.stringContaining('virtual_router_id clash') as string,
        }) as Anomaly,
      ],
    ],
    [
      'a foreign VRRP router with our ID claims the address on n3: the split brain names the likely cause',
      [web],
      [
        node('n1', hearing('MASTER', 'version', 'wrong version. Received 2 and expect 3'), [VIP]),
        node('n2', hearing('BACKUP', 'version', 'wrong version. Received 2 and expect 3'), []),
        node('n3', kept('BACKUP'), [VIP]),
      ],
      [
        expect.objectContaining({ kind: 'stale-address', node: 'n3' }) as Anomaly,
        {
          kind: 'split-brain',
          vip: 'web',
          nodes: ['n1', 'n3'],
          containers: ['keepalived-web', 'keepalived-web'],
          cause:
            'keepalived on n1, n2 drops VRRP adverts for its virtual_router_id ("wrong version. Received 2 and expect 3"): likely a virtual_router_id clash: another VRRP router uses the same ID with another VRRP version; it likely claims the address too',
        },
        {
          kind: 'vrid-clash',
          vip: 'web',
          nodes: ['n1', 'n2'],
          container: 'keepalived-web',
          rejection: 'version',
          cause:
            'keepalived on n1, n2 drops VRRP adverts for its virtual_router_id ("wrong version. Received 2 and expect 3"): likely a virtual_router_id clash: another VRRP router uses the same ID with another VRRP version',
        },
      ],
    ],
    [
      "two MASTERs whose passwords differ: each drops the other's adverts, the split brain says so",
      [web],
      [
        node('n1', hearing('MASTER', 'authentication', 'received an invalid passwd'), [VIP]),
        node('n2', hearing('MASTER', 'authentication', 'received an invalid passwd'), [VIP]),
        node('n3', kept('BACKUP'), []),
      ],
      [
        {
          kind: 'split-brain',
          vip: 'web',
          nodes: ['n1', 'n2'],
          containers: ['keepalived-web', 'keepalived-web'],
          cause:
            'every holder is MASTER and drops the VRRP adverts it hears: keepalived on n1, n2 drops VRRP adverts for its virtual_router_id ("received an invalid passwd"): likely an authentication mismatch: another VRRP router uses the same virtual_router_id with another password',
        },
        {
          kind: 'vrid-clash',
          vip: 'web',
          nodes: ['n1', 'n2'],
          container: 'keepalived-web',
          rejection: 'authentication',
          cause:
            'keepalived on n1, n2 drops VRRP adverts for its virtual_router_id ("received an invalid passwd"): likely an authentication mismatch: another VRRP router uses the same virtual_router_id with another password',
        },
      ],
    ],
    [
      'a foreign router heard while a SIGKILLed keepalived left the address: the foreign router is named',
      [web],
      [
        node('n1', hearing('MASTER', 'cast', 'Expected unicast packet but received multicast packet'), [VIP]),
        node('n2', kept('STOP', false), [VIP]),
      ],
      [
        expect.objectContaining({ kind: 'stale-address', node: 'n2' }) as Anomaly,
        expect.objectContaining({
          kind: 'split-brain',
          nodes: ['n1', 'n2'],
          cause: expect.stringMatching(
            /^keepalived on n1 drops .*likely multicast and unicast mixed: .*; it likely claims the address too$/,
          ) as string,
        }) as Anomaly,
        expect.objectContaining({ kind: 'vrid-clash', nodes: ['n1'], rejection: 'cast' }) as Anomaly,
      ],
    ],
    [
      'a wrong password heard while one node holds: an alarm, no split brain',
      [web],
      [
        node('n1', hearing('MASTER', 'authentication', 'received an invalid passwd'), [VIP]),
        node('n2', kept('BACKUP'), []),
      ],
      [
        expect.objectContaining({
          kind: 'vrid-clash',
          nodes: ['n1'],
          cause: expect.stringContaining('likely an authentication mismatch') as string,
        }) as Anomaly,
      ],
    ],
    [
      "a rollout to another VRRP version in progress: the new keepalived drops the old peer's adverts, no alarm",
      [web],
      [
        node('n1', [{ ...kept('MASTER')[0]!, current: false }], [VIP]),
        node(
          'n2',
          [
            {
              ...hearing('BACKUP', 'version', 'wrong version. Received 3 and expect 2')[0]!,
              current: true,
            },
          ],
          [],
        ),
      ],
      [],
    ],
    [
      "rollout done: an advert dropped before the newest container started was a predecessor's, no alarm",
      [web],
      afterRollout({ newestStartMs: 5000, droppedAtMs: 4999 }),
      [],
    ],
    [
      "rollout done: an advert dropped after every container of ours started is a foreign router's",
      [web],
      afterRollout({ newestStartMs: 5000, droppedAtMs: 5000 }),
      [expect.objectContaining({ kind: 'vrid-clash', nodes: ['n2'], rejection: 'version' }) as Anomaly],
    ],
    [
      'nobody holds while targets are reachable',
      [web],
      [
        node('n1', kept('FAULT'), []),
        node('n2', kept('BACKUP'), []),
        node('n3', [], [], { reachable: false }),
      ],
      [
        {
          kind: 'no-holder',
          vip: 'web',
          reachableTargets: ['n1', 'n2'],
          containers: ['keepalived-web', 'keepalived-web'],
        },
      ],
    ],
    [
      'nobody known to hold, but one reachable target is not observed: no verdict',
      [web],
      [node('n1', kept('BACKUP'), []), node('n2', kept('BACKUP'), undefined)],
      [],
    ],
    ['frozen VIPs are not judged', [{ ...web, frozen: true }], [node('n1', kept('BACKUP'), [VIP])], []],
    [
      'a node where a hand-run keepalived claims the address is not judged',
      [web],
      [node('n1', kept('MASTER'), [VIP]), node('n2', [], [VIP], { foreignClaims: new Set(['web']) })],
      [],
    ],
    [
      'unreachable nodes are not judged',
      [web],
      [node('n1', kept('MASTER'), [VIP]), node('n2', kept('BACKUP'), [VIP], { reachable: false })],
      [],
    ],
  ])('%s', (_name, vips, nodes, expected) => {
    expect(detectAnomalies(vips, nodes)).toEqual(expected);
  });
});

describe('confirmAnomalies', () => {
  const stale: Anomaly = {
    kind: 'stale-address',
    vip: 'web',
    node: 'n3',
    container: 'keepalived-web',
    keepalived: 'not-master',
    heldElsewhere: true,
    addresses: [VIP],
    reason: 'x',
  };
  const grace = () => 300;

  it('confirms an anomaly only once it has lasted its grace period', () => {
    const first = confirmAnomalies([stale], new Map(), 1000, grace);
    expect(first.confirmed).toEqual([]);
    const early = confirmAnomalies([stale], first.firstSeenMs, 1299, grace);
    expect(early.confirmed).toEqual([]);
    const late = confirmAnomalies([stale], early.firstSeenMs, 1300, grace);
    expect(late.confirmed).toEqual([stale]);
  });

  it('starts over when the anomaly went away in between', () => {
    const first = confirmAnomalies([stale], new Map(), 1000, grace);
    const gone = confirmAnomalies([], first.firstSeenMs, 1100, grace);
    expect(gone.firstSeenMs.size).toBe(0);
    expect(confirmAnomalies([stale], gone.firstSeenMs, 1350, grace).confirmed).toEqual([]);
  });
});

describe('describeAnomaly', () => {
  it('names VIP, node and container', () => {
    expect(
      describeAnomaly({
        kind: 'stale-address',
        vip: 'web',
        node: 'n3',
        container: 'keepalived-web',
        keepalived: 'not-master',
        heldElsewhere: true,
        addresses: [VIP],
        reason: 'its keepalived (keepalived-web) is BACKUP, not MASTER',
      }),
    ).toBe(
      'VIP web: node n3 carries 198.18.0.100 but its keepalived (keepalived-web) is BACKUP, not MASTER (container keepalived-web)',
    );
    expect(
      describeAnomaly({
        kind: 'vrid-clash',
        vip: 'web',
        nodes: ['n1', 'n2'],
        container: 'keepalived-web',
        rejection: 'authentication',
        cause: 'keepalived on n1, n2 drops VRRP adverts for its virtual_router_id',
      }),
    ).toBe(
      'VIP web: keepalived on n1, n2 drops VRRP adverts for its virtual_router_id (container keepalived-web)',
    );
    expect(
      describeAnomaly({
        kind: 'split-brain',
        vip: 'web',
        nodes: ['n1', 'n2', 'n3'],
        containers: ['keepalived-web', null, 'keepalived-web'],
        cause: 'a cause',
      }),
    ).toBe(
      'VIP web: held by n1 and n2 and n3 at once: a cause (container keepalived-web on n1, n3; none on n2)',
    );
    expect(
      describeAnomaly({
        kind: 'no-holder',
        vip: 'web',
        reachableTargets: ['n1'],
        containers: ['keepalived-web'],
      }),
    ).toBe('VIP web: no node holds the address although n1 is reachable (container keepalived-web on n1)');
  });
});
