import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { describeAnomaly } from '../core/anomalies.js';
import { liveness, readiness, type ActorRole, type HealthFacts } from '../core/health.js';
import { describeError } from '../errors.js';
import type { LoopStatus } from '../loop/reconcile-loop.js';
import type { ManifestSourceStatus } from '../ports.js';
import { planStepView } from './render-plan.js';

export interface StatusServerOptions {
  /** `/livez` fails when the loop shows no sign of life for longer than this. */
  livenessBoundMs: number;
  nowMs?: () => number;
}

/**
 * Read-only HTTP view of a running reconciler: `/status` (JSON: active or standby and who is
 * active, VIPs per node, last pass), `/metrics` (Prometheus), `/livez` (the loop is alive),
 * `/readyz` (active with a first pass done, or a standby) and `/healthz` (= `/livez`).
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
  private readonly anomalies = new Gauge({
    name: 'swarm_vip_anomalies',
    help: 'Anomalies that outlasted their grace period, by VIP and kind (stale-address, no-holder, split-brain, vrid-clash)',
    labelNames: ['vip', 'kind'],
    registers: [this.registry],
  });
  private readonly staleRemoved = new Counter({
    name: 'swarm_vip_stale_addresses_removed_total',
    help: 'Stale VIP addresses removed from a node whose keepalived was not MASTER',
    labelNames: ['vip', 'node'],
    registers: [this.registry],
  });
  private readonly revisionInfo = new Gauge({
    name: 'swarm_vip_manifest_revision_info',
    help: 'The manifest revision applied by the latest successful pass (state="applied") and the latest one attempted (state="attempted", with its outcome: applied, invalid-manifests, actions-failed); always 1',
    labelNames: ['state', 'revision', 'outcome'],
    registers: [this.registry],
  });
  private readonly revisionAppliedAt = new Gauge({
    name: 'swarm_vip_manifest_revision_applied_timestamp_seconds',
    help: 'When the applied manifest revision was first applied (Unix time)',
    registers: [this.registry],
  });
  private readonly sourceError = new Gauge({
    name: 'swarm_vip_manifest_source_error',
    help: '1 while the latest fetch of the manifest source (git) failed, by error code; the last revision stays in force',
    labelNames: ['code'],
    registers: [this.registry],
    collect: () => this.collectSourceError(),
  });
  private source: (() => ManifestSourceStatus | undefined) | undefined;
  /** Removals already counted, by VIP and node (the loop reports running totals). */
  private readonly counted = new Map<string, number>();
  private status: LoopStatus = { vips: [], anomalies: [], repairs: [], crashLoops: [], updatedAtMs: 0 };
  private server: Server | undefined;
  private readonly nowMs: () => number;
  private readonly startedAtMs: number;
  private heartbeatMs: number | undefined;
  private role: ActorRole = { role: 'starting' };
  private passError: string | undefined;

  constructor(private readonly options: StatusServerOptions) {
    this.nowMs = options.nowMs ?? Date.now;
    this.startedAtMs = this.nowMs();
  }

  /** A sign of life of the loop (a pass or probe finished, a standby tried the lock). */
  heartbeat(): void {
    this.heartbeatMs = this.nowMs();
  }

  setRole(role: ActorRole): void {
    this.role = role;
    if (role.role !== 'active') {
      this.status = { vips: [], anomalies: [], repairs: [], crashLoops: [], updatedAtMs: this.nowMs() };
      this.passError = undefined;
    }
    this.heartbeat();
  }

  /** Where the manifests come from, asked at each request (a git fetch fails between passes). */
  setSource(source: () => ManifestSourceStatus | undefined): void {
    this.source = source;
  }

  private collectSourceError(): void {
    this.sourceError.reset();
    const error = this.source?.()?.error;
    if (error) this.sourceError.set({ code: error.code }, 1);
  }

  /** The latest pass threw before it could plan (manifests unreadable, manager unreachable). */
  passFailed(error: unknown): void {
    this.passError = describeError(error);
    this.heartbeat();
  }

  /** Holders per VIP (the nodes whose interfaces carry it) and containers per VIP and spec. */
  private countVips(vips: LoopStatus['vips']): void {
    this.holders.reset();
    this.containers.reset();
    for (const vip of vips) {
      this.holders.set({ vip: vip.vip }, vip.holders.length);
      // A node that only carries the address has no container to count.
      for (const node of vip.nodes)
        if (node.spec !== 'none') this.containers.inc({ vip: vip.vip, spec: node.spec });
    }
  }

  update(status: LoopStatus): void {
    if (status.lastPass && status.lastPass !== this.status.lastPass) this.passError = undefined;
    this.status = status;
    this.heartbeat();
    this.countVips(status.vips);
    this.anomalies.reset();
    for (const anomaly of status.anomalies) this.anomalies.inc({ vip: anomaly.vip, kind: anomaly.kind });
    for (const repair of status.repairs) {
      const key = `${repair.vip}/${repair.node}`;
      const delta = repair.count - (this.counted.get(key) ?? 0);
      if (delta > 0) this.staleRemoved.inc({ vip: repair.vip, node: repair.node }, delta);
      this.counted.set(key, repair.count);
    }
    this.lastPassActions.reset();
    for (const outcome of status.lastPass?.outcomes ?? [])
      this.lastPassActions.inc({ result: outcome.result });
    this.updateRevisions(status.revisions);
  }

  /** Two series at most: the label values change with the revisions, old ones are dropped. */
  private updateRevisions(audit: LoopStatus['revisions']): void {
    this.revisionInfo.reset();
    if (!audit) return;
    const { applied, attempted } = audit;
    this.revisionInfo.set(
      { state: 'attempted', revision: attempted.revision, outcome: attempted.outcome },
      1,
    );
    if (applied) {
      this.revisionInfo.set({ state: 'applied', revision: applied.revision, outcome: 'applied' }, 1);
      this.revisionAppliedAt.set(applied.atMs / 1000);
    }
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
    if (path === '/livez' || path === '/healthz') return verdict(liveness(this.facts()));
    if (path === '/readyz') return verdict(readiness(this.facts()));
    if (path === '/metrics')
      return { code: 200, type: this.registry.contentType, body: await this.registry.metrics() };
    if (path === '/status')
      return { code: 200, type: 'application/json', body: `${JSON.stringify(this.view(), null, 2)}\n` };
    return { code: 404, type: 'text/plain', body: 'try /status, /metrics, /livez, /readyz or /healthz\n' };
  }

  private facts(): HealthFacts {
    return {
      nowMs: this.nowMs(),
      startedAtMs: this.startedAtMs,
      heartbeatMs: this.heartbeatMs,
      livenessBoundMs: this.options.livenessBoundMs,
      role: this.role,
      passDone: this.status.lastPass !== undefined,
      passError: this.passError,
    };
  }

  private view(): unknown {
    const pass = this.status.lastPass;
    return {
      ...this.role,
      ready: readiness(this.facts()).reason,
      updatedAt: new Date(this.status.updatedAtMs).toISOString(),
      vips: this.status.vips,
      anomalies: this.status.anomalies.map((a) => ({ ...a, message: describeAnomaly(a) })),
      repairs: this.status.repairs,
      crashLoops: this.status.crashLoops,
      revision: pass?.revision,
      revisions: this.status.revisions && revisionsView(this.status.revisions),
      source: this.source?.(),
      conditions: pass?.conditions,
      lastPass: pass && {
        id: pass.passId,
        revision: pass.revision,
        requeue: pass.requeue,
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

/** The audit with readable times beside the epoch ones. */
function revisionsView(audit: NonNullable<LoopStatus['revisions']>): unknown {
  return {
    applied: audit.applied && { ...audit.applied, at: new Date(audit.applied.atMs).toISOString() },
    attempted: { ...audit.attempted, at: new Date(audit.attempted.atMs).toISOString() },
  };
}

function verdict(v: { ok: boolean; reason: string }): { code: number; type: string; body: string } {
  return { code: v.ok ? 200 : 503, type: 'text/plain', body: `${v.ok ? 'ok' : 'not ok'}: ${v.reason}\n` };
}
