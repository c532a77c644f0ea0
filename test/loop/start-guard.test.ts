import { describe, expect, it } from 'vitest';
import { StartGuard } from '../../src/loop/start-guard.js';

/** A promise with its resolver, to hold a start or a removal in flight. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('StartGuard', () => {
  it('lets a removal run when no start of that VIP on that node is in flight or newer than the facts', async () => {
    const guard = new StartGuard(() => 100);
    await expect(guard.removal('web', 'n1', 50, async () => 'removed')).resolves.toBe('removed');
  });

  it('does not begin a removal while a start of that VIP on that node is in flight', async () => {
    const guard = new StartGuard(() => 100);
    const start = deferred();
    const starting = guard.aroundStart('web', 'n1', () => start.promise);
    let ran = false;
    expect(guard.removal('web', 'n1', 200, async () => (ran = true))).toBeUndefined();
    // Another VIP, or the same VIP on another node, is not held up.
    expect(guard.removal('db', 'n1', 200, async () => 'db')).toBeDefined();
    expect(guard.removal('web', 'n2', 200, async () => 'n2')).toBeDefined();
    start.resolve();
    await starting;
    expect(ran).toBe(false);
  });

  it('does not act on facts read before the latest start ended (that start cleared the address)', async () => {
    let now = 100;
    const guard = new StartGuard(() => now);
    await guard.aroundStart('web', 'n1', async () => undefined);
    now = 150;
    expect(guard.removal('web', 'n1', 90, async () => 'stale facts')).toBeUndefined();
    expect(guard.removal('web', 'n1', 100, async () => 'same moment')).toBeUndefined();
    await expect(guard.removal('web', 'n1', 120, async () => 'fresh facts')).resolves.toBe('fresh facts');
  });

  it('holds a start until the removal in flight there has finished, failed or not', async () => {
    const guard = new StartGuard(() => 100);
    const order: string[] = [];
    const removal = deferred();
    const removing = guard.removal('web', 'n1', 50, async () => {
      await removal.promise;
      order.push('removed');
      throw new Error('exec failed');
    });
    const starting = guard.aroundStart('web', 'n1', async () => {
      order.push('started');
    });
    await Promise.resolve();
    expect(order).toEqual([]);
    removal.resolve();
    await expect(removing).rejects.toThrow('exec failed');
    await starting;
    expect(order).toEqual(['removed', 'started']);
  });

  it('a failed start leaves no keepalived of the VIP running: it holds back no removal', async () => {
    let now = 100;
    const guard = new StartGuard(() => now);
    await guard.aroundStart('web', 'n1', async () => undefined);
    now = 200;
    await expect(
      guard.aroundStart('web', 'n1', async () => {
        throw new Error('name taken');
      }),
    ).rejects.toThrow('name taken');
    now = 300;
    expect(guard.removal('web', 'n1', 90, async () => 'before the successful start')).toBeUndefined();
    await expect(guard.removal('web', 'n1', 150, async () => 'after it')).resolves.toBe('after it');
  });
});
