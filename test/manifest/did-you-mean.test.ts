import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../../src/manifest/did-you-mean.js';

const fields = ['addresses', 'virtualRouterId', 'nodes', 'nodeSelector', 'interface', 'preempt', 'image'];

describe('didYouMean', () => {
  it.each([
    ['adresses', 'addresses'],
    ['adress', 'addresses'],
    ['virtualRouterID', 'virtualRouterId'],
    ['node', 'nodes'],
    ['nodeselector', 'nodeSelector'],
    ['premept', 'preempt'],
    ['colour', undefined],
    ['x', undefined],
  ])('%s → %s', (word, expected) => {
    expect(didYouMean(word, fields)).toBe(expected);
  });
});

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
  ])('%s, %s: %i', (a, b, expected) => {
    expect(editDistance(a, b)).toBe(expected);
    expect(editDistance(b, a)).toBe(expected);
  });
});
