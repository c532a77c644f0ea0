import { describe, expect, it } from 'vitest';
import { CHAOS_KINDS, faultSchedule, seededRandom } from '../../bench/chaos-bench.js';

describe('faultSchedule', () => {
  it('repeats a run fault for fault from its seed', () => {
    expect(faultSchedule(3, seededRandom(7))).toEqual(faultSchedule(3, seededRandom(7)));
    expect(faultSchedule(3, seededRandom(7))).not.toEqual(faultSchedule(3, seededRandom(8)));
  });

  it('holds every kind exactly `rounds` times', () => {
    const schedule = faultSchedule(4, seededRandom(1));
    expect(schedule).toHaveLength(4 * CHAOS_KINDS.length);
    for (const kind of CHAOS_KINDS) expect(schedule.filter((k) => k === kind)).toHaveLength(4);
  });
});
