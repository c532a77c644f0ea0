/**
 * Runs an action at most once per interval for each key (a repeated repair, a helper read): the
 * watch looks again every second while an anomaly lasts, and not every look may act. A key's
 * interval starts when its action runs.
 */
export class Throttle {
  private readonly lastMs = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Runs `fn` unless it ran for `key` less than `everyMs` ago. */
  run(key: string, everyMs: number, fn: () => void): void {
    const last = this.lastMs.get(key);
    if (last !== undefined && this.now() - last < everyMs) return;
    this.lastMs.set(key, this.now());
    fn();
  }
}
