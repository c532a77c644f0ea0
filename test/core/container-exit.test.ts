import { describe, expect, it } from 'vitest';
import { stopCountsAsCrash, type ContainerExit } from '../../src/core/container-exit.js';

describe('stopCountsAsCrash', () => {
  const cases: { name: string; exit: ContainerExit; crash: boolean }[] = [
    {
      name: 'config refused (exit 1)',
      exit: { exitCode: 1, oomKilled: false, lastState: 'UNKNOWN' },
      crash: true,
    },
    {
      name: '"already running" (exit 0, never a state)',
      exit: { exitCode: 0, oomKilled: false, lastState: 'UNKNOWN' },
      crash: true,
    },
    {
      name: 'no keepalived in the image (127)',
      exit: { exitCode: 127, oomKilled: false, lastState: 'UNKNOWN' },
      crash: true,
    },
    {
      name: 'segfault while MASTER (139)',
      exit: { exitCode: 139, oomKilled: false, lastState: 'MASTER' },
      crash: true,
    },
    {
      name: 'OOM killer (137 after an oom event)',
      exit: { exitCode: 137, oomKilled: true, lastState: 'BACKUP' },
      crash: true,
    },
    {
      name: 'kill -9 / docker kill / rm -f (137)',
      exit: { exitCode: 137, oomKilled: false, lastState: 'MASTER' },
      crash: false,
    },
    {
      name: 'SIGTERM before keepalived ran (143)',
      exit: { exitCode: 143, oomKilled: false, lastState: 'UNKNOWN' },
      crash: false,
    },
    {
      name: 'docker stop / engine shutdown (STOP, exit 0)',
      exit: { exitCode: 0, oomKilled: false, lastState: 'STOP' },
      crash: false,
    },
    {
      name: 'no exit code in the event',
      exit: { exitCode: undefined, oomKilled: false, lastState: 'BACKUP' },
      crash: false,
    },
  ];
  it.each(cases)('$name → crash: $crash', ({ exit, crash }) => {
    expect(stopCountsAsCrash(exit)).toBe(crash);
  });
});
