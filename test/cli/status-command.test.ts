import { describe, expect, it } from 'vitest';
import { crashLoopsText } from '../../src/cli/status-command.js';

describe('crashLoopsText', () => {
  it('nothing when the daemon recorded none, or never recorded', () => {
    expect(crashLoopsText(undefined)).toBe('');
    expect(crashLoopsText({ recordedAtMs: 0, crashLoops: [] })).toBe('');
  });

  it('says when the daemon recorded them, then one line per container', () => {
    expect(
      crashLoopsText({
        recordedAtMs: Date.parse('2026-12-01T14:00:00.000Z'),
        crashLoops: [
          {
            vip: 'web',
            node: 'n2',
            container: 'keepalived-web',
            replacements: 3,
            reason: 'stopped 3 times within 60 s; last log lines: keepalived: broken build',
          },
        ],
      }),
    ).toBe(
      [
        'crash loops, as the acting reconciler recorded them at 2026-12-01T14:00:00.000Z:',
        '  crash loop: VIP web on n2 (container keepalived-web): replaced 3 times: "stopped 3 times within 60 s; last log lines: keepalived: broken build"',
      ].join('\n'),
    );
  });
});
