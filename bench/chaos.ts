/**
 * `npm run bench:chaos [-- --seed 1] [--rounds 4] [--gap 3,6] [--hold 2] [--intervals default,1]
 * [--kinds container-rm,container-rm-one] [--restart-delay-ms 1000] [--keep-cluster] [--timeline FILE]
 * [--reconciler-log FILE]`: seeded faults every few seconds against the reconciler
 * in watch mode on a private test cluster. Markdown on stdout, progress on stderr.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { DEFAULT_ADVERT_INTERVAL } from '../src/core/vrrp-version.js';
import { benchChaos, chaosReport, parseKinds } from './chaos-bench.js';
import { describeMachine, machineInfo } from './machine.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '4' },
    gap: { type: 'string', default: '3,6' },
    hold: { type: 'string', default: '2' },
    intervals: { type: 'string', default: 'default,1' },
    kinds: { type: 'string', default: '' },
    'restart-delay-ms': { type: 'string', default: '1000' },
    'keep-cluster': { type: 'boolean', default: false },
    timeline: { type: 'string' },
    'reconciler-log': { type: 'string' },
  },
});

const [gapMin = 3, gapMax = 6] = values.gap.split(',').map(Number);
const result = await benchChaos({
  seed: Number(values.seed),
  rounds: Number(values.rounds),
  kinds: parseKinds(values.kinds),
  gapSeconds: [gapMin, gapMax],
  holdSeconds: Number(values.hold),
  intervals: values.intervals,
  restartDelayMs: Number(values['restart-delay-ms']),
  keepCluster: values['keep-cluster'],
  reconcilerLog: values['reconciler-log'],
  log: (m) => console.error(`[bench:chaos] ${m}`),
});
if (values.timeline) await writeFile(values.timeline, JSON.stringify(result, null, 1));
console.log(
  `## Chaos\n\n${describeMachine(machineInfo())}\n\n${chaosReport(result, DEFAULT_ADVERT_INTERVAL)}`,
);
