/**
 * Every string field of both kinds, given hostile values: validation refuses each at its own
 * path, and the message quoting it is escaped and short.
 */
import { describe, expect, it } from 'vitest';
import { hasControl } from '../../src/core/printable.js';
import { parseManifests } from '../../src/manifest/parse-manifests.js';

const vip = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'swarm-vip/v1',
  kind: 'VirtualIP',
  metadata: { name: 'web', ...metadata },
  spec: { addresses: ['198.18.0.100/24'], nodes: [{ name: 'node-1', priority: 200 }], ...spec },
});
const endpoint = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'swarm-vip/v1',
  kind: 'NodeEndpoint',
  metadata: { name: 'node-1', ...metadata },
  spec: { docker: 'unix:///var/run/docker.sock', ...spec },
});

const HOSTILE = [
  'x\ntouch /tmp/p',
  "x'; touch /tmp/p; '",
  '$(touch /tmp/p)',
  '-e',
  'x}',
  '\u001b[32mok\u001b[0m',
  'a\u202eb',
  'x\u0000y',
  'x'.repeat(100_000),
];

type Case = [field: string, pointer: string, build: (value: string) => unknown];
const cases: Case[] = [
  ['VirtualIP name', '/metadata/name', (v) => vip({}, { name: v })],
  ['VirtualIP label key', '/metadata/labels/', (v) => vip({}, { labels: { [v]: 'x' } })],
  ['VirtualIP label value', '/metadata/labels/k', (v) => vip({}, { labels: { k: v } })],
  ['address', '/spec/addresses/0', (v) => vip({ addresses: [v] })],
  ['node name', '/spec/nodes/0/name', (v) => vip({ nodes: [{ name: v, priority: 1 }] })],
  [
    'selector label key',
    '/spec/nodeSelector/labels/',
    (v) => vip({ nodes: undefined, nodeSelector: { labels: { [v]: 'x' } } }),
  ],
  [
    'selector label value',
    '/spec/nodeSelector/labels/k',
    (v) => vip({ nodes: undefined, nodeSelector: { labels: { k: v } } }),
  ],
  ['interface', '/spec/interface', (v) => vip({ interface: v })],
  ['image', '/spec/image', (v) => vip({ image: v })],
  ['passwordFile', '/spec/authentication/passwordFile', (v) => vip({ authentication: { passwordFile: v } })],
  ['passwordEnv', '/spec/authentication/passwordEnv', (v) => vip({ authentication: { passwordEnv: v } })],
  ['tcp host', '/spec/healthCheck/tcp/host', (v) => vip({ healthCheck: { tcp: { host: v, port: 80 } } })],
  ['http url', '/spec/healthCheck/http/url', (v) => vip({ healthCheck: { http: { url: `http://h/${v}` } } })],
  ['exec argument', '/spec/healthCheck/exec/1', (v) => vip({ healthCheck: { exec: ['true', v] } })],
  ['NodeEndpoint name', '/metadata/name', (v) => endpoint({}, { name: v })],
  ['NodeEndpoint label', '/metadata/labels/k', (v) => endpoint({}, { labels: { k: v } })],
  ['docker URL', '/spec/docker', (v) => endpoint({ docker: `tcp://${v}:2376` })],
  ['node address', '/spec/address', (v) => endpoint({ address: v })],
  [
    'TLS file',
    '/spec/tls/caFile',
    (v) => endpoint({ docker: 'tcp://h:2376', tls: { caFile: v, certFile: '/c', keyFile: '/k' } }),
  ],
];

/** Values a field may legitimately hold (exec runs a command: only controls are refused there). */
const ALLOWED: Record<string, (value: string) => boolean> = {
  'exec argument': (v) => !hasControl(v.replace(/\n/g, '')) && v.length <= 4096,
  'VirtualIP label value': (v) => !hasControl(v) && v.length <= 1024,
  'selector label value': (v) => !hasControl(v) && v.length <= 1024,
  'NodeEndpoint label': (v) => !hasControl(v) && v.length <= 1024,
  'TLS file': (v) => !hasControl(v) && v.length <= 4096,
  // A bare keepalived.conf word, never a program argument: "-e" is just a name there.
  interface: (v) => v === '-e',
  'http url': (v) => v === '-e',
};

describe('hostile values are refused at their field', () => {
  it.each(cases)('%s', (field, pointer, build) => {
    for (const value of HOSTILE) {
      if (ALLOWED[field]?.(value)) continue;
      const set = parseManifests([{ path: 'm.json', text: JSON.stringify(build(value)) }]);
      const label = `${field} = ${JSON.stringify(value.slice(0, 40))}`;
      expect(set.virtualIPs.length + set.endpoints.length, label).toBe(0);
      expect(
        set.problems.some((p) => p.path.startsWith(pointer)),
        `${label}: ${JSON.stringify(set.problems)}`,
      ).toBe(true);
      for (const problem of set.problems) {
        expect(hasControl(problem.message), label).toBe(false);
        expect(problem.message.length, label).toBeLessThan(600);
      }
    }
  });
});
