import { describe, expect, it } from 'vitest';
import { nodeNames, parseDescription, type ClusterDescription } from './description.js';
import { ClusterError } from './errors.js';
import { cleanEnv } from './exec.js';
import { hubName, ipv4, ipv6, nodeAddressPool, nodeName, optionsFromEnv, resolveOptions } from './options.js';

describe('test cluster options', () => {
  it('derives names and addresses from prefix and subnet', () => {
    const options = resolveOptions({ prefix: 'tb', subnet: 0 });
    expect([nodeName(options, 1), hubName(options)]).toEqual(['tbnode1', 'tbhub']);
    expect([ipv4(options, 3), ipv6(options, 3), ipv6(options, 254)]).toEqual([
      '198.18.0.3',
      'fd00:5eed::3',
      'fd00:5eed::fe',
    ]);
    const other = resolveOptions({ prefix: 'tc', subnet: 7 });
    expect([ipv4(other, 2), ipv6(other, 2)]).toEqual(['198.18.7.2', 'fd00:5eed:0:7::2']);
  });

  it('gives each node its own pool inside 198.19.0.0/16, below the swarm pool', () => {
    expect(nodeAddressPool(1).base).toBe('198.19.0.0/20');
    expect(nodeAddressPool(15).base).toBe('198.19.224.0/20');
  });

  it.each([
    [{ prefix: 'Bad' }, /prefix/],
    [{ subnet: 256 }, /subnet/],
    [{ nodes: 0 }, /nodes/],
    [{ nodes: 2, managers: 3 }, /managers/],
    [{ stateDir: `/tmp/${'x'.repeat(100)}` }, /unix socket/],
  ])('rejects %o', (partial, message) => {
    expect(() => resolveOptions(partial)).toThrow(message);
  });

  it('reads the environment; explicit overrides win', () => {
    const options = optionsFromEnv(
      { SWARM_VIP_TB_PREFIX: 'tx', SWARM_VIP_TB_NODES: '4', SWARM_VIP_TB_STATE_DIR: '/run/x' },
      { nodes: 2 },
    );
    expect(options).toMatchObject({ prefix: 'tx', nodes: 2, stateDir: '/run/x', managers: 1 });
    expect(() => optionsFromEnv({ SWARM_VIP_TB_SUBNET: 'x' })).toThrow(ClusterError);
  });

  it('keeps DOCKER_* out of child environments', () => {
    expect(cleanEnv({ DOCKER_HOST: 'tcp://elsewhere:2375', PATH: '/bin' })).toEqual({ PATH: '/bin' });
  });

  it('names nodes after the prefix; tests read the names from the cluster, node 1 first', () => {
    const options = resolveOptions({ prefix: 'd1', subnet: 11 });
    const names = [1, 2, 3].map((index) => nodeName(options, index));
    expect(names).toEqual(['d1node1', 'd1node2', 'd1node3']);
    // Listed out of order on purpose: nodeNames goes by index, not by position in the list.
    const cluster = {
      nodes: [3, 1, 2].map((index) => ({ name: nodeName(options, index), index })),
    } as ClusterDescription;
    expect(nodeNames(cluster, 2)).toEqual(['d1node1', 'd1node2']);
    expect(() => nodeNames(cluster, 4)).toThrow(/needs 4 nodes, the test cluster has 3/);
  });

  it('rejects a malformed cluster.json with a typed error', () => {
    expect(() => parseDescription('{"version":1,"nodes":[]}')).toThrow(/no nodes/);
    expect(() => parseDescription('nope')).toThrow(ClusterError);
  });
});
