import { describe, expect, it } from 'vitest';
import { canonicalJson, SPEC_HASH_LENGTH, specHash, type SpecHashInput } from '../../src/core/spec-hash.js';

const base: SpecHashInput = {
  image: 'osixia/keepalived:2.0.20',
  command: ['sh', '-c', 'exec keepalived'],
  files: [
    { path: '/etc/swarm-vip/keepalived.conf.tmpl', content: 'vrrp_instance x {}\n', mode: 0o600 },
    { path: '/etc/swarm-vip/notify.sh', content: '#!/bin/sh\n', mode: 0o755 },
  ],
};

describe('specHash', () => {
  it('is a short lower-case hex string', () => {
    expect(specHash(base)).toMatch(new RegExp(`^[0-9a-f]{${SPEC_HASH_LENGTH}}$`));
  });

  const changes: { name: string; input: SpecHashInput }[] = [
    { name: 'image', input: { ...base, image: 'osixia/keepalived:2.0.21' } },
    { name: 'command word', input: { ...base, command: ['sh', '-c', 'exec keepalived -D'] } },
    { name: 'command split differently', input: { ...base, command: ['sh', '-c exec', 'keepalived'] } },
    {
      name: 'file content',
      input: { ...base, files: [{ ...base.files[0]!, content: 'x' }, base.files[1]!] },
    },
    { name: 'file mode', input: { ...base, files: [{ ...base.files[0]!, mode: 0o644 }, base.files[1]!] } },
    {
      name: 'file path',
      input: { ...base, files: [{ ...base.files[0]!, path: '/etc/other' }, base.files[1]!] },
    },
    {
      name: 'a file added',
      input: { ...base, files: [...base.files, { path: '/x', content: '', mode: 0o755 }] },
    },
    { name: 'a file removed', input: { ...base, files: [base.files[0]!] } },
  ];

  it.each(changes)('changes with the $name', ({ input }) => {
    expect(specHash(input)).not.toBe(specHash(base));
  });

  const sames: { name: string; input: SpecHashInput }[] = [
    { name: 'file order', input: { ...base, files: [...base.files].reverse() } },
    {
      name: 'key order',
      input: {
        files: base.files.map((f) => ({ mode: f.mode, content: f.content, path: f.path })),
        command: base.command,
        image: base.image,
      },
    },
    { name: 'a copy', input: structuredClone(base) },
  ];

  it.each(sames)('is stable across $name', ({ input }) => {
    expect(specHash(input)).toBe(specHash(base));
  });

  it('ignores properties it does not know (labels, priority are not runtime)', () => {
    const withExtra = { ...base, labels: { a: 'b' }, priority: 5 } as SpecHashInput;
    expect(specHash(withExtra)).toBe(specHash(base));
  });
});

describe('canonicalJson', () => {
  it.each([
    { a: { b: 1, a: [{ y: 1, x: 2 }] }, b: { a: [{ x: 2, y: 1 }], b: 1 } },
    { a: [3, 1, 2], b: [3, 1, 2] },
  ])('sorts keys, keeps arrays: %j', ({ a, b }) => {
    expect(canonicalJson(a)).toBe(canonicalJson(b));
  });

  it('keeps array order significant', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });
});
