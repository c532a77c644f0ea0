import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BoundedFileError,
  readBoundedFile,
  readBoundedFileAsync,
  type BoundedFileOptions,
} from '../../src/adapters/bounded-file.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'swarm-vip-bounded-')));
const file = (name: string) => path.join(dir, name);
execFileSync('mkfifo', [file('fifo')]);

type Read = (file: string, maxBytes: number, options?: BoundedFileOptions) => Promise<Buffer>;

/** Both variants, the synchronous one (ssh identity, known_hosts, passwords) and the async one (manifests). */
const variants: [string, Read][] = [
  ['readBoundedFile', (f, max, options) => Promise.resolve().then(() => readBoundedFile(f, max, options))],
  ['readBoundedFileAsync', readBoundedFileAsync],
];

async function refusal(read: Promise<unknown>): Promise<BoundedFileError> {
  const error = await read.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(BoundedFileError);
  return error as BoundedFileError;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(variants)('%s', (variant, read) => {
  it('reads a file up to the bound, byte for byte', async () => {
    writeFileSync(file('exact'), 'x'.repeat(16));
    expect((await read(file('exact'), 16)).toString()).toBe('x'.repeat(16));
  });

  it('refuses a file one byte over the bound, naming it and not quoting it', async () => {
    writeFileSync(file('big'), 'secret'.repeat(3));
    const error = await refusal(read(file('big'), 17));
    expect([error.code, error.message]).toEqual(['too-large', `${file('big')} is larger than 17 bytes`]);
    expect(error.message).not.toMatch(/secret/);
  });

  it('reads a file whose size says 0 whole (as /proc files do), and bounds it all the same', async () => {
    const status = (await read('/proc/self/status', 1024 * 1024)).toString();
    expect(status).toMatch(/^Name:/);
    expect(status).toMatch(/\nPid:\s+\d+\n/);
    expect((await refusal(read('/proc/self/status', 64))).code).toBe('too-large');
  });

  it('refuses a FIFO at once instead of waiting for a writer, and a directory, saying what they are', async () => {
    const fifo = await refusal(read(file('fifo'), 100));
    expect([fifo.code, fifo.kind, fifo.message]).toEqual([
      'not-regular',
      'FIFO',
      `${file('fifo')} is not a regular file`,
    ]);
    expect((await refusal(read(dir, 100))).kind).toBe('directory');
  });

  it('with noFollow, refuses a link as the last component', async () => {
    writeFileSync(file('target'), 'x');
    symlinkSync(file('target'), file(`link-${variant}`));
    await expect(read(file(`link-${variant}`), 100, { noFollow: true })).rejects.toThrow(/ELOOP/);
    expect((await read(file(`link-${variant}`), 100)).toString()).toBe('x');
  });

  it('with expectedRealPath, refuses a file that is not there once opened (a link swapped since)', async () => {
    writeFileSync(file('other'), 'other');
    symlinkSync(file('other'), file(`swapped-${variant}`));
    const error = await refusal(read(file(`swapped-${variant}`), 100, { expectedRealPath: file('target') }));
    expect([error.code, error.message]).toEqual([
      'moved',
      `${file(`swapped-${variant}`)} changed while being read`,
    ]);
    const through = await read(file(`swapped-${variant}`), 100, { expectedRealPath: file('other') });
    expect(through.toString()).toBe('other');
  });

  it('a missing file is an error naming it', async () => {
    await expect(read(file('absent'), 100)).rejects.toThrow(/ENOENT.*absent/);
  });
});
