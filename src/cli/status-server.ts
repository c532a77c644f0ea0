import { createServer, type Server } from 'node:http';
import { Gauge, Registry } from 'prom-client';
import type { LoopStatus } from '../loop/reconcile-loop.js';
import { planStepView } from './render-plan.js';

/**
 * Read-only HTTP view of a running reconciler: `/status` (JSON: VIPs per node, last pass),
 * `/metrics` (Prometheus) and `/healthz`.
 */
export class StatusServer {
  private readonly registry = new Registry();
  private readonly holders = new Gauge({
    name: 'swarm_vip_holders',
    help: 'Nodes holding an address of the VIP (1 is healthy; 0 is down; more is a split brain)',
    labelNames: ['vip'],
    registers: [this.registry],
  });
  private readonly containers = new Gauge({
    name: 'swarm_vip_containers',
    help: 'Managed keepalived containers by VIP and spec currency',
    labelNames: ['vip', 'spec'],
    registers: [this.registry],
  });
  private readonly lastPassActions = new Gauge({
    name: 'swarm_vip_last_pass_actions',
    help: 'Actions of the latest pass by result',
    labelNames: ['result'],
    registers: [this.registry],
  });
  private status: LoopStatus = { vips: [], updatedAtMs: 0 };
  private server: Server | undefined;

  update(status: LoopStatus): void {
    this.status = status;
    this.holders.reset();
    this.containers.reset();
    for (const vip of status.vips) {
      this.holders.set({ vip: vip.vip }, vip.holders.length);
      for (const node of vip.nodes) this.containers.inc({ vip: vip.vip, spec: node.spec });
    }
    this.lastPassActions.reset();
    for (const outcome of status.lastPass?.outcomes ?? [])
      this.lastPassActions.inc({ result: outcome.result });
  }

  async listen(host: string, port: number): Promise<string> {
    this.server = createServer((req, res) => {
      void this.respond(req.url ?? '/').then(({ code, type, body }) => {
        res.writeHead(code, { 'content-type': type });
        res.end(body);
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, host, resolve);
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? `${address.address}:${address.port}` : `${host}:${port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async respond(url: string): Promise<{ code: number; type: string; body: string }> {
    const path = url.split('?')[0];
    if (path === '/healthz') return { code: 200, type: 'text/plain', body: 'ok\n' };
    if (path === '/metrics')
      return { code: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    if (path === '/status')
      return { code: 200, type: 'application/json', body: `${JSON.stringify(this.view(), null, 2)}\n` };
    return { code: 404, type: 'text/plain', body: 'try /status, /metrics or /healthz\n' };
  }

  private view(): unknown {
    const pass = this.status.lastPass;
    return {
      updatedAt: new Date(this.status.updatedAtMs).toISOString(),
      vips: this.status.vips,
      lastPass: pass && {
        id: pass.passId,
        problems: pass.problems,
        outcomes: pass.outcomes.map((o) => ({
          ...planStepView(o.action),
          result: o.result,
          error: 'error' in o ? o.error : undefined,
        })),
      },
    };
  }
}
