import { describe, expect, it } from 'vitest';
import { CHAOS_KINDS, faultSchedule, parseKinds, seededRandom } from '../../bench/chaos-bench.js';

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

  it('takes only the kinds it is given; the default schedule is unchanged', () => {
    const schedule = faultSchedule(3, seededRandom(1), ['container-rm', 'container-rm-one']);
    expect(schedule).toHaveLength(6);
    expect(new Set(schedule)).toEqual(new Set(['container-rm', 'container-rm-one']));
    expect(faultSchedule(4, seededRandom(1), parseKinds(''))).toEqual(faultSchedule(4, seededRandom(1)));
  });
});

describe('parseKinds', () => {
  it('names default and extra kinds, and refuses others by name', () => {
    expect(parseKinds('container-rm-one, link-cut')).toEqual(['container-rm-one', 'link-cut']);
    expect(() => parseKinds('rm')).toThrow('unknown fault kind "rm"');
  });
});
