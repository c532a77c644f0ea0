import { describe, expect, it } from 'vitest';
import { vipConditions, type ConditionsInput } from '../../src/core/conditions.js';
import type { DesiredContainer, ManifestProblem } from '../../src/core/types.js';

const container = (vip: string, node: string) => ({ vip, node }) as DesiredContainer;
const problem: ManifestProblem = {
  code: 'schema',
  vip: 'web',
  file: 'web.yaml',
  line: 7,
  col: 3,
  path: '/spec/advertInterval',
  message: 'must be in the range 0.01..255; got 0',
};

function input(extra: Partial<ConditionsInput> = {}): ConditionsInput {
  return {
    declared: new Map([['web', { file: 'web.yaml', line: 4 }]]),
    suspended: new Set(),
    desired: {
      containers: [container('web', 'n1'), container('web', 'n2')],
      frozen: { names: new Set(), unknownNames: false },
    },
    problems: [],
    nodes: [
      { node: 'n1', reachable: true, containers: [] },
      { node: 'n2', reachable: true, containers: [] },
    ],
    failedActions: [],
    blockedByForeign: new Map(),
    ...extra,
  };
}

const cases: [string, Partial<ConditionsInput>, string, string, string][] = [
  ['converged', {}, 'True', 'Converged', 'False'],
  ['suspended', { suspended: new Set(['web']) }, 'Unknown', 'Suspended', 'False'],
  ['an invalid manifest', { problems: [problem] }, 'False', 'InvalidManifest', 'True'],
  [
    'a hand-run keepalived claims its address',
    { blockedByForeign: new Map([['web', 'unmanaged keepalived on n1']]) },
    'False',
    'ForeignKeepalived',
    'True',
  ],
  [
    'an action failed',
    { failedActions: [{ vip: 'web', node: 'n2', error: 'image missing' }] },
    'False',
    'ActionFailed',
    'True',
  ],
  [
    'a target node is unreachable',
    {
      nodes: [
        { node: 'n1', reachable: true, containers: [] },
        { node: 'n2', reachable: false, error: 'connect ECONNREFUSED' },
      ],
    },
    'False',
    'NodeUnreachable',
    'True',
  ],
  [
    'another node is unreachable',
    { nodes: [{ node: 'n9', reachable: false, error: 'down' }] },
    'True',
    'Converged',
    'False',
  ],
  ['containers not current', { outOfDate: new Map([['web', 'n2: stale']]) }, 'False', 'OutOfDate', 'True'],
  ['held by no node', { holders: new Map([['web', []]]) }, 'False', 'NotHeld', 'True'],
  ['held by two nodes', { holders: new Map([['web', ['n1', 'n2']]]) }, 'False', 'HeldByMany', 'True'],
  ['held by one node', { holders: new Map([['web', ['n1']]]) }, 'True', 'Converged', 'False'],
];

describe('vipConditions', () => {
  it.each(cases)('%s', (_, extra, ready, reason, degraded) => {
    const [web] = vipConditions(input(extra));
    expect(web?.conditions.map((c) => [c.type, c.status])).toEqual([
      ['Ready', ready],
      ['Degraded', degraded],
    ]);
    expect(web?.conditions[0].reason).toBe(reason);
    expect(web?.declaredAt).toEqual({ file: 'web.yaml', line: 4 });
  });

  it('says where an invalid manifest is wrong, file and line', () => {
    const [web] = vipConditions(input({ problems: [problem] }));
    expect(web?.conditions[0].message).toMatch(/^web\.yaml:7: must be in the range/);
  });

  it('the most fundamental reason wins', () => {
    const [web] = vipConditions(
      input({ problems: [problem], failedActions: [{ vip: 'web', node: 'n1', error: 'x' }] }),
    );
    expect(web?.conditions[0].reason).toBe('InvalidManifest');
  });
});
