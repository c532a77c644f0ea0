import { describe, expect, it } from 'vitest';
import { extract, type Header } from 'tar-stream';
import { containerArchive } from '../../../src/adapters/docker/container-archive.js';

async function entries(tar: Buffer): Promise<{ header: Header; body: string }[]> {
  const out: { header: Header; body: string }[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      out.push({ header, body: Buffer.concat(chunks).toString('utf8') });
      next();
    });
  });
  const done = new Promise((resolve) => ex.on('finish', () => resolve(undefined)));
  ex.end(tar);
  await done;
  return out;
}

describe('containerArchive', () => {
  it('holds each file with its mode, owned by root, after its parent directories', async () => {
    const tar = await containerArchive([
      { path: '/etc/swarm-vip/keepalived.conf', content: 'global_defs {}\n', mode: 0o600 },
      { path: '/etc/swarm-vip/notify.sh', content: '#!/bin/sh\n', mode: 0o755 },
    ]);
    const list = await entries(tar);
    expect(
      list.map((e) => [e.header.name.replace(/\/$/, ''), e.header.type, e.header.mode, e.header.uid]),
    ).toEqual([
      ['etc', 'directory', 0o755, 0],
      ['etc/swarm-vip', 'directory', 0o755, 0],
      ['etc/swarm-vip/keepalived.conf', 'file', 0o600, 0],
      ['etc/swarm-vip/notify.sh', 'file', 0o755, 0],
    ]);
    expect(list[2]?.body).toBe('global_defs {}\n');
  });
});
