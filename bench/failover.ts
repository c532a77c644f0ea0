/**
 * `npm run bench:failover [-- --trials 10] [--intervals default,0.1,1] [--faults sigkill,link-cut,engine-stop]
 * [--load-seconds 600] [--load-procs 2] [--keep-cluster]`: failover of VIPs side by side on a private
 * test cluster, then false failovers with the CPUs saturated. Markdown on stdout, progress on stderr.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_ADVERT_INTERVAL } from '../src/core/vrrp-version.js';
import { FAULT_KINDS, benchFailover, failoverReport, type FailoverFault } from './failover-bench.js';
import { describeMachine, machineInfo } from './machine.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '10' },
    intervals: { type: 'string', default: 'default,0.1,1' },
    faults: { type: 'string', default: FAULT_KINDS.join(',') },
    'load-seconds': { type: 'string', default: '600' },
    'load-procs': { type: 'string', default: '2' },
    'keep-cluster': { type: 'boolean', default: false },
  },
});

const faults = values.faults.split(',').map((f) => {
  if (!(FAULT_KINDS as readonly string[]).includes(f))
    throw new Error(`unknown fault ${f} (${FAULT_KINDS.join(', ')})`);
  return f as FailoverFault;
});
const result = await benchFailover({
  intervals: values.intervals,
  trials: Number(values.trials),
  faults,
  loadSeconds: Number(values['load-seconds']),
  loadProcsPerNode: Number(values['load-procs']),
  keepCluster: values['keep-cluster'],
  log: (m) => console.error(`[bench:failover] ${m}`),
});
console.log(
  `## Failover\n\n${describeMachine(machineInfo())}\n\n${failoverReport(result, DEFAULT_ADVERT_INTERVAL)}`,
);
