/**
 * What a pass costs when nothing changed (issue 12 item 6): one container list per node, no write,
 * no probe, no manifest read, no parse. Counted on fakes of the ports (pure pass logic); the scale
 * bench prints the same counts for hundreds of simulated nodes.
 */
import { pino } from 'pino';
import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ActualContainer, ClusterNode } from '../../src/core/types.js';
import { runPass, type PassDeps } from '../../src/loop/pass.js';
import { PassInputsCache } from '../../src/loop/pass-inputs.js';
import { contentRevision } from '../../src/manifest/content-revision.js';
import { parseSnapshot } from '../../src/manifest/parse-manifests.js';
import { validateAgainstNodes } from '../../src/manifest/validate-against-nodes.js';
import type { NodeRuntime } from '../../src/ports.js';

const NODES = ['n1', 'n2', 'n3'];

const vipText = (name: string, address: string) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${name} }\nspec:\n  addresses: [${address}]\n` +
  `  nodes: [${NODES.map((n, i) => `{ name: ${n}, priority: ${100 + i} }`).join(', ')}]\n`;

interface Counts {
  reads: number;
  parses: number;
  /** Validations against the nodes (each one followed by rendering the desired state). */
  validates: number;
  swarmLists: number;
  lists: Record<string, number>;
  writes: number;
  probes: number;
}

/** A node whose engine is an in-memory table; every call is counted by kind. */
function countingRuntime(node: string, counts: Counts): NodeRuntime {
  const containers = new Map<string, ActualContainer>();
  const write = () => {
    counts.writes += 1;
  };
  return {
    node,
    listContainers: async () => {
      counts.lists[node] = (counts.lists[node] ?? 0) + 1;
      return { managed: [...containers.values()].map((c) => ({ ...c })), foreign: [] };
    },
    create: async (d) => {
      write();
      containers.set(d.name, {
        id: d.name,
        name: d.name,
        node,
        vip: d.vip,
        specHash: d.specHash,
        running: true,
      });
    },
    start: async () => write(),
    reloadWithPriority: async () => (write(), { reloaded: true }),
    remove: async () => write(),
    removeAddresses: async () => {
      write();
      return { removed: [], skippedMaster: false };
    },
    probe: async () => {
      counts.probes += 1;
      return { state: 'BACKUP', heldAddresses: [] };
    },
    recentLogs: async () => {
      counts.probes += 1;
      return '';
    },
    recentRejection: async () => {
      counts.probes += 1;
      return undefined;
    },
    readAddresses: async () => {
      counts.probes += 1;
      return [];
    },
    events: () => EMPTY,
    reports: () => EMPTY,
  };
}

function countingDeps(counts: Counts, env: NodeJS.ProcessEnv = { VRRP_PASSWORD_DB: 'secret1' }): PassDeps {
  const files = [
    { path: 'web.yaml', text: vipText('web', '198.18.0.100/24') },
    {
      path: 'db.yaml',
      text: `${vipText('db', '198.18.0.101/24')}  authentication: { passwordEnv: VRRP_PASSWORD_DB }\n`,
    },
  ];
  const nodes: ClusterNode[] = NODES.map((name, i) => ({
    name,
    role: 'manager',
    labels: {},
    addresses: [`198.18.0.${i + 1}`],
  }));
  const runtimes = new Map(NODES.map((n) => [n, countingRuntime(n, counts)]));
  let swarmRead = false;
  return {
    manifests: {
      snapshot: async () => {
        counts.reads += 1;
        return { revision: contentRevision(files), files, unreadable: [] };
      },
    },
    parse: (snapshot) => {
      counts.parses += 1;
      return parseSnapshot(snapshot);
    },
    validate: (set, nodes, revision) => {
      counts.validates += 1;
      return validateAgainstNodes(set, nodes, revision);
    },
    directory: {
      nodes: async () => {
        if (!swarmRead) counts.swarmLists += 1;
        swarmRead = true;
        return { nodes, runtimes };
      },
      refresh: () => (swarmRead = false),
    },
    adopt: false,
    passwords: { env, envPrefix: 'VRRP_PASSWORD', dirs: [] },
    log: pino({ level: 'silent' }),
  };
}

const zero = (): Counts => ({
  reads: 0,
  parses: 0,
  validates: 0,
  swarmLists: 0,
  lists: {},
  writes: 0,
  probes: 0,
});

describe('a no-op pass', () => {
  it('lists each node once and writes, probes, reads and parses nothing', async () => {
    const counts = zero();
    const deps = countingDeps(counts);
    const cache = new PassInputsCache(deps);
    const first = await runPass(deps, cache);
    // The first pass did the work, so the counters below would see it if anything were redone.
    expect(first.plan).toHaveLength(6);
    expect(counts).toMatchObject({ reads: 1, parses: 1, validates: 1, swarmLists: 1, writes: 6 });

    Object.assign(counts, zero());
    const noop = await runPass(deps, cache);
    expect(noop.plan).toEqual([]);
    expect(noop.requeue).toEqual({ kind: 'none' });
    expect(counts).toEqual({
      reads: 0,
      parses: 0,
      validates: 0,
      swarmLists: 0,
      lists: { n1: 1, n2: 1, n3: 1 },
      writes: 0,
      probes: 0,
    });
  });

  /** A cache after a first pass that created every container, with the counters reset. */
  async function converged(env?: NodeJS.ProcessEnv) {
    const counts = zero();
    const deps = countingDeps(counts, env);
    const cache = new PassInputsCache(deps);
    await runPass(deps, cache);
    Object.assign(counts, zero());
    return { counts, deps, cache };
  }

  it.each([
    {
      what: 'after the manifest watch fires with the same content',
      trigger: 'manifestsChanged',
      swarmLists: 0,
    },
    {
      what: 'after the resync with nothing changed (passwords read again)',
      trigger: 'resync',
      swarmLists: 1,
    },
  ] as const)(
    '$what: one manifest read, no parse, no validation, no write',
    async ({ trigger, swarmLists }) => {
      const { counts, deps, cache } = await converged();
      cache[trigger]();
      const noop = await runPass(deps, cache);
      expect(noop.plan).toEqual([]);
      expect(counts).toEqual({
        reads: 1,
        parses: 0,
        validates: 0,
        swarmLists,
        lists: { n1: 1, n2: 1, n3: 1 },
        writes: 0,
        probes: 0,
      });
    },
  );

  it('a resync after a VRRP password changed renders it: the VIP whose password changed is replaced', async () => {
    const env: NodeJS.ProcessEnv = { VRRP_PASSWORD_DB: 'secret1' };
    const { counts, deps, cache } = await converged(env);
    env.VRRP_PASSWORD_DB = 'secret2';
    // Without a resync nothing reads the variable again (it has no watch).
    expect((await runPass(deps, cache)).plan).toEqual([]);
    cache.resync();
    const rotated = await runPass(deps, cache);
    expect(counts.validates).toBe(1);
    expect(new Set(rotated.plan.map((a) => `${a.kind} ${a.vip}`))).toEqual(new Set(['replace db']));
  });

  it('a resync after a password went missing freezes that VIP and reports it; the other VIP is untouched', async () => {
    const env: NodeJS.ProcessEnv = { VRRP_PASSWORD_DB: 'secret1' };
    const { deps, cache } = await converged(env);
    delete env.VRRP_PASSWORD_DB;
    cache.resync();
    const missing = await runPass(deps, cache);
    expect(missing.plan).toEqual([]);
    expect(missing.problems.map((p) => p.vip)).toEqual(['db']);
  });
});
