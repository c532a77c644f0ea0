/**
 * `npm run bench [-- --real | --real-only] [--quick] [--latency-ms 5] [--trials 5]`: the scale simulator, and with
 * `--real` the recovery benchmarks on a private test cluster. Prints Markdown tables for
 * BENCHMARKS.md; every figure is set against a baseline measured in the same run.
 */
import { parseArgs } from 'node:util';
import { describeMachine, machineInfo } from './machine.js';
import { ms, ratio } from './measure.js';
import { benchRealCluster, realReport } from './real-cluster-bench.js';
import { benchScaleCase, type ScaleOptions, type ScaleResult } from './scale-bench.js';

const { values } = parseArgs({
  options: {
    real: { type: 'boolean', default: false },
    'real-only': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'latency-ms': { type: 'string', default: '5' },
    trials: { type: 'string', default: '5' },
  },
});

const latencyMs = Number(values['latency-ms']);
const options: ScaleOptions = {
  latencyMs,
  core: values.quick
    ? { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 1_000 }
    : { warmup: 3, minRuns: 7, maxRuns: 31, budgetMs: 5_000 },
  pass: values.quick
    ? { warmup: 0, minRuns: 1, maxRuns: 3, budgetMs: 2_000 }
    : { warmup: 1, minRuns: 3, maxRuns: 7, budgetMs: 15_000 },
};
const cases = [50, 200, 500].flatMap((nodes) => [20, 100].map((vips) => ({ nodes, vips })));

function scaleTables(results: readonly ScaleResult[]): string {
  const head = (cols: string[]) => [`| ${cols.join(' | ')} |`, `|${cols.map(() => '---').join('|')}|`];
  const core = [
    ...head([
      'nodes',
      'VIPs',
      'containers',
      'parse',
      'core, all to create',
      'core, converged',
      'no-op pass',
      'core ÷ no-op pass',
      'desired + plan',
      'desired + plan ÷ no-op pass',
    ]),
    ...results.map((r) =>
      [
        r.nodes,
        r.vips,
        r.containers,
        ms(r.parse.medianMs),
        ms(r.coreEmpty.medianMs),
        ms(r.coreConverged.medianMs),
        ms(r.passNoop.medianMs),
        ratio(r.coreConverged.medianMs, r.passNoop.medianMs),
        ms(r.desiredAndPlan.medianMs),
        ratio(r.desiredAndPlan.medianMs, r.passNoop.medianMs),
      ].join(' | '),
    ),
  ];
  const passes = [
    ...head([
      'nodes',
      'VIPs',
      'largest VIP',
      'calls',
      'pass from empty',
      'sequential',
      'ratio',
      'no-op pass',
      'sequential',
      'ratio',
    ]),
    ...results.map((r) =>
      [
        r.nodes,
        r.vips,
        r.largestVip,
        `${r.calls.pass}/${r.calls.baseline}`,
        ms(r.passFromEmpty.medianMs),
        ms(r.baselineFromEmpty.medianMs),
        ratio(r.passFromEmpty.medianMs, r.baselineFromEmpty.medianMs),
        ms(r.passNoop.medianMs),
        ms(r.baselineNoop.medianMs),
        ratio(r.passNoop.medianMs, r.baselineNoop.medianMs),
      ].join(' | '),
    ),
  ];
  const rows = (lines: string[]) => lines.map((l) => (l.startsWith('|') ? l : `| ${l} |`)).join('\n');
  return `### Pure core (median ms)\n\n${rows(core)}\n\n### Whole pass, ${latencyMs} ms per simulated call (median ms)\n\n${rows(passes)}\n`;
}

const machine = machineInfo();
console.log(`# swarm-vip benchmarks\n\n${describeMachine(machine)}\n`);
if (!values['real-only']) {
  const results: ScaleResult[] = [];
  for (const c of cases) {
    const started = Date.now();
    results.push(await benchScaleCase(c, options));
    console.error(`[bench] scale ${c.nodes} nodes × ${c.vips} VIPs: ${Date.now() - started} ms`);
  }
  console.log(`## Scale simulator\n\n${scaleTables(results)}`);
}

if (values.real || values['real-only']) {
  const real = await benchRealCluster({
    trials: Number(values.trials),
    log: (m) => console.error(`[bench] ${m}`),
  });
  console.log(`## Real cluster\n\n${realReport(real)}`);
}
