/**
 * Benchmark: the EWMA chart of 10,000 points (baseline from the first 100, exact limits) and the
 * EWMA average run lengths at shifts 0, 0.5, 1 and 2 σ (λ = 0.2, L = 3), ours (lib/core/spc, in
 * this process) against R (spc::xewma.arl, and the chart in base R with stats::filter, in one
 * Rscript), each timed inside its own process so that start-up is left out; rounds alternate.
 * Prints each round, the medians and the ratio ours / R (docs/benchmarks.md, "SPC").
 * Usage: npm run bench:spc [-- --points 10000 --rounds 7 --reps 50]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { estimateBaseline, ewmaArl, ewmaChart } from '@/lib/core/spc';

const { values } = parseArgs({
  options: {
    points: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '50' },
  },
});
const n = Number(values.points);
const rounds = Number(values.rounds);
const reps = Number(values.reps);
const lambda = 0.2;
const L = 3;
const shifts = [0, 0.5, 1, 2];
const nb = 100;

// deterministic data (mulberry32): Dice-like values around 0.82 with a drop after 80 %
let seed = 20261206;
const rand = () => {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
const x = Array.from({ length: n }, (_, i) => Number((0.82 - (i > 0.8 * n ? 0.03 : 0) + 0.035 * normal()).toFixed(4)));
const dir = mkdtempSync(join(tmpdir(), 'iseg-spc-bench-'));
const csv = join(dir, 'series.csv');
writeFileSync(csv, 'x\n' + x.join('\n') + '\n');

const rScript = `
suppressPackageStartupMessages(library(spc))
x <- read.csv('${csv}')$x
work <- function() {
  b <- x[1:${nb}]; mu <- mean(b); sigma <- mean(abs(diff(b))) / 1.128
  z <- as.numeric(stats::filter(${lambda} * x, 1 - ${lambda}, method = "recursive", init = mu))
  half <- ${L} * sigma * sqrt(${lambda} / (2 - ${lambda}) * (1 - (1 - ${lambda})^(2 * seq_along(x))))
  ooc <- z < mu - half | z > mu + half
  arl <- sapply(c(${shifts.join(', ')}), function(d) xewma.arl(${lambda}, ${L}, d, sided = "two"))
  list(z = z, half = half, ooc = ooc, arl = arl)
}
res <- work()
for (i in 1:5) work()
cpu <- function() { p <- proc.time(); p[["user.self"]] + p[["sys.self"]] }
t0 <- proc.time()[["elapsed"]]; c0 <- cpu()
for (i in 1:${reps}) work()
tA0 <- proc.time()[["elapsed"]]; cA0 <- cpu()
for (i in 1:${reps}) sapply(c(${shifts.join(', ')}), function(d) xewma.arl(${lambda}, ${L}, d, sided = "two"))
tA1 <- proc.time()[["elapsed"]]
cat(sprintf("%.9f %.9f %.9f %.17g %.17g %d %s\\n", (tA0 - t0) / ${reps}, (tA1 - tA0) / ${reps}, (cA0 - c0) / ${reps}, res$z[${n}], res$half[${n}], sum(res$ooc), paste(sprintf("%.17g", res$arl), collapse = ",")))
`;

function ours() {
  const b = estimateBaseline(x.slice(0, nb));
  const chart = ewmaChart(x, b, { lambda, L });
  const arl = shifts.map((d) => ewmaArl(lambda, L, d));
  return { chart, arl, b };
}

function timeOurs(): { total: number; arl: number; cpu: number; res: ReturnType<typeof ours> } {
  const res = ours();
  for (let i = 0; i < 5; i++) ours();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) ours();
  const t1 = performance.now();
  const c1 = process.cpuUsage(c0);
  for (let i = 0; i < reps; i++) for (const d of shifts) ewmaArl(lambda, L, d);
  const t2 = performance.now();
  return { total: (t1 - t0) / reps / 1000, arl: (t2 - t1) / reps / 1000, cpu: (c1.user + c1.system) / 1e6 / reps, res };
}

function timeR(): { total: number; arl: number; cpu: number; zLast: number; halfLast: number; ooc: number; arls: number[] } {
  const r = spawnSync('Rscript', ['-e', rScript], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`Rscript with spc failed (apt-get install r-base-core r-cran-spc): ${r.error?.message ?? r.stderr}`);
  const [total, arl, cpu, zLast, halfLast, ooc, arls] = r.stdout.trim().split(' ');
  return {
    total: Number(total),
    arl: Number(arl),
    cpu: Number(cpu),
    zLast: Number(zLast),
    halfLast: Number(halfLast),
    ooc: Number(ooc),
    arls: arls!.split(',').map(Number),
  };
}

const median = (a: number[]) => {
  const s = [...a].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;

console.log(`EWMA chart of ${n} points (λ = ${lambda}, L = ${L}, baseline ${nb}) + ARL at shifts ${shifts.join(', ')}; ${reps} repetitions per round`);
const oursT: number[] = [];
const oursA: number[] = [];
const rT: number[] = [];
const rA: number[] = [];
const oursC: number[] = [];
const rC: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const o = timeOurs();
  const r = timeR();
  if (round === 1) {
    const last = o.res.chart[n - 1]!;
    const arlDiff = Math.max(...o.res.arl.map((a, i) => Math.abs(a - r.arls[i]!) / r.arls[i]!));
    const ooc = o.res.chart.filter((p) => p.outOfControl).length;
    console.log(
      `same work: last EWMA ${last.statistic} vs R ${r.zLast}; half-width ${last.ucl - last.centre} vs ${r.halfLast}; out of control ${ooc} vs ${r.ooc}; ARL max relative difference ${arlDiff.toExponential(2)}`,
    );
  }
  oursT.push(o.total);
  oursA.push(o.arl);
  rT.push(r.total);
  rA.push(r.arl);
  oursC.push(o.cpu);
  rC.push(r.cpu);
  console.log(`round ${round}: ours ${ms(o.total)} wall, ${ms(o.cpu)} CPU (ARLs ${ms(o.arl)}); R ${ms(r.total)} wall, ${ms(r.cpu)} CPU (ARLs ${ms(r.arl)})`);
}
const mo = median(oursT);
const mr = median(rT);
console.log(
  `median: ours ${ms(mo)} wall, ${ms(median(oursC))} CPU (ARLs ${ms(median(oursA))}); R ${ms(mr)} wall, ${ms(median(rC))} CPU (ARLs ${ms(median(rA))})`,
);
console.log(
  `ratio ours / R: ${(mo / mr).toFixed(2)} wall, ${(median(oursC) / median(rC)).toFixed(2)} CPU (wall: ARLs alone ${(median(oursA) / median(rA)).toFixed(2)}, chart alone ${((mo - median(oursA)) / (mr - median(rA))).toFixed(2)})`,
);
rmSync(dir, { recursive: true, force: true });
