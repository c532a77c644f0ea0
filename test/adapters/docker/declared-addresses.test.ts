import { describe, expect, it } from 'vitest';
import { declaredAddresses } from '../../../src/adapters/docker/node-runtime.js';

describe('declaredAddresses', () => {
  it.each([
    [['KEEPALIVED_VIRTUAL_IPS=192.168.4.3'], ['192.168.4.3']],
    [
      ["KEEPALIVED_VIRTUAL_IPS=#PYTHON2BASH:['192.168.1.231', '192.168.1.232']"],
      ['192.168.1.231', '192.168.1.232'],
    ],
    [['KEEPALIVED_VIRTUAL_IPS=fd00:5eed:0:0::64/64'], ['fd00:5eed::64']],
    [['PATH=/bin', 'KEEPALIVED_PRIORITY=200'], []],
  ])('%j → %j', (env, expected) => {
    expect(declaredAddresses(env)).toEqual(expected);
  });
});
