import type {
  Action,
  ActualContainer,
  ActualState,
  DesiredContainer,
  DesiredState,
  NodeObservation,
} from '../../src/core/types.js';
import { LABEL_MANAGED, LABEL_SPEC_HASH, LABEL_VIP } from '../../src/core/types.js';

export function desiredContainer(
  vip: string,
  node: string,
  specHash: string,
  priority = 100,
): DesiredContainer {
  return {
    vip,
    node,
    name: `keepalived-${vip}`,
    image: 'img',
    labels: { [LABEL_MANAGED]: 'true', [LABEL_VIP]: vip, [LABEL_SPEC_HASH]: specHash },
    command: ['sh', '-c', 'true'],
    files: [],
    fileDelivery: 'environment',
    specHash,
    priority,
    addresses: ['198.18.0.100'],
  };
}

export function actualContainer(
  vip: string,
  node: string,
  specHash: string,
  running = true,
  name = `keepalived-${vip}`,
): ActualContainer {
  return { id: `${node}/${name}`, name, node, vip, specHash, running };
}

export function desired(
  containers: DesiredContainer[],
  frozen: string[] = [],
  unknownNames = false,
): DesiredState {
  return { containers, frozen: { names: new Set(frozen), unknownNames } };
}

/** Reachable nodes with the given containers (nodes listed in `reachable` appear even when empty). */
export function actual(
  containers: ActualContainer[],
  opts: { reachable?: string[]; unreachable?: string[]; holders?: Record<string, string> } = {},
): ActualState {
  const names = new Set([...(opts.reachable ?? []), ...containers.map((c) => c.node)]);
  for (const n of opts.unreachable ?? []) names.delete(n);
  const nodes: NodeObservation[] = [...names].sort().map((node) => ({
    node,
    reachable: true as const,
    containers: containers.filter((c) => c.node === node),
  }));
  for (const node of opts.unreachable ?? [])
    nodes.push({ node, reachable: false, error: 'connection refused' });
  return { nodes, holders: opts.holders ?? {} };
}

/** `kind vip@node (container): reason`, one string per action, for readable expectations. */
export function describeActions(actions: readonly Action[]): string[] {
  return actions.map((a) => `${a.kind} ${a.vip}@${a.node} ${a.container}: ${a.reason}`);
}
