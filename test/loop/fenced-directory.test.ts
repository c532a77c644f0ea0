import { EMPTY } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FencedError, fencedDirectory } from '../../src/loop/fenced-directory.js';
import type { ManifestSet, NodeDirectory, NodeRuntime } from '../../src/ports.js';

describe('fencedDirectory', () => {
  it('refuses every change once mayAct says no, and still reads', async () => {
    const calls: string[] = [];
    const runtime: NodeRuntime = {
      node: 'n1',
      listContainers: async () => (calls.push('list'), { managed: [], foreign: [] }),
      create: async () => void calls.push('create'),
      start: async () => void calls.push('start'),
      reloadWithPriority: async () => (calls.push('reload'), { reloaded: true }),
      remove: async () => void calls.push('remove'),
      probe: async () => (calls.push('probe'), { state: 'BACKUP', heldAddresses: [] }),
      events: () => EMPTY,
      reports: () => EMPTY,
      recentLogs: async () => '',
      recentRejection: async () => (calls.push('recentRejection'), undefined),
      removeAddresses: async () => (calls.push('removeAddresses'), { removed: [], skippedMaster: false }),
      readAddresses: async () => (calls.push('readAddresses'), []),
    };
    const inner: NodeDirectory = { nodes: async () => ({ nodes: [], runtimes: new Map([['n1', runtime]]) }) };
    let allowed = true;
    const directory = fencedDirectory(inner, () => allowed);
    const fenced = (await directory.nodes({} as ManifestSet)).runtimes.get('n1');
    if (!fenced) throw new Error('no runtime');
    await fenced.start('c1');
    allowed = false;
    await expect(fenced.create({} as never)).rejects.toBeInstanceOf(FencedError);
    await expect(fenced.start('c1')).rejects.toThrow(/n1: not acting/);
    await expect(fenced.remove('c1')).rejects.toBeInstanceOf(FencedError);
    await expect(fenced.reloadWithPriority('keepalived-v', 254)).rejects.toBeInstanceOf(FencedError);
    await expect(
      fenced.removeAddresses(['198.18.0.100'], { kind: 'own', containerId: 'c1' }),
    ).rejects.toBeInstanceOf(FencedError);
    await fenced.listContainers();
    await fenced.probe('c1', []);
    // Reading a node's addresses changes nothing: allowed without the right to act.
    await fenced.readAddresses('image');
    await fenced.recentRejection('c1', 5000);
    expect(calls).toEqual(['start', 'list', 'probe', 'readAddresses', 'recentRejection']);
    // The same runtime object every pass, so event streams keyed by it are kept.
    expect((await directory.nodes({} as ManifestSet)).runtimes.get('n1')).toBe(fenced);
  });
});
