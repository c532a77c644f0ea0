import { describe, expect, it } from 'vitest';
import { demuxFrames } from '../../../src/adapters/docker/node-runtime.js';

/** One multiplexed frame as Docker sends it: stream, three zero bytes, big-endian length, payload. */
function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxFrames', () => {
  it.each([
    {
      name: 'a header whose length byte is printable ("0" = 48 bytes) leaves nothing before the line',
      raw: frame(2, 'keepalived: broken build, cannot start (exit 1)\n'),
      want: 'keepalived: broken build, cannot start (exit 1)\n',
    },
    {
      name: 'stdout and stderr frames in order',
      raw: Buffer.concat([frame(1, 'one\n'), frame(2, 'two\n'), frame(1, 'three\n')]),
      want: 'one\ntwo\nthree\n',
    },
    {
      name: 'raw output of a TTY container passes through',
      raw: Buffer.from('plain line\n'),
      want: 'plain line\n',
    },
    { name: 'shorter than a header passes through', raw: Buffer.from('abc'), want: 'abc' },
    { name: 'nothing', raw: Buffer.alloc(0), want: '' },
  ])('$name', ({ raw, want }) => {
    expect(demuxFrames(raw).toString('utf8')).toBe(want);
  });
});
