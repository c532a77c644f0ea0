import type { NodeDirectory, NodeRuntime } from '../ports.js';

/** Thrown instead of changing a node when this reconciler may no longer act. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  constructor(node: string) {
    super(`${node}: not acting: this reconciler no longer holds the right to act (another one may)`);
  }
}

/**
 * A NodeDirectory whose runtimes refuse every change (create, start, reloadWithPriority, remove,
 * removeAddresses) once `mayAct` says no: the fence that keeps a reconciler whose lease lapsed
 * mid-pass from acting beside the new holder. Reads pass through, so a fenced pass still reports what it saw.
 */
export function fencedDirectory(directory: NodeDirectory, mayAct: () => boolean): NodeDirectory {
  const wrapped = new WeakMap<NodeRuntime, NodeRuntime>();
  const fence = (runtime: NodeRuntime): NodeRuntime => {
    let fenced = wrapped.get(runtime);
    if (!fenced) {
      fenced = fencedRuntime(runtime, mayAct);
      wrapped.set(runtime, fenced);
    }
    return fenced;
  };
  const result: NodeDirectory = {
    async nodes(manifests) {
      const found = await directory.nodes(manifests);
      return {
        nodes: found.nodes,
        runtimes: new Map([...found.runtimes].map(([name, runtime]) => [name, fence(runtime)])),
      };
    },
  };
  const changes = directory.changes?.bind(directory);
  if (changes) result.changes = changes;
  const refresh = directory.refresh?.bind(directory);
  if (refresh) result.refresh = refresh;
  return result;
}

function fencedRuntime(runtime: NodeRuntime, mayAct: () => boolean): NodeRuntime {
  const check = (): void => {
    if (!mayAct()) throw new FencedError(runtime.node);
  };
  return {
    node: runtime.node,
    listContainers: () => runtime.listContainers(),
    create: async (desired, options) => {
      check();
      return runtime.create(desired, options);
    },
    start: async (id) => {
      check();
      return runtime.start(id);
    },
    reloadWithPriority: async (name, priority, options) => {
      check();
      return runtime.reloadWithPriority(name, priority, options);
    },
    remove: async (id) => {
      check();
      return runtime.remove(id);
    },
    removeAddresses: async (addresses, via) => {
      check();
      return runtime.removeAddresses(addresses, via);
    },
    probe: (id, addresses) => runtime.probe(id, addresses),
    readAddresses: (image) => runtime.readAddresses(image),
    reports: (id) => runtime.reports(id),
    recentLogs: (id) => runtime.recentLogs(id),
    recentRejection: (id, withinMs) => runtime.recentRejection(id, withinMs),
    events: () => runtime.events(),
  };
}
