import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/core/backoff.js';

describe('backoffDelayMs', () => {
  it.each([
    [1, 5],
    [2, 10],
    [3, 20],
    [10, 1000],
    [1000, 1000],
  ])('attempt %i waits %i ms (base 5, cap 1000)', (attempt, expected) => {
    expect(backoffDelayMs(attempt, { baseMs: 5, maxMs: 1000 })).toBe(expected);
  });
});
