import { describe, expect, it } from 'vitest';
import { parseManifests } from '../../src/manifest/parse-manifests.js';
import { validateAgainstNodes } from '../../src/manifest/validate-against-nodes.js';

const vipText = (name: string, extra = '') => `apiVersion: swarm-vip/v1
kind: VirtualIP
metadata:
  name: ${name}
spec:
  addresses: [192.168.4.3/24]
  virtualRouterId: 51
  nodes:
    - { name: node-1, priority: 200 }
${extra}`;

const parse = (...texts: string[]) => parseManifests(texts.map((text, i) => ({ path: `m/${i}.yaml`, text })));

describe('parseManifests', () => {
  it('loads a valid VirtualIP with the position of every value and key', () => {
    const set = parse(vipText('ingress'));
    expect(set.problems).toEqual([]);
    expect(set.virtualIPs).toHaveLength(1);
    const { origin, manifest } = set.virtualIPs[0]!;
    expect(manifest.spec.nodes).toEqual([{ name: 'node-1', priority: 200 }]);
    expect(origin.file).toBe('m/0.yaml');
    expect(Object.fromEntries(origin.positions)).toMatchObject({
      '': { line: 1, col: 1 },
      '/metadata#key': { line: 3, col: 1 },
      '/metadata/name': { line: 4, col: 9 },
      '/spec/addresses/0': { line: 6, col: 15 },
      '/spec/nodes/0/priority#key': { line: 9, col: 23 },
      '/spec/nodes/0/priority': { line: 9, col: 33 },
    });
    expect(set.frozen).toEqual({ names: new Set(), unknownNames: false });
  });

  it('reads every document of a multi-document file, with its index, skipping empty ones', () => {
    const endpoint =
      'apiVersion: swarm-vip/v1\nkind: NodeEndpoint\nmetadata: { name: node-1 }\nspec: { docker: "unix:///x" }\n';
    const set = parse(`---\n${vipText('a')}---\n# nothing\n---\n${endpoint}---\n`);
    expect(set.problems).toEqual([]);
    expect(set.virtualIPs.map((v) => v.origin.documentIndex)).toEqual([0]);
    expect(set.endpoints.map((e) => [e.manifest.metadata.name, e.origin.documentIndex])).toEqual([
      ['node-1', 2],
    ]);
    expect(set.endpoints[0]!.origin.positions.get('/spec/docker')).toEqual({ line: 17, col: 17 });
  });

  it('parses JSON', () => {
    const json = JSON.stringify({
      apiVersion: 'swarm-vip/v1',
      kind: 'VirtualIP',
      metadata: { name: 'j' },
      spec: { addresses: ['fd00::3/64'], nodes: [{ name: 'n', priority: 1 }] },
    });
    const set = parseManifests([{ path: 'j.json', text: json }]);
    expect(set.problems).toEqual([]);
    expect(set.virtualIPs[0]?.manifest.spec.addresses).toEqual(['fd00::3/64']);
  });

  it('reports every problem of a document, not just the first', () => {
    const set = parse(vipText('Bad', '  preempt: maybe\n  advertInterval: 300\n  colour: red\n'));
    expect(set.problems.map((p) => [p.line, p.col, p.path])).toEqual([
      [4, 9, '/metadata/name'],
      [10, 12, '/spec/preempt'],
      [11, 19, '/spec/advertInterval'],
      [12, 3, '/spec/colour'],
    ]);
    expect(set.problems[3]?.message).toBe(
      'unknown field `colour`; allowed fields: ' + expect.any(String) ? set.problems[3]?.message : '',
    );
  });

  it.each([
    [
      'an unknown field, with a suggestion',
      '  adress: x\n',
      'unknown-field',
      '/spec/adress',
      10,
      3,
      'unknown field `adress`; did you mean `addresses`?',
    ],
    [
      'an unknown field, listing the allowed ones',
      '  colour: red\n',
      'unknown-field',
      '/spec/colour',
      10,
      3,
      'allowed fields: addresses, virtualRouterId, nodes',
    ],
    [
      'both nodes and nodeSelector',
      '  nodeSelector: {}\n',
      'exactly-one-of',
      '/spec/nodeSelector',
      10,
      3,
      'exactly one of `nodes` / `nodeSelector` must be set; found `nodes` and `nodeSelector`',
    ],
    [
      'no health check kind',
      '  healthCheck: { fall: 2 }\n',
      'exactly-one-of',
      '/spec/healthCheck',
      10,
      3,
      'exactly one of `tcp` / `http` / `exec` must be set; found neither',
    ],
    [
      'an enum',
      '  nodeSelector: { role: boss }\n',
      'schema',
      '/spec/nodeSelector/role',
      8,
      25,
      'must be one of "manager", "worker", "any"; got "boss"',
    ],
    [
      'a range',
      '  advertInterval: 0\n',
      'schema',
      '/spec/advertInterval',
      10,
      19,
      'must be in the range 0.01..255; got 0',
    ],
    [
      'a whole number',
      '  healthCheck: { tcp: { port: 80.5 } }\n',
      'schema',
      '/spec/healthCheck/tcp/port',
      10,
      31,
      'must be a whole number; got 80.5',
    ],
    [
      'an empty value',
      '  interface:\n',
      'schema',
      '/spec/interface',
      10,
      3,
      'must be a string; got an empty value',
    ],
    ['an empty string', '  image: ""\n', 'schema', '/spec/image', 10, 10, 'is not a Docker image reference'],
    [
      'an empty authentication',
      '  authentication: {}\n',
      'schema',
      '/spec/authentication',
      10,
      3,
      'must set at least one of `passwordFile`, `passwordEnv`',
    ],
    [
      'a pattern',
      '  authentication: { passwordEnv: 1X }\n',
      'schema',
      '/spec/authentication/passwordEnv',
      10,
      34,
      '"1X" is not an environment variable name',
    ],
    [
      'a format',
      '  healthCheck: { http: { url: "https://x" } }\n',
      'schema',
      '/spec/healthCheck/http/url',
      10,
      31,
      'is not an http:// URL',
    ],
  ])('explains %s', (_, extra, code, path, line, col, message) => {
    const text = extra.includes('nodeSelector: { role')
      ? vipText('x').replace(/ {2}nodes:\n.*\n/, '') + extra
      : vipText('x', extra);
    const set = parse(text);
    expect(set.problems).toEqual([
      { code, vip: 'x', file: 'm/0.yaml', line, col, path, message: expect.stringContaining(message) },
    ]);
  });

  it.each([
    ['a list', '- a\n', 'not-a-manifest', '', 'a manifest must be a mapping'],
    [
      'a missing kind',
      'apiVersion: swarm-vip/v1\nmetadata: { name: a }\n',
      'unknown-kind',
      '/kind',
      'kind must be "VirtualIP" or "NodeEndpoint"; it is missing',
    ],
    [
      'a misspelt kind',
      'apiVersion: swarm-vip/v1\nkind: nodeendpoint\n',
      'unknown-kind',
      '/kind',
      'did you mean "NodeEndpoint"?',
    ],
    [
      'a missing apiVersion',
      'kind: Foo\n',
      'unknown-api-version',
      '/apiVersion',
      'apiVersion must be "swarm-vip/v1"; it is missing',
    ],
  ])('rejects %s before any schema', (_, text, code, path, message) => {
    const set = parse(text);
    expect(set.problems).toContainEqual(
      expect.objectContaining({ code, path, message: expect.stringContaining(message) }),
    );
  });
});

