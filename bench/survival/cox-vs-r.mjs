#!/usr/bin/env node
// Benchmark: `iseg-qa survival cox` as a whole process against
// `Rscript -e 'library(survival); d <- read.csv(F); coxph(...)'` on the same CSV
// (100,000 rows × 10 covariates, integer times with ties, ~40% censored), alternating runs.
// Prints each run, the medians and the median ratio (target ≤ 0.5, docs/benchmarks.md).
// Usage: node bench/survival/cox-vs-r.mjs [--rows 100000] [--runs 5] [--ties efron|breslow] [--compiled]
//        node bench/survival/cox-vs-r.mjs --growth [--runs 3] [--max-n 1000000]  (cost growth, growth.mjs)
// --compiled also times the same command bundled by esbuild into plain JS (no tsx at start-up).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '5' },
    ties: { type: 'string', default: 'efron' },
    compiled: { type: 'boolean', default: false },
    growth: { type: 'boolean', default: false },
    'max-n': { type: 'string', default: '1000000' },
  },
});
if (values.growth) {
  // Cost growth over n and p (bench/survival/growth.mjs); the rest of this file is the one-size run.
  const { runGrowth } = await import('./growth.mjs');
  await runGrowth({ runs: Number(values.runs ?? 3), ties: values.ties, maxN: Number(values['max-n']) });
  process.exit(0);
}
const n = Number(values.rows);
const runs = Number(values.runs);
const p = 10;

// deterministic generator (mulberry32) so every run of the benchmark uses the same data
let seed = 20261128;
const rand = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
const beta = [0.3, -0.2, 0.1, 0.05, -0.1, 0.2, 0, 0.15, -0.05, 0.1];
const names = Array.from({ length: p }, (_, k) => `x${k + 1}`);
const lines = [['time', 'event', ...names].join(',')];
for (let i = 0; i < n; i++) {
  const x = names.map((_, k) => (k % 3 === 2 ? (rand() < 0.4 ? 1 : 0) : Number(normal().toFixed(4))));
  const eta = x.reduce((s, v, k) => s + v * beta[k], 0);
  const t = -Math.log(rand()) / (0.01 * Math.exp(eta));
  const c = rand() * 150;
  const time = Math.max(1, Math.ceil(Math.min(t, c))); // integer days: many ties
  lines.push([time, t <= c ? 1 : 0, ...x].join(','));
}
const dir = mkdtempSync(join(tmpdir(), 'iseg-bench-'));
const csv = join(dir, 'cox.csv');
writeFileSync(csv, lines.join('\n') + '\n');
console.log(`data: ${csv} (${n} rows × ${p} covariates, ties=${values.ties})`);

const formula = `Surv(time, event) ~ ${names.join(' + ')}`;
const rExpr = `suppressMessages(library(survival)); d <- read.csv('${csv}'); f <- coxph(${formula}, data = d, ties = '${values.ties}'); print(coef(f))`;
const ours = [
  'node',
  [
    join(root, 'cli', 'iseg-qa.mjs'),
    'survival',
    'cox',
    '--csv',
    csv,
    '--time',
    'time',
    '--event',
    'event',
    '--covariates',
    names.join(','),
    '--ties',
    values.ties,
    '--json',
  ],
];
const theirs = ['Rscript', ['-e', rExpr]];
let compiled = null;
if (values.compiled) {
  const bundle = join(dir, 'survival-cli.mjs');
  const b = spawnSync(
    join(root, 'node_modules', '.bin', 'esbuild'),
    [join(root, 'bench', 'survival', 'compiled-entry.ts'), '--bundle', '--platform=node', '--format=esm', `--outfile=${bundle}`, '--log-level=warning'],
    { encoding: 'utf8' },
  );
  if (b.status !== 0) throw new Error(`esbuild failed: ${b.stderr}`);
  compiled = ['node', [bundle, ...ours[1].slice(2)]];
}

// CPU seconds (user + system of the whole process tree) from GNU time when present: on a busy
// machine wall time swings with other load, CPU time much less.
const gnuTime = spawnSync('/usr/bin/time', ['-f', '%U %S', 'true']).status === 0;
function time(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { s, cpu: m ? Number(m[1]) + Number(m[2]) : NaN, out: r.stdout };
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const a = [];
const b = [];
const ac = [];
const bc = [];
const cc = [];
const ccpu = [];
let last;
for (let i = 0; i < runs; i++) {
  const o = time(...ours);
  const r = time(...theirs);
  if (compiled) {
    const c = time(...compiled);
    cc.push(c.s);
    ccpu.push(c.cpu);
    console.log(`       compiled ${c.s.toFixed(3)} s (CPU ${c.cpu.toFixed(2)} s)`);
  }
  a.push(o.s);
  b.push(r.s);
  ac.push(o.cpu);
  bc.push(r.cpu);
  last = { o: o.out, r: r.out };
  console.log(`run ${i + 1}: iseg-qa ${o.s.toFixed(3)} s (CPU ${o.cpu.toFixed(2)} s)   Rscript ${r.s.toFixed(3)} s (CPU ${r.cpu.toFixed(2)} s)`);
}
const fit = JSON.parse(last.o);
console.log('iseg-qa coef:', fit.coefficients.map((c) => c.coef.toPrecision(7)).join(' '));
console.log('R coef:\n' + last.r.trim());
console.log(
  `wall: median iseg-qa ${median(a).toFixed(3)} s, median Rscript ${median(b).toFixed(3)} s, ratio ${(median(a) / median(b)).toFixed(3)} (target ≤ 0.5)`,
);
if (compiled)
  console.log(
    `compiled: median ${median(cc).toFixed(3)} s wall (ratio ${(median(cc) / median(b)).toFixed(3)}), CPU ${median(ccpu).toFixed(3)} s (ratio ${(median(ccpu) / median(bc)).toFixed(3)})`,
  );
if (gnuTime)
  console.log(`CPU:  median iseg-qa ${median(ac).toFixed(3)} s, median Rscript ${median(bc).toFixed(3)} s, ratio ${(median(ac) / median(bc)).toFixed(3)}`);
