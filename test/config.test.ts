import { describe, expect, it } from 'vitest';
import { toConfig } from '../src/config.js';

describe('toConfig', () => {
  it('turns durations into milliseconds and parses --listen', () => {
    const config = toConfig({
      manifests: 'm',
      resyncInterval: '2m',
      healthInterval: '500ms',
      listen: '127.0.0.1:9107',
    });
    expect(config.resyncIntervalMs).toBe(120_000);
    expect(config.healthIntervalMs).toBe(500);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 9107 });
    expect(config.manifestsDir.endsWith('/m')).toBe(true);
  });

  it.each([
    [{ resyncInterval: 'soon' }, /--resync-interval soon: expected a duration/],
    [{ listen: 'localhost' }, /--listen localhost: expected HOST:PORT/],
  ])('rejects %j with a message saying what would be right', (raw, message) => {
    expect(() => toConfig(raw)).toThrow(message);
  });

  it('gives two manifest directories two different default lock files', () => {
    expect(toConfig({ manifests: 'a' }).lockFile).not.toBe(toConfig({ manifests: 'b' }).lockFile);
  });
});