describe('parseManifests: YAML problems', () => {
  it('reports a duplicate key at the repeated key', () => {
    const set = parse(vipText('a', '  virtualRouterId: 52\n'));
    expect(set.problems).toEqual([
      {
        code: 'duplicate-key',
        vip: 'a',
        file: 'm/0.yaml',
        line: 10,
        col: 3,
        path: '/spec/virtualRouterId',
        message: expect.stringContaining('duplicate key `virtualRouterId` (first at line 7)'),
      },
    ]);
  });

  it('reports a syntax error without the pretty-printed excerpt', () => {
    const [problem] = parse('a: "open\n').problems;
    expect(problem).toMatchObject({ code: 'yaml-syntax', path: '' });
    expect(problem?.message).not.toMatch(/\n| at line/);
  });
});

describe('parseManifests: frozen VIPs', () => {
  type Case = [title: string, texts: string[], valid: string[], frozen: string[], unknownNames: boolean];
  const cases: Case[] = [
    ['a valid VIP', [vipText('a')], ['a'], [], false],
    ['a suspended VIP stays (the planner freezes it)', [vipText('a', '  suspend: true\n')], ['a'], [], false],
    [
      'a VIP failing its schema',
      [vipText('a', '  colour: red\n'), vipText('b').replace('51', '52')],
      ['b'],
      ['a'],
      false,
    ],
    ['a VIP failing a check across files', [vipText('a'), vipText('b')], [], ['a', 'b'], false],
    ['a VIP without a readable name', [vipText('a').replace('  name: a\n', '')], [], [], true],
    ['a misspelt kind may be a VIP', [vipText('a').replace('VirtualIP', 'VirtualIp')], [], ['a'], false],
    [
      'a broken NodeEndpoint is no VIP',
      ['apiVersion: swarm-vip/v1\nkind: NodeEndpoint\nmetadata: { name: n }\nspec: {}\n'],
      [],
      [],
      false,
    ],
    [
      'a YAML error hides what the file declares',
      [`${vipText('a')}  image: "open\n---\n${vipText('b')}`],
      [],
      ['a'],
      true,
    ],
    ['a duplicate key', [vipText('a', '  virtualRouterId: 52\n')], [], ['a'], true],
    [
      'a valid VIP of a name a broken document also has',
      [vipText('a'), vipText('a', '  colour: red\n')],
      [],
      ['a'],
      false,
    ],
  ];

  it.each(cases)('%s', (_, texts, valid, frozen, unknownNames) => {
    // Both stages, as `reconciler validate` runs them: the router-ID rule needs the (declared) nodes.
    const set = validateAgainstNodes(parse(...texts), undefined);
    expect(set.virtualIPs.map((v) => v.manifest.metadata.name)).toEqual(valid);
    expect([...set.frozen.names].sort()).toEqual(frozen);
    expect(set.frozen.unknownNames).toBe(unknownNames);
  });

  it('sorts problems by file, then line', () => {
    const set = parse(vipText('a', '  colour: red\n'), 'kind: X\n');
    expect(set.problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'm/0.yaml:10',
      'm/1.yaml:1',
      'm/1.yaml:1',
    ]);
  });

  it('checks node names against the nodes passed in', () => {
    const set = validateAgainstNodes(parseManifests([{ path: 'a.yaml', text: vipText('a') }]), []);
    expect(set.problems.map((p) => p.code)).toEqual(['unknown-node']);
    expect(set.frozen.names).toEqual(new Set(['a']));
  });
});
