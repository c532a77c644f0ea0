/**
 * `npm run bench [-- --sim-only | --real | --real-only] [--quick] [--trials 5] [--no-write]`: the
 * real-cluster benchmarks (as root; `--real` insists) and then the scale simulator. The report (Markdown) goes to stdout and
 * replaces the results section of BENCHMARKS.md (unless --no-write); every figure is set against
 * a baseline measured in the same run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeMachine, machineInfo } from './machine.js';
import { ms, ratio, summarise } from './measure.js';
import { benchRealCluster, realReport, type RealResult } from './real-cluster-bench.js';
import { benchScaleCase, type ScaleOptions, type ScaleResult } from './scale-bench.js';
import { MEASURED_COSTS, type OperationCosts } from './simulated-costs.js';

const { values } = parseArgs({
  options: {
    'sim-only': { type: 'boolean', default: false },
    // The real part runs whenever root runs the bench; --real insists on it (fails without root).
    real: { type: 'boolean', default: false },
    'real-only': { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    trials: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
});

const options: ScaleOptions = {
  costs: MEASURED_COSTS,
  core: values.quick
    ? { warmup: 1, minRuns: 3, maxRuns: 5, budgetMs: 1_000 }
    : { warmup: 3, minRuns: 7, maxRuns: 31, budgetMs: 5_000 },
  pass: values.quick
    ? { warmup: 0, minRuns: 1, maxRuns: 3, budgetMs: 2_000 }
    : { warmup: 1, minRuns: 3, maxRuns: 7, budgetMs: 15_000 },
};
const cases = [50, 200, 500].flatMap((nodes) => [20, 100].map((vips) => ({ nodes, vips })));
const RESULTS_START = '<!-- bench:results:start -->';
const RESULTS_END = '<!-- bench:results:end -->';

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function scaleTables(results: readonly ScaleResult[], used: OperationCosts, source: string): string {
  const core = table(
    ['nodes', 'VIPs', 'containers', 'parse', 'core, all to create', 'core, converged', 'desired + plan'],
    results.map((r) => [
      r.nodes,
      r.vips,
      r.containers,
      ms(r.parse.medianMs),
      ms(r.coreEmpty.medianMs),
      ms(r.coreConverged.medianMs),
      ms(r.desiredAndPlan.medianMs),
    ]),
  );
  const passes = table(
    [
      'nodes',
      'VIPs',
      'largest VIP',
      'engine’s limit',
      'pass from empty',
      '÷ engine',
      'no-op pass',
      'no-op: lists / writes / probes / reads / parses',
    ],
    results.map((r) => [
      r.nodes,
      r.vips,
      r.largestVip,
      ms(r.engineLimit.medianMs),
      ms(r.passFromEmpty.medianMs),
      ratio(r.passFromEmpty.medianMs, r.engineLimit.medianMs),
      ms(r.passNoop.medianMs),
      `${r.noop.lists} / ${r.noop.writes} / ${r.noop.probes} / ${r.noop.reads} / ${r.noop.parses}`,
    ]),
  );
  const costs = Object.entries(used)
    .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v}`)
    .join(', ');
  return [
    '### Pure core (median ms)',
    '',
    core,
    '',
    `### Whole pass against the engines’ limit (median ms; simulated calls cost, in ms (${source}): ${costs})`,
    '',
    passes,
    '',
  ].join('\n');
}

/** Medians of the Docker calls measured in this run (whole ms), for the simulator. */
function measuredCosts(real: RealResult | undefined): OperationCosts {
  const timings = real?.operations;
  if (!timings) return MEASURED_COSTS;
  const costs = { ...MEASURED_COSTS };
  for (const key of Object.keys(costs) as (keyof OperationCosts)[]) {
    const median = summarise(timings[key]).medianMs;
    if (Number.isFinite(median)) costs[key] = Math.round(median);
  }
  return costs;
}

const machine = machineInfo();
const sections = [`Machine: ${describeMachine(machine)}.`, ''];
console.log(`# swarm-vip benchmarks\n\n${sections[0]}\n`);
let real: RealResult | undefined;
const realSection: string[] = [];
if (!values['sim-only']) {
  if (process.getuid?.() !== 0) {
    if (values.real || values['real-only']) throw new Error('the real-cluster benchmarks need root');
    const note = 'Real cluster: skipped (needs root).';
    console.error(`[bench] ${note}`);
    realSection.push(note, '');
  } else {
    real = await benchRealCluster({
      trials: Number(values.trials),
      log: (m) => console.error(`[bench] ${m}`),
    });
    const text = `## Real cluster (\`npm run bench\`)\n\n${realReport(real)}`;
    console.log(text);
    realSection.push(text);
  }
}

if (!values['real-only']) {
  // The simulator's calls cost what they cost on the real cluster in this same run, if it ran.
  const costs = measuredCosts(real);
  const results: ScaleResult[] = [];
  for (const c of cases) {
    const started = Date.now();
    results.push(await benchScaleCase(c, { ...options, costs }));
    console.error(`[bench] scale ${c.nodes} nodes × ${c.vips} VIPs: ${Date.now() - started} ms`);
  }
  const source = real ? 'measured above, this run' : 'bench/simulated-costs.ts';
  const text = `## Scale simulator (\`npm run bench\`)\n\n${scaleTables(results, costs, source)}`;
  console.log(text);
  sections.push(text);
}
sections.push(...realSection);

if (!values['no-write'] && !values.quick) {
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'BENCHMARKS.md');
  const current = await readFile(file, 'utf8');
  const start = current.indexOf(RESULTS_START);
  const end = current.indexOf(RESULTS_END);
  if (start < 0 || end < start)
    throw new Error(`BENCHMARKS.md has no ${RESULTS_START} … ${RESULTS_END} section`);
  const fresh = `${RESULTS_START}\n\n${sections.join('\n').trim()}\n\n${RESULTS_END}`;
  await writeFile(file, current.slice(0, start) + fresh + current.slice(end + RESULTS_END.length));
  console.error('[bench] results written into BENCHMARKS.md');
}
