import type Docker from 'dockerode';
import {
  actUntilMs,
  decideLease,
  nextSighting,
  type LeaseRecord,
  type LeaseSighting,
} from '../../core/lease.js';
import { describeError } from '../../errors.js';
import type { ActorGate, GateAttempt } from '../../ports.js';

const HOLDER_LABEL = 'swarm-vip.lease.holder';
const DURATION_LABEL = 'swarm-vip.lease.duration-ms';
/** Changes on every write, so a renewal is a new version even where labels are otherwise equal. */
const RENEWED_LABEL = 'swarm-vip.lease.renewals';

export interface SwarmLeaseOptions {
  /** A client of a swarm manager (the one given by --swarm). */
  manager: Docker;
  /** Name of the swarm config object that carries the lease. */
  name: string;
  /** This replica, as others will name it: e.g. `mgr-1/pid 4242`. */
  me: string;
  durationMs: number;
  /** The holder stops acting this long before a standby could see the lease expire. */
  marginMs: number;
  /** A monotonic clock (performance.now): never compared across hosts. */
  nowMs: () => number;
}

/**
 * The swarm lease: one active reconciler among replicas on different managers, kept on a swarm
 * config object (`docker config`). A config's data is immutable but its labels may be updated,
 * and every update names the version it read: Swarm's Raft store refuses a stale one ("update out
 * of sequence"), which makes each write a compare-and-swap. See src/core/lease.ts for the rules.
 *
 * The holder renews every few seconds. A renewal that fails for a transient reason (a timeout, a
 * manager election) keeps the right to act only until the lease could have expired for others;
 * a renewal refused because someone else wrote loses it at once.
 */
export class SwarmLease implements ActorGate {
  readonly name = 'swarm lease';
  private sighting: LeaseSighting | undefined;
  private heldUntilMs = -Infinity;
  private renewals = 0;

  constructor(private readonly options: SwarmLeaseOptions) {}

  async tryAcquire(): Promise<GateAttempt> {
    if (this.mayAct()) return { acquired: true };
    const record = await this.read();
    const now = this.options.nowMs();
    const decision = decideLease({ me: this.options.me, record, sighting: this.sighting, nowMs: now });
    if (record) this.sighting = nextSighting(record, this.sighting, now);
    switch (decision.kind) {
      case 'wait':
        return { acquired: false, holder: decision.holder };
      case 'create':
        return (await this.create()) ? { acquired: true } : { acquired: false, holder: undefined };
      case 'renew':
      case 'take':
        return (await this.write(decision.version, this.options.me))
          ? { acquired: true }
          : { acquired: false, holder: undefined };
    }
  }

  async renew(): Promise<boolean> {
    if (!this.mayAct()) return false;
    let record: LeaseRecord | undefined;
    try {
      record = await this.read();
    } catch {
      // Transient (manager busy or electing): keep acting while the lease surely holds.
      return this.mayAct();
    }
    if (record?.holder !== this.options.me) {
      this.heldUntilMs = -Infinity;
      return false;
    }
    const written = await this.write(record.version, this.options.me).catch(() => undefined);
    if (written === false) this.heldUntilMs = -Infinity;
    return this.mayAct();
  }

  mayAct(): boolean {
    return this.options.nowMs() < this.heldUntilMs;
  }

  /** Gives the lease up (holder cleared), so a standby takes it on its next try. */
  async release(): Promise<void> {
    if (!this.mayAct()) return;
    this.heldUntilMs = -Infinity;
    const record = await this.read();
    if (record?.holder === this.options.me) await this.write(record.version, undefined);
  }

  private config() {
    return this.options.manager.getConfig(this.options.name);
  }

  private async read(): Promise<LeaseRecord | undefined> {
    try {
      const info = (await this.config().inspect()) as {
        Version?: { Index?: number };
        Spec?: { Labels?: Record<string, string> };
      };
      const labels = info.Spec?.Labels ?? {};
      return {
        version: info.Version?.Index ?? 0,
        holder: labels[HOLDER_LABEL] || undefined,
        durationMs: Number(labels[DURATION_LABEL]) || this.options.durationMs,
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  private labels(holder: string | undefined): Record<string, string> {
    this.renewals++;
    return {
      [HOLDER_LABEL]: holder ?? '',
      [DURATION_LABEL]: String(this.options.durationMs),
      [RENEWED_LABEL]: `${this.options.me}#${this.renewals}`,
    };
  }

  /** Creates the lease object, held by us; false when another replica created it first. */
  private async create(): Promise<boolean> {
    const sentAtMs = this.options.nowMs();
    try {
      await this.options.manager.createConfig({
        Name: this.options.name,
        Labels: this.labels(this.options.me),
        // The data is immutable and unused: the lease lives in the labels.
        Data: Buffer.from('swarm-vip lease\n').toString('base64'),
      });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 409) return false;
      throw error;
    }
    this.heldUntilMs = actUntilMs(sentAtMs, this.options.durationMs, this.options.marginMs);
    return true;
  }

  /** Compare-and-swap write at `version`; false when someone else wrote first. */
  private async write(version: number, holder: string | undefined): Promise<boolean> {
    const sentAtMs = this.options.nowMs();
    try {
      await this.config().update({ version, Name: this.options.name, Labels: this.labels(holder) });
    } catch (error) {
      if (/out of sequence/i.test(describeError(error)) || /out of sequence/i.test(bodyOf(error)))
        return false;
      throw error;
    }
    if (holder === this.options.me) {
      this.heldUntilMs = actUntilMs(sentAtMs, this.options.durationMs, this.options.marginMs);
    }
    return true;
  }
}

function bodyOf(error: unknown): string {
  const json = (error as { json?: { message?: string } }).json;
  return json?.message ?? '';
}
