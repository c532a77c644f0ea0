import { describe, expect, it } from 'vitest';
import {
  ENVIRONMENT_FILES_MAX_BYTES,
  environmentFiles,
  fileDeliveryOf,
  fileEnvironment,
} from '../../src/core/container-command.js';

describe('fileDeliveryOf', () => {
  const small = { content: 'vrrp_instance web {\n}\n' };
  it.each([
    { name: 'small files, nothing secret', files: [small, small], secret: false, want: 'environment' },
    { name: 'a password in the config', files: [small], secret: true, want: 'archive' },
    {
      name: 'a NUL byte (cannot travel in an environment string)',
      files: [{ content: 'a\0b' }],
      secret: false,
      want: 'archive',
    },
    {
      name: 'exactly the cap',
      files: [{ content: 'x'.repeat(ENVIRONMENT_FILES_MAX_BYTES) }],
      secret: false,
      want: 'environment',
    },
    {
      name: 'one byte over the cap, over two files',
      files: [{ content: 'x'.repeat(ENVIRONMENT_FILES_MAX_BYTES) }, { content: 'y' }],
      secret: false,
      want: 'archive',
    },
    // Counted in UTF-8 bytes, as the kernel counts them, not in UTF-16 units.
    {
      name: 'multi-byte text over the cap in bytes',
      files: [{ content: 'é'.repeat(ENVIRONMENT_FILES_MAX_BYTES / 2 + 1) }],
      secret: false,
      want: 'archive',
    },
    { name: 'no files', files: [], secret: false, want: 'environment' },
  ] as const)('$name → $want', ({ files, secret, want }) => {
    expect(fileDeliveryOf(files, secret)).toBe(want);
  });
});

describe('fileEnvironment', () => {
  it('names one variable per file, in file order, carrying the content untouched', () => {
    const files = [
      { path: '/etc/a', mode: 0o600, content: 'line "1"\n$HOME\n\n' },
      { path: '/etc/b', mode: 0o755, content: '' },
    ];
    expect(environmentFiles(files)).toEqual([
      { path: '/etc/a', mode: 0o600, variable: 'SWARM_VIP_FILE_0' },
      { path: '/etc/b', mode: 0o755, variable: 'SWARM_VIP_FILE_1' },
    ]);
    expect(fileEnvironment(files)).toEqual(['SWARM_VIP_FILE_0=line "1"\n$HOME\n\n', 'SWARM_VIP_FILE_1=']);
  });
});
