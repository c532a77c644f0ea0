import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { livezUrl, probeLiveness } from '../../src/cli/liveness-probe.js';

describe('livezUrl', () => {
  it.each([
    ['127.0.0.1:9107', 'http://127.0.0.1:9107/livez'],
    ['0.0.0.0:9107', 'http://127.0.0.1:9107/livez'],
    [':9107', 'http://127.0.0.1:9107/livez'],
    ['[::]:9107', 'http://[::1]:9107/livez'],
    ['[fd00::1]:80', 'http://[fd00::1]:80/livez'],
  ])('%s → %s', (listen, url) => expect(livezUrl(listen)).toBe(url));

  it('rejects what --listen rejects', () => expect(() => livezUrl('9107')).toThrow(/HOST:PORT/));
});

describe('probeLiveness against a real loopback server', () => {
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/livez') res.writeHead(200).end('ok\n');
      else if (req.url === '/sick') res.writeHead(503).end('loop stalled\u001b[31m\n');
      else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2_000);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is ok on a 200', async () => {
    expect(await probeLiveness(`${base}/livez`, 1_000)).toEqual({ ok: true, line: `${base}/livez: 200 ok` });
  });

  it('fails on another status, without control characters in its line', async () => {
    const result = await probeLiveness(`${base}/sick`, 1_000);
    expect(result.ok).toBe(false);
    expect(result.line).toBe(`${base}/sick: 503 loop stalled [31m`);
  });

  it('fails when the answer takes longer than the bound', async () => {
    const result = await probeLiveness(`${base}/slow`, 200);
    expect(result.ok).toBe(false);
    expect(result.line).toMatch(/abort|timeout/i);
  });

  it('fails when nothing listens', async () => {
    const result = await probeLiveness('http://127.0.0.1:9/livez', 1_000);
    expect(result.ok).toBe(false);
    expect(result.line).toContain('127.0.0.1:9/livez');
  });
});
