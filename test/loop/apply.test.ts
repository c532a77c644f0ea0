import { EMPTY } from 'rxjs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { applyPlan, mustJoinVrrpFirst, rolloutBatches } from '../../src/loop/apply.js';
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
      create: (d, options) => act(`create ${d.name}${options?.awaitVrrp ? ' +vrrp' : ''}`),
      start: (id) => act(`start ${id}`),
      reloadWithPriority: async (name, priority, options) => {
        const wait = options?.awaitMasterWithinMs;
        await act(`reload ${name} ${priority}${wait === undefined ? '' : ` +master ${wait}`}`);
        return wait === undefined ? { reloaded: true } : { reloaded: true, master: true };
      },
      remove: (id) => act(`remove ${id}`),
      probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
      events: () => EMPTY,
      reports: () => EMPTY,
      removeAddresses: async () => ({ removed: [], skippedMaster: false }),
      readAddresses: async () => [],
      recentLogs: async () => '',
      recentRejection: async () => undefined,
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
  fileDelivery: 'environment',
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
      'n2:create keepalived-web +vrrp',
      'n3:remove web-n3',
      'n3:create keepalived-web +vrrp',
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

describe('applyPlan hand-over boost', () => {
  const at = (vip: string, node: string) => ({ vip, node, container: `keepalived-${vip}` });
  const raise = (vip: string, node: string): Action => ({
    kind: 'raise-priority',
    ...at(vip, node),
    reason: 'hand-over',
    boost: { priority: 254, holder: 'n1', withinMs: 3500 },
  });
  const restore = (vip: string, node: string): Action => ({
    kind: 'restore-priority',
    ...at(vip, node),
    reason: 'hand-over done',
    priority: 100,
  });

  it('raises the successor and waits for MASTER before the holder goes, and restores it after', async () => {
    const { calls, runtimes } = recordingRuntimes(['n1', 'n2']);
    const outcomes = await applyPlan(
      [replace('web', 'n2'), raise('web', 'n2'), replace('web', 'n1'), restore('web', 'n2')],
      runtimes,
      silent,
    );
    expect(outcomes.every((o) => o.result === 'done')).toBe(true);
    expect(calls).toEqual([
      'n2:remove web-n2',
      'n2:create keepalived-web +vrrp',
      'n2:reload keepalived-web 254 +master 3500',
      'n1:remove web-n1',
      'n1:create keepalived-web',
      'n2:reload keepalived-web 100',
    ]);
  });

  it.each([
    ['the holder step', ['n1']],
    ['the raise itself', ['n3']],
  ])('restores the successor even when %s fails; the rest is skipped', async (_what, failOn) => {
    const { calls, runtimes } = recordingRuntimes(['n1', 'n3'], failOn);
    const outcomes = await applyPlan(
      [raise('web', 'n3'), replace('web', 'n1'), restore('web', 'n3')],
      runtimes,
      silent,
    );
    const results = outcomes.map((o) => `${o.action.kind}:${o.result}`);
    expect(calls.at(-1)).toBe('n3:reload keepalived-web 100');
    expect(results.at(-1)).toBe(failOn.includes('n3') ? 'restore-priority:failed' : 'restore-priority:done');
    expect(results.slice(0, 2)).toEqual(
      failOn.includes('n3')
        ? ['raise-priority:failed', 'replace:skipped']
        : ['raise-priority:done', 'replace:failed'],
    );
  });
});

describe('mustJoinVrrpFirst', () => {
  it.each([
    {
      name: "a fresh VIP's creates (no holder to protect)",
      steps: [create('v', 'n1'), create('v', 'n2')],
      want: [false, false],
    },
    {
      name: 'creates before replaces, replaces before the last',
      steps: [create('v', 'n4'), replace('v', 'n2'), replace('v', 'n1')],
      want: [true, true, false],
    },
    { name: 'a lone replace', steps: [replace('v', 'n1')], want: [false] },
  ])('$name', ({ steps, want }) => {
    expect(steps.map((_, i) => mustJoinVrrpFirst(steps, i))).toEqual(want);
  });
});

describe('applyPlan concurrency', () => {
  it('never has more than maxParallelActions actions in flight, over all VIPs', async () => {
    let inFlight = 0;
    let most = 0;
    const runtimes = new Map<string, NodeRuntime>();
    const nodes = Array.from({ length: 20 }, (_, i) => `n${i}`);
    for (const node of nodes) {
      runtimes.set(node, {
        node,
        listContainers: async () => ({ managed: [], foreign: [] }),
        create: async () => {
          most = Math.max(most, ++inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
        },
        start: async () => undefined,
        reloadWithPriority: async () => ({ reloaded: true }),
        remove: async () => undefined,
        probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
        events: () => EMPTY,
        reports: () => EMPTY,
        removeAddresses: async () => ({ removed: [], skippedMaster: false }),
        readAddresses: async () => [],
        recentLogs: async () => '',
        recentRejection: async () => undefined,
      });
    }
    const plan = ['a', 'b', 'c'].flatMap((vip) => nodes.map((node) => create(vip, node)));
    const outcomes = await applyPlan(plan, runtimes, silent, { maxParallelActions: 7 });
    expect(outcomes.every((o) => o.result === 'done')).toBe(true);
    expect(outcomes).toHaveLength(60);
    expect(most).toBe(7);
  });

  it('never has more than maxParallelActionsPerNode in flight on one node, and other nodes go on meanwhile', async () => {
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const finished: string[] = [];
    const runtimes = new Map<string, NodeRuntime>();
    const nodes = ['busy', 'n1', 'n2'];
    for (const node of nodes) {
      runtimes.set(node, {
        node,
        listContainers: async () => ({ managed: [], foreign: [] }),
        create: async () => {
          inFlight.set(node, (inFlight.get(node) ?? 0) + 1);
          most.set(node, Math.max(most.get(node) ?? 0, inFlight.get(node) ?? 0));
          await new Promise((r) => setTimeout(r, 2));
          inFlight.set(node, (inFlight.get(node) ?? 0) - 1);
          finished.push(node);
        },
        start: async () => undefined,
        reloadWithPriority: async () => ({ reloaded: true }),
        remove: async () => undefined,
        probe: async () => ({ state: 'UNKNOWN', heldAddresses: [] }),
        events: () => EMPTY,
        reports: () => EMPTY,
        removeAddresses: async () => ({ removed: [], skippedMaster: false }),
        readAddresses: async () => [],
        recentLogs: async () => '',
        recentRejection: async () => undefined,
      });
    }
    // 30 VIPs on the busy node, one each on the two others.
    const vips = Array.from({ length: 30 }, (_, i) => `v${i}`);
    const plan = [...vips.map((vip) => create(vip, 'busy')), create('x', 'n1'), create('y', 'n2')];
    const outcomes = await applyPlan(plan, runtimes, silent, {
      maxParallelActions: 5,
      maxParallelActionsPerNode: 3,
    });
    expect(outcomes.every((o) => o.result === 'done')).toBe(true);
    expect(most.get('busy')).toBe(3);
    // The busy node's queue held no global slot: the other nodes ran beside its first three,
    // not after its thirty.
    expect(finished.indexOf('n1')).toBeLessThan(5);
    expect(finished.indexOf('n2')).toBeLessThan(5);
  });
});
