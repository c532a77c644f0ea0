import { describe, expect, it } from 'vitest';
import { Throttle } from '../../src/loop/throttle.js';

describe('Throttle', () => {
  it('runs once per interval for each key, the interval starting when it ran', () => {
    let nowMs = 0;
    const ran: string[] = [];
    const throttle = new Throttle(() => nowMs);
    const look = (key: string) => throttle.run(key, 2000, () => ran.push(`${key}@${nowMs}`));
    look('a');
    look('b');
    nowMs = 1999;
    look('a');
    nowMs = 2000;
    look('a');
    look('b');
    nowMs = 3000;
    look('a');
    expect(ran).toEqual(['a@0', 'b@0', 'a@2000', 'b@2000']);
  });
});
