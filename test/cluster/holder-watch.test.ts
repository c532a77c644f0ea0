import { describe, expect, it } from 'vitest';
import { firstHeldAlone, gapsOf, parseMonitorLine, type HolderChange } from './holder-watch.js';

describe('parseMonitorLine', () => {
  it.each([
    [
      '2: eth0    inet 198.18.6.119/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever',
      { deleted: false, address: '198.18.6.119' },
    ],
    [
      'Deleted 2: eth0    inet 198.18.6.119/24 scope global secondary eth0\\       valid_lft forever',
      { deleted: true, address: '198.18.6.119' },
    ],
    ['3: eth0    inet6 FD00:5EED::64/64 scope global nodad', { deleted: false, address: 'fd00:5eed::64' }],
    ['2: eth0    link/ether 02:42:ac:11:00:02', undefined],
    ['', undefined],
  ])('%s', (line, parsed) => expect(parseMonitorLine(line)).toEqual(parsed));
});

const change = (atMs: number, node: string, held: boolean): HolderChange => ({ atMs, node, held });
const none = (count: number) => count === 0;
const many = (count: number) => count > 1;

describe('gapsOf', () => {
  it('a hand-over that adds before it removes loses nothing and shares for a moment', () => {
    const changes = [change(10, 'b', true), change(12, 'a', false)];
    expect(gapsOf(['a'], changes, 0, 20, none)).toEqual([]);
    expect(gapsOf(['a'], changes, 0, 20, many)).toEqual([{ fromMs: 10, toMs: 12, holders: ['a', 'b'] }]);
  });

  it('a removal before the next add is a loss from the one to the other', () => {
    const changes = [change(10, 'a', false), change(15, 'b', true)];
    expect(gapsOf(['a'], changes, 0, 20, none)).toEqual([{ fromMs: 10, toMs: 15, holders: [] }]);
  });

  it('nobody at the start and nobody at the end are open gaps closed by the bounds', () => {
    expect(gapsOf([], [], 0, 20, none)).toEqual([{ fromMs: 0, toMs: 20, holders: [] }]);
    expect(gapsOf(['a'], [change(5, 'a', false)], 0, 20, none)).toEqual([
      { fromMs: 5, toMs: 20, holders: [] },
    ]);
  });
});

describe('firstHeldAlone', () => {
  it.each([
    ['a hand-over through nobody', ['a'], [change(10, 'a', false), change(15, 'b', true)], 'b', 15],
    [
      'a hand-over that adds first: alone once the other lets go',
      ['a'],
      [change(10, 'b', true), change(12, 'a', false)],
      'b',
      12,
    ],
    [
      'the first time counts',
      ['a'],
      [change(10, 'a', false), change(15, 'b', true), change(20, 'b', false), change(25, 'b', true)],
      'b',
      15,
    ],
    ['never alone: always shared', ['a'], [change(10, 'b', true)], 'b', undefined],
    ['alone from the start is no change after it', ['b'], [], 'b', undefined],
  ])('%s', (_name, initial, changes, node, atMs) =>
    expect(firstHeldAlone({ initialHolders: initial, changes }, node)?.atMs).toBe(atMs),
  );
});
