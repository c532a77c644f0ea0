import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBoundedFile } from '../../src/adapters/bounded-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'swarm-vip-bounded-'));
const file = (name: string) => path.join(dir, name);

describe('readBoundedFile (ssh identity, known_hosts)', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file up to the bound, byte for byte', () => {
    writeFileSync(file('exact'), 'x'.repeat(16));
    expect(readBoundedFile(file('exact'), 16).toString()).toBe('x'.repeat(16));
  });

  it('refuses a file one byte over the bound, naming it and not quoting it', () => {
    writeFileSync(file('big'), 'secret'.repeat(3));
    expect(() => readBoundedFile(file('big'), 17)).toThrow(`${file('big')} is larger than 17 bytes`);
    expect(() => readBoundedFile(file('big'), 17)).not.toThrow(/secret/);
  });

  it('refuses a FIFO at once instead of waiting for a writer, and a directory', () => {
    execFileSync('mkfifo', [file('fifo')]);
    expect(() => readBoundedFile(file('fifo'), 100)).toThrow('is not a regular file');
    expect(() => readBoundedFile(dir, 100)).toThrow('is not a regular file');
  });

  it('a missing file is an error naming it', () => {
    expect(() => readBoundedFile(file('absent'), 100)).toThrow(/ENOENT.*absent/);
  });
});
