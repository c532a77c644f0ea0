import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptsConnections, listenerOf } from '../../../src/adapters/docker/engine-listener.js';

function listen(server: Server, at: string | number): Promise<void> {
  return new Promise((resolve) => {
    if (typeof at === 'string') server.listen(at, resolve);
    else server.listen(at, '127.0.0.1', resolve);
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('engine listener (real sockets)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarm-vip-listener-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tells a unix socket that listens from one whose listener closed, while an old connection lives on', async () => {
    const path = join(dir, 'docker.sock');
    const server = createServer(() => undefined);
    await listen(server, path);
    expect(await acceptsConnections({ socketPath: path }, 2000)).toBe(true);
    // As dockerd does when told to stop: the listener goes first, kept-alive connections stay.
    const kept = await new Promise<Socket>((resolve) => {
      const socket = new Socket();
      socket.connect(path, () => resolve(socket));
    }).catch(() => undefined);
    const closing = close(server);
    expect(await acceptsConnections({ socketPath: path }, 2000)).toBe(false);
    kept?.destroy();
    await closing;
  });

  it('says false for a socket path nobody ever bound', async () => {
    expect(await acceptsConnections({ socketPath: join(dir, 'never.sock') }, 2000)).toBe(false);
  });

  it('tells a TCP port that listens from a closed one', async () => {
    const server = createServer((socket) => socket.destroy());
    await listen(server, 0);
    const { port } = server.address() as AddressInfo;
    expect(await acceptsConnections({ host: '127.0.0.1', port }, 2000)).toBe(true);
    await close(server);
    expect(await acceptsConnections({ host: '127.0.0.1', port }, 2000)).toBe(false);
  });

  it('reads the listener from a client: unix socket, tcp, none for ssh', () => {
    expect(listenerOf(new Docker({ socketPath: '/run/x.sock' }))).toEqual({ socketPath: '/run/x.sock' });
    expect(listenerOf(new Docker({ host: '198.18.0.1', port: 2375, protocol: 'http' }))).toEqual({
      host: '198.18.0.1',
      port: 2375,
    });
    expect(
      listenerOf(new Docker({ host: '198.18.0.1', port: 22, protocol: 'ssh', username: 'u' })),
    ).toBeUndefined();
  });
});
