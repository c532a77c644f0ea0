import { EMPTY } from 'rxjs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { applyPlan, rolloutBatches } from '../../src/loop/apply.js';
import type { Action, DesiredContainer } from '../../src/core/types.js';
import type { NodeRuntime } from '../../src/ports.js';

/** Records calls in order; a call on a node listed in `failOn` rejects. */
function recordingRuntimes(nodes: string[], failOn: string[] = []) {
  const calls: string[] = [];
  const runtimes = new Map<string, NodeRuntime>();
  for (const node of nodes) {
    const act = async (what: string) => {
      await new Promise((r) => setTimeout(r, 1));
      calls.push(`${node}:${what}`);
      if (failOn.includes(node)) throw new Error(`${node} refused`);
    };
    runtimes.set(node, {
      node,
      listContainers: async () => ({ managed: [], foreign: [] }),
      create: (d) => act(`create ${d.name}`),
      start: (id) => act(`start ${id}`),
      remove: (id) => act(`remove ${id}`),
      probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
      events: () => EMPTY,
      reports: () => EMPTY,
      removeAddresses: async () => ({ removed: [], skippedMaster: false }),
      recentLogs: async () => '',
    });
  }
  return { calls, runtimes };
}

const desired = (vip: string, node: string): DesiredContainer => ({
  vip,
  node,
  name: `keepalived-${vip}`,
  image: 'img',
  labels: {},
  command: [],
  files: [],
  specHash: 'h',
  priority: 100,
  addresses: [],
});

const replace = (vip: string, node: string): Action => ({
  kind: 'replace',
  vip,
  node,
  container: `keepalived-${vip}`,
  existingId: `${vip}-${node}`,
  desired: desired(vip, node),
  reason: 'spec hash a → b',
});

const remove = (vip: string, node: string): Action => ({
  kind: 'remove',
  vip,
  node,
  container: `keepalived-${vip}`,
  existingId: `${vip}-${node}`,
  reason: 'VIP deleted',
});

const create = (vip: string, node: string): Action => ({
  kind: 'create',
  vip,
  node,
  container: `keepalived-${vip}`,
  desired: desired(vip, node),
  reason: 'missing',
});

const silent = pino({ level: 'silent' });

describe('rolloutBatches', () => {
  it('lets neighbouring creates/starts run together; each replace or remove runs alone, in plan order', () => {
    const steps = [
      create('web', 'n4'),
      create('web', 'n5'),
      replace('web', 'n2'),
      replace('web', 'n3'),
      replace('web', 'n1'),
    ];
    expect(rolloutBatches(steps).map((batch) => batch.map((a) => `${a.kind}@${a.node}`))).toEqual([
      ['create@n4', 'create@n5'],
      ['replace@n2'],
      ['replace@n3'],
      ['replace@n1'],
    ]);
  });

  it('removes all of a VIP at once when it only goes away (nothing new coming, no holder to protect)', () => {
    const steps = [remove('gone', 'n2'), remove('gone', 'n3'), remove('gone', 'n1')];
    expect(rolloutBatches(steps).map((batch) => batch.map((a) => `${a.kind}@${a.node}`))).toEqual([
      ['remove@n2', 'remove@n3', 'remove@n1'],
    ]);
  });

  it('keeps removes one at a time beside a replace', () => {
    const steps = [replace('web', 'n1'), remove('web', 'n2'), remove('web', 'n3')];
    expect(rolloutBatches(steps)).toHaveLength(3);
  });
});

describe('applyPlan', () => {
  it('runs one VIP in plan order (remove before create on each node) and finishes each step before the next', async () => {
    const { calls, runtimes } = recordingRuntimes(['n1', 'n2', 'n3']);
    await applyPlan([replace('web', 'n2'), replace('web', 'n3'), replace('web', 'n1')], runtimes, silent);
    expect(calls).toEqual([
      'n2:remove web-n2',
      'n2:create keepalived-web',
      'n3:remove web-n3',
      'n3:create keepalived-web',
      'n1:remove web-n1',
      'n1:create keepalived-web',
    ]);
  });

  it('skips the rest of a VIP rollout after a failed step (the holder keeps its container), other VIPs go on', async () => {
    const { calls, runtimes } = recordingRuntimes(['n1', 'n2', 'n3'], ['n2']);
    const outcomes = await applyPlan(
      [replace('web', 'n2'), replace('web', 'n1'), replace('db', 'n3')],
      runtimes,
      silent,
    );
    expect(outcomes.map((o) => `${o.action.vip}@${o.action.node}:${o.result}`)).toEqual([
      'web@n2:failed',
      'web@n1:skipped',
      'db@n3:done',
    ]);
    expect(calls).not.toContain('n1:remove web-n1');
  });
});
