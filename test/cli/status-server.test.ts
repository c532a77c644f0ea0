/**
 * The --listen endpoints over real HTTP on loopback, each in a state where it must fail. Time is
 * injected, so "the loop went silent" needs no waiting.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StatusServer } from '../../src/cli/status-server.js';
import type { PassResult } from '../../src/loop/pass.js';

describe('StatusServer health endpoints', () => {
  let now = 1_000_000;
  let server: StatusServer;
  let base = '';
  const get = async (path: string) => {
    const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) });
    return { code: response.status, body: await response.text() };
  };
  const start = async () => {
    server = new StatusServer({ livenessBoundMs: 30_000, nowMs: () => now });
    base = `http://${await server.listen('127.0.0.1', 0)}`;
  };

  afterEach(async () => server.close());

  /** What the loop hands over after a pass that found nothing: no VIPs, no anomalies, no actions. */
  const quietPass = () => ({
    vips: [],
    anomalies: [],
    repairs: [],
    crashLoops: [],
    updatedAtMs: now,
    lastPass: { outcomes: [], problems: [] } as unknown as PassResult,
  });

  it('/livez and /healthz fail when the loop has shown no sign of life for longer than the bound', async () => {
    await start();
    server.setRole({ role: 'active' });
    expect((await get('/livez')).code).toBe(200);
    expect((await get('/healthz')).code).toBe(200);
    now += 31_000;
    const livez = await get('/livez');
    expect(livez).toEqual({
      code: 503,
      body: 'not ok: no sign of life from the reconcile loop for 31 s (bound 30 s)\n',
    });
    expect((await get('/healthz')).code).toBe(503);
    server.heartbeat();
    expect((await get('/livez')).code).toBe(200);
  });

  it('/readyz fails while starting, before the first pass and after a failed pass; a standby is ready', async () => {
    await start();
    expect(await get('/readyz')).toMatchObject({ code: 503, body: expect.stringMatching(/starting/) });
    server.setRole({ role: 'active' });
    expect(await get('/readyz')).toMatchObject({
      code: 503,
      body: expect.stringMatching(/first pass not done/),
    });
    server.update(quietPass());
    expect((await get('/readyz')).code).toBe(200);
    server.passFailed(new Error('manifest directory /etc/swarm-vip does not exist'));
    expect(await get('/readyz')).toMatchObject({ code: 503, body: expect.stringMatching(/does not exist/) });
    server.setRole({ role: 'standby', waitingFor: 'host lock', holder: 'pid 42 on h1' });
    expect(await get('/readyz')).toMatchObject({
      code: 200,
      body: 'ok: standby: the host lock is held by pid 42 on h1\n',
    });
    const status = JSON.parse((await get('/status')).body) as Record<string, unknown>;
    expect(status).toMatchObject({ role: 'standby', holder: 'pid 42 on h1', vips: [] });
  });

  it('names the applied and the attempted revision in /status and /metrics, and a failing git fetch', async () => {
    await start();
    server.setRole({ role: 'active' });
    server.setSource(() => ({
      source: 'git git://127.0.0.1:9418/ops.git main',
      revision: 'a'.repeat(40),
      error: {
        code: 'git-ref-not-found',
        message: "git fetch main failed: fatal: couldn't find remote ref main",
        atMs: now,
      },
    }));
    server.update({
      ...quietPass(),
      revisions: {
        applied: { revision: 'a'.repeat(40), atMs: 1_700_000_000_000 },
        attempted: {
          revision: 'b'.repeat(40),
          atMs: 1_700_000_100_000,
          outcome: 'invalid-manifests',
          reasons: ['c/web.yaml@bbbbbbbbbbbb:10: priority must be at most 254'],
          reasonCount: 1,
        },
      },
    });
    const status = JSON.parse((await get('/status')).body) as Record<string, unknown>;
    expect(status).toMatchObject({
      revisions: {
        applied: { revision: 'a'.repeat(40), at: '2023-11-14T22:13:20.000Z' },
        attempted: {
          revision: 'b'.repeat(40),
          outcome: 'invalid-manifests',
          reasons: [expect.stringMatching(/@b{12}:10: /)],
        },
      },
      source: { error: { code: 'git-ref-not-found' } },
    });
    const metrics = (await get('/metrics')).body;
    expect(metrics).toContain(
      `swarm_vip_manifest_revision_info{state="attempted",revision="${'b'.repeat(40)}",outcome="invalid-manifests"} 1`,
    );
    expect(metrics).toContain(
      `swarm_vip_manifest_revision_info{state="applied",revision="${'a'.repeat(40)}",outcome="applied"} 1`,
    );
    expect(metrics).toContain('swarm_vip_manifest_revision_applied_timestamp_seconds 1700000000');
    expect(metrics).toContain('swarm_vip_manifest_source_error{code="git-ref-not-found"} 1');
    // A new revision replaces the old series: at most two, whatever the history.
    server.update({
      ...quietPass(),
      revisions: {
        applied: { revision: 'c'.repeat(40), atMs: 1_700_000_200_000 },
        attempted: {
          revision: 'c'.repeat(40),
          atMs: 1_700_000_200_000,
          outcome: 'applied',
          reasons: [],
          reasonCount: 0,
        },
      },
    });
    server.setSource(() => ({ source: 'git git://127.0.0.1:9418/ops.git main' }));
    const after = (await get('/metrics')).body;
    expect(after.match(/^swarm_vip_manifest_revision_info\{/gm)).toHaveLength(2);
    expect(after).not.toContain('a'.repeat(40));
    expect(after).not.toMatch(/^swarm_vip_manifest_source_error\{/m);
  });
});
