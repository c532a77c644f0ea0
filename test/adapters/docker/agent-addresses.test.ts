import { describe, expect, it } from 'vitest';
import { agentAddresses, type SwarmTaskInfo } from '../../../src/adapters/docker/swarm-nodes.js';

const task = (
  node: string,
  state: string,
  networks: [string, boolean, string][],
  desired = 'running',
): SwarmTaskInfo => ({
  NodeID: node,
  DesiredState: desired,
  Status: { State: state },
  NetworksAttachments: networks.map(([name, ingress, address]) => ({
    Network: { Spec: { Name: name, Ingress: ingress } },
    Addresses: [address],
  })),
});

describe('agentAddresses: node → address of its running agent task on the shared overlay', () => {
  it.each([
    [
      'one task per node',
      [
        task('n1', 'running', [['agents', false, '10.0.1.3/24']]),
        task('n2', 'running', [['agents', false, '10.0.1.4/24']]),
      ],
      { n1: '10.0.1.3', n2: '10.0.1.4' },
    ],
    [
      'the ingress network is skipped',
      [
        task('n1', 'running', [
          ['ingress', true, '10.0.0.5/24'],
          ['agents', false, '10.0.1.3/24'],
        ]),
      ],
      { n1: '10.0.1.3' },
    ],
    [
      'a task that is not running yet, or is being shut down, is no agent',
      [
        task('n1', 'starting', [['agents', false, '10.0.1.3/24']]),
        task('n2', 'running', [['agents', false, '10.0.1.4/24']], 'shutdown'),
      ],
      {},
    ],
    ['IPv6 overlay', [task('n1', 'running', [['agents', false, 'fd00:1::3/64']])], { n1: 'fd00:1::3' }],
    ['no attachment', [{ NodeID: 'n1', DesiredState: 'running', Status: { State: 'running' } }], {}],
  ])('%s', (_what, tasks, expected) => {
    expect(Object.fromEntries(agentAddresses(tasks))).toEqual(expected);
  });
});
