import { describe, expect, it } from 'vitest';
import {
  chooseRemovalRoute,
  isRoute,
  type RemovalDecision,
  type RemovalFacts,
} from '../../src/core/address-removal-route.js';

const own = { id: 'own-id', name: 'keepalived-web', vip: 'web' };
const sibling = { id: 'sib-id', name: 'keepalived-db', vip: 'db' };
const base: RemovalFacts = {
  vip: 'web',
  running: [],
  keepalived: 'stopped',
  targeted: true,
  startsHadTheirChance: false,
  image: 'keepalived:2',
};

describe('chooseRemovalRoute', () => {
  it.each<[string, Partial<RemovalFacts>, RemovalDecision]>([
    [
      'the VIP runs on the node: its own container (which refuses if its keepalived is MASTER)',
      { running: [sibling, own], keepalived: 'not-master' },
      { kind: 'own', containerId: 'own-id' },
    ],
    [
      'its container stopped (rm -f, docker kill) beside another VIP’s keepalived: that one, at once',
      { running: [sibling] },
      { kind: 'sibling', containerId: 'sib-id', container: 'keepalived-db' },
    ],
    [
      'its container stopped, nothing else of ours runs there: the start that is coming clears it',
      {},
      { kind: 'wait-for-start' },
    ],
    [
      'no container of the VIP on a target node (one may be starting unseen): the start clears it',
      { running: [sibling], keepalived: 'absent' },
      { kind: 'wait-for-start' },
    ],
    [
      'starts had their chance (crash loop) and another VIP’s keepalived runs there: that one',
      { running: [sibling], keepalived: 'absent', startsHadTheirChance: true },
      { kind: 'sibling', containerId: 'sib-id', container: 'keepalived-db' },
    ],
    [
      'starts had their chance, nothing of ours runs there: a helper container',
      { keepalived: 'absent', startsHadTheirChance: true },
      { kind: 'helper', image: 'keepalived:2' },
    ],
    [
      'a node the VIP does not target, another VIP’s keepalived there: that one, no helper',
      { running: [sibling], keepalived: 'absent', targeted: false },
      { kind: 'sibling', containerId: 'sib-id', container: 'keepalived-db' },
    ],
    [
      'a node the VIP does not target, nothing of ours there: a helper container',
      { keepalived: 'absent', targeted: false },
      { kind: 'helper', image: 'keepalived:2' },
    ],
    [
      'nothing runs there and no image to start a helper from',
      { keepalived: 'absent', targeted: false, image: undefined },
      { kind: 'none', why: 'no way to reach the node' },
    ],
  ])('%s', (_name, facts, want) => {
    expect(chooseRemovalRoute({ ...base, ...facts })).toEqual(want);
  });

  it('only own, sibling and helper are routes to act on now', () => {
    expect(isRoute({ kind: 'own', containerId: 'x' })).toBe(true);
    expect(isRoute({ kind: 'sibling', containerId: 'x', container: 'y' })).toBe(true);
    expect(isRoute({ kind: 'helper', image: 'i' })).toBe(true);
    expect(isRoute({ kind: 'wait-for-start' })).toBe(false);
    expect(isRoute({ kind: 'none', why: 'w' })).toBe(false);
  });
});
