/**
 * Property: a plan converges in one step. For random desired and actual states, applying the plan
 * to the actual state (with a pure simulator of the Docker side) and planning again yields no
 * action; and no plan ever touches a frozen VIP or an unreachable node.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planActions } from '../../src/core/plan.js';
import type {
  Action,
  ActualContainer,
  ActualState,
  DesiredState,
  NodeObservation,
} from '../../src/core/types.js';
import { desiredContainer } from './plan-fixtures.js';

const VIPS = ['a', 'b', 'c', 'd'];
const NODES = ['n1', 'n2', 'n3', 'n4'];
const HASHES = ['h1', 'h2'];

const desiredArb: fc.Arbitrary<DesiredState> = fc
  .record({
    placements: fc.uniqueArray(
      fc.record({
        vip: fc.constantFrom(...VIPS),
        node: fc.constantFrom(...NODES),
        hash: fc.constantFrom(...HASHES),
      }),
      { selector: (p) => `${p.vip}@${p.node}`, maxLength: 12 },
    ),
    frozen: fc.subarray(VIPS),
    unknownNames: fc.boolean(),
  })
  .map(({ placements, frozen, unknownNames }) => ({
    containers: placements.map((p) => desiredContainer(p.vip, p.node, p.hash)),
    frozen: { names: new Set(frozen), unknownNames },
  }));

// A container named keepalived-<x> always carries vip label x (the reconciler names them so);
// strays carry another name.
const containerArb = fc.record({
  vip: fc.constantFrom(...VIPS),
  stray: fc.constantFrom(undefined, 'old', 'copy'),
  hash: fc.constantFrom(...HASHES, 'h0'),
  running: fc.boolean(),
});

const observationArb = (node: string): fc.Arbitrary<NodeObservation> =>
  fc
    .oneof(
      {
        weight: 4,
        arbitrary: fc.uniqueArray(containerArb, {
          selector: (c) => `${c.vip}/${c.stray ?? ''}`,
          maxLength: 5,
        }),
      },
      { weight: 1, arbitrary: fc.constant(undefined) },
    )
    .map((containers) =>
      containers === undefined
        ? { node, reachable: false as const, error: 'down' }
        : {
            node,
            reachable: true as const,
            containers: containers.map((c) => {
              const name = c.stray === undefined ? `keepalived-${c.vip}` : `${c.vip}-${c.stray}`;
              return { id: `${node}/${name}`, name, node, vip: c.vip, specHash: c.hash, running: c.running };
            }),
          },
    );

const actualArb: fc.Arbitrary<ActualState> = fc.record({
  nodes: fc.tuple(...NODES.map(observationArb)),
  holders: fc.dictionary(fc.constantFrom(...VIPS), fc.constantFrom(...NODES)),
});

let nextId = 0;

/** What the Docker adapters would make of the actions, without Docker. */
function apply(state: ActualState, actions: readonly Action[]): ActualState {
  const nodes = state.nodes.map((o) => (o.reachable ? { ...o, containers: [...o.containers] } : o));
  for (const action of actions) {
    const observation = nodes.find((o) => o.node === action.node);
    if (!observation?.reachable) throw new Error(`action on unreachable node: ${action.node}`);
    const containers = observation.containers as ActualContainer[];
    const indexOf = (id: string): number => {
      const index = containers.findIndex((c) => c.id === id);
      if (index < 0) throw new Error(`no container ${id} on ${action.node}`);
      return index;
    };
    const add = (): void => {
      const { desired } = action as Extract<Action, { desired: unknown }>;
      if (containers.some((c) => c.name === desired.name)) throw new Error(`name taken: ${desired.name}`);
      containers.push({
        id: `new${nextId++}`,
        name: desired.name,
        node: desired.node,
        vip: desired.vip,
        specHash: desired.specHash,
        running: true,
      });
    };
    switch (action.kind) {
      case 'create':
        add();
        break;
      case 'replace':
        containers.splice(indexOf(action.existingId), 1);
        add();
        break;
      case 'start':
        containers[indexOf(action.existingId)] = {
          ...containers[indexOf(action.existingId)]!,
          running: true,
        };
        break;
      case 'remove':
        containers.splice(indexOf(action.existingId), 1);
        break;
      case 'raise-priority':
      case 'restore-priority':
        // A reload changes the running config only: nothing the listing shows.
        break;
    }
  }
  return { ...state, nodes };
}

/** Problems left in `actual` after a plan, judged without the planner: the oracle of convergence. */
function divergence(desired: DesiredState, actual: ActualState): string[] {
  const declared = new Set(desired.containers.map((c) => c.vip));
  const protectedVip = (vip: string): boolean =>
    desired.frozen.names.has(vip) || (desired.frozen.unknownNames && !declared.has(vip));
  const problems: string[] = [];
  for (const observation of actual.nodes) {
    if (!observation.reachable) continue;
    const wanted = desired.containers.filter((c) => c.node === observation.node && !protectedVip(c.vip));
    for (const want of wanted) {
      const ok = observation.containers.some(
        (c) => c.name === want.name && c.specHash === want.specHash && c.running,
      );
      if (!ok) problems.push(`${want.vip}@${want.node} not running with ${want.specHash}`);
    }
    for (const have of observation.containers) {
      const expected = wanted.some((w) => w.vip === have.vip && w.name === have.name);
      if (!expected && !protectedVip(have.vip))
        problems.push(`${have.name} (${have.vip}) left on ${have.node}`);
    }
  }
  return problems;
}

describe('planActions properties', () => {
  it('reaches the desired state in one plan', () => {
    fc.assert(
      fc.property(desiredArb, actualArb, (desired, actual) => {
        expect(divergence(desired, apply(actual, planActions(desired, actual)))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('converges in one step', () => {
    fc.assert(
      fc.property(desiredArb, actualArb, (desired, actual) => {
        const actions = planActions(desired, actual);
        expect(planActions(desired, apply(actual, actions))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('never touches frozen VIPs, nor undeclared VIPs when names are unknown', () => {
    fc.assert(
      fc.property(desiredArb, actualArb, (desired, actual) => {
        const declared = new Set(desired.containers.map((c) => c.vip));
        for (const action of planActions(desired, actual)) {
          expect(desired.frozen.names.has(action.vip)).toBe(false);
          if (desired.frozen.unknownNames) expect(declared.has(action.vip)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('puts every action on the holder after all others of its VIP', () => {
    fc.assert(
      fc.property(desiredArb, actualArb, (desired, actual) => {
        const actions = planActions(desired, actual);
        for (const [vip, holder] of Object.entries(actual.holders)) {
          const nodes = actions.filter((x) => x.vip === vip).map((x) => x.node === holder);
          expect(nodes).toEqual([...nodes].sort((x, y) => Number(x) - Number(y)));
        }
      }),
      { numRuns: 300 },
    );
  });
});
