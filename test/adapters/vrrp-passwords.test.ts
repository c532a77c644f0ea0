import { describe, expect, it } from 'vitest';
import { readVrrpPasswords } from '../../src/adapters/vrrp-passwords.js';
import type { LoadedVirtualIP } from '../../src/core/types.js';

function vip(
  name: string,
  authentication?: { passwordFile?: string; passwordEnv?: string },
): LoadedVirtualIP {
  return {
    manifest: {
      apiVersion: 'swarm-vip/v1',
      kind: 'VirtualIP',
      metadata: { name },
      spec: { addresses: ['198.18.0.100/24'], nodes: [{ name: 'n1', priority: 100 }], authentication },
    },
    origin: { file: `${name}.yaml`, documentIndex: 0, positions: new Map() },
  };
}

describe('readVrrpPasswords', () => {
  it('reads env and file passwords, drops one trailing newline, and reports what is missing per VIP', () => {
    const files: Record<string, string> = { '/run/secrets/vrrp': 's3cret\n' };
    const { passwords, problems } = readVrrpPasswords(
      [
        vip('plain'),
        vip('from-env', { passwordEnv: 'VRRP_PASSWORD' }),
        vip('from-file', { passwordFile: '/run/secrets/vrrp' }),
        vip('env-missing', { passwordEnv: 'NOT_SET' }),
        vip('file-missing', { passwordFile: '/nope' }),
      ],
      {
        env: { VRRP_PASSWORD: 'envpass' },
        readFile: (p) => {
          const content = files[p];
          if (content === undefined) throw new Error(`ENOENT: no such file ${p}`);
          return content;
        },
      },
    );
    expect([...passwords]).toEqual([
      ['from-env', 'envpass'],
      ['from-file', 's3cret'],
    ]);
    expect(problems.map((p) => p.vip)).toEqual(['env-missing', 'file-missing']);
    expect(problems[0]?.message).toContain('NOT_SET');
    expect(problems[1]?.message).toContain('/nope');
  });
});
