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
import type { NodeRuntime } from '../../src/ports.js';

const NODES = ['n1', 'n2', 'n3'];

const vipText = (name: string, address: string) =>
  `apiVersion: swarm-vip/v1\nkind: VirtualIP\nmetadata: { name: ${name} }\nspec:\n  addresses: [${address}]\n` +
  `  nodes: [${NODES.map((n, i) => `{ name: ${n}, priority: ${100 + i} }`).join(', ')}]\n`;

interface Counts {
  reads: number;
  parses: number;
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

function countingDeps(counts: Counts): PassDeps {
  const files = [
    { path: 'web.yaml', text: vipText('web', '198.18.0.100/24') },
    { path: 'db.yaml', text: vipText('db', '198.18.0.101/24') },
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
    directory: {
      nodes: async () => {
        if (!swarmRead) counts.swarmLists += 1;
        swarmRead = true;
        return { nodes, runtimes };
      },
      refresh: () => (swarmRead = false),
    },
    adopt: false,
    passwords: { env: {}, envPrefix: 'VRRP_PASSWORD', dirs: [] },
    log: pino({ level: 'silent' }),
  };
}

const zero = (): Counts => ({ reads: 0, parses: 0, swarmLists: 0, lists: {}, writes: 0, probes: 0 });

describe('a no-op pass', () => {
  it('lists each node once and writes, probes, reads and parses nothing', async () => {
    const counts = zero();
    const deps = countingDeps(counts);
    const cache = new PassInputsCache(deps);
    const first = await runPass(deps, cache);
    // The first pass did the work, so the counters below would see it if anything were redone.
    expect(first.plan).toHaveLength(6);
    expect(counts).toMatchObject({ reads: 1, parses: 1, swarmLists: 1, writes: 6 });

    Object.assign(counts, zero());
    const noop = await runPass(deps, cache);
    expect(noop.plan).toEqual([]);
    expect(noop.requeue).toEqual({ kind: 'none' });
    expect(counts).toEqual({
      reads: 0,
      parses: 0,
      swarmLists: 0,
      lists: { n1: 1, n2: 1, n3: 1 },
      writes: 0,
      probes: 0,
    });
  });

  it('after the manifest watch fires with the same content: one read, still no parse and no write', async () => {
    const counts = zero();
    const deps = countingDeps(counts);
    const cache = new PassInputsCache(deps);
    await runPass(deps, cache);
    Object.assign(counts, zero());
    cache.manifestsChanged();
    const noop = await runPass(deps, cache);
    expect(noop.plan).toEqual([]);
    expect(counts).toEqual({
      reads: 1,
      parses: 0,
      swarmLists: 0,
      lists: { n1: 1, n2: 1, n3: 1 },
      writes: 0,
      probes: 0,
    });
  });
});
