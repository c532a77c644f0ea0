/**
 * Keeps apart, per VIP and node, two things that must not overlap: removing the VIP's address
 * through another VIP's container on the node (which, unlike the VIP's own container, cannot ask
 * the VIP's keepalived whether it is MASTER) and starting the VIP's keepalived there (create,
 * replace, start). A start clears the VIP's addresses itself before its keepalived runs; a
 * removal that landed after its keepalived became MASTER would take the address from the
 * rightful holder. So a start waits for a removal in flight, and a removal is not begun while a
 * start is in flight, nor on facts older than the latest successful start (they describe what
 * that start has cleared; a start that failed left no keepalived of the VIP running there).
 *
 * What the guard cannot see is Docker's own restart of a container (restart policy `always`):
 * there a removal races a start of at least the restart delay, a container start and VRRP's
 * master-down time, against one `docker exec`; should it lose, keepalived sees its address go
 * (netlink), goes BACKUP and takes it again.
 */
export class StartGuard {
  private readonly starting = new Map<string, number>();
  private readonly lastStartMs = new Map<string, number>();
  private readonly removals = new Map<string, Promise<unknown>>();

  constructor(private readonly nowMs: () => number) {}

  /** Runs a start of `vip`'s keepalived on `node` once no removal through a sibling is in flight there. */
  async aroundStart<T>(vip: string, node: string, start: () => Promise<T>): Promise<T> {
    const key = keyOf(vip, node);
    this.starting.set(key, (this.starting.get(key) ?? 0) + 1);
    try {
      await this.removals.get(key)?.catch(() => undefined);
      const started = await start();
      this.lastStartMs.set(key, this.nowMs());
      return started;
    } finally {
      const left = (this.starting.get(key) ?? 1) - 1;
      if (left > 0) this.starting.set(key, left);
      else this.starting.delete(key);
    }
  }

  /**
   * Runs `remove` for `vip`'s address on `node` unless a start of its keepalived there is in
   * flight or ended at or after `factsAtMs` (when the node's addresses were last read); returns
   * undefined when it did not run.
   */
  removal<T>(vip: string, node: string, factsAtMs: number, remove: () => Promise<T>): Promise<T> | undefined {
    const key = keyOf(vip, node);
    if (this.starting.has(key)) return undefined;
    const lastStart = this.lastStartMs.get(key);
    if (lastStart !== undefined && lastStart >= factsAtMs) return undefined;
    const running = remove();
    this.removals.set(key, running);
    const forget = (): void => {
      if (this.removals.get(key) === running) this.removals.delete(key);
    };
    running.then(forget, forget);
    return running;
  }
}

function keyOf(vip: string, node: string): string {
  return JSON.stringify([vip, node]);
}
