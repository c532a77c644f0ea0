import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../src/adapters/docker/node-events.js';

// Lines as a Docker 20.10 engine sends them on /events (abridged attributes).
const die =
  '{"status":"die","id":"0dfe170f7944","from":"swarm-vip-keepalived:test","Type":"container","Action":"die",' +
  '"Actor":{"ID":"0dfe170f7944","Attributes":{"exitCode":"137","name":"keepalived-web","swarm-vip.managed":"true"}},' +
  '"scope":"local","time":1796121272,"timeNano":1796121272492000000}';
const health =
  '{"status":"health_status: healthy","id":"ab12","Type":"container","Action":"health_status: healthy",' +
  '"Actor":{"ID":"ab12","Attributes":{"name":"keepalived-web"}}}';

describe('parseEvent', () => {
  it('carries the container, its ID and a die event’s exit code', () => {
    expect(parseEvent('n1', die)).toEqual({
      node: 'n1',
      action: 'die',
      container: 'keepalived-web',
      containerId: '0dfe170f7944',
      exitCode: 137,
    });
  });

  it('cuts the action at the colon and has no exit code where the event has none', () => {
    expect(parseEvent('n1', health)).toEqual({
      node: 'n1',
      action: 'health_status',
      container: 'keepalived-web',
      containerId: 'ab12',
    });
  });

  it.each(['', '   ', '{not json'])('ignores %j', (line) => {
    expect(parseEvent('n1', line)).toBeUndefined();
  });
});
