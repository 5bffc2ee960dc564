// `npm run bench:survival -- --growth [--runs 3] [--ties efron|breslow] [--max-n 1000000]`:
// cost growth of `iseg-qa survival cox --json` against R's `coxph` (issue #19 item 2), whole
// processes on the same CSV, alternating: n = 1k, 10k, 100k, 1M at p = 10, then p = 1, 5, 10, 20
// at n = 100k. Per point: median wall and CPU seconds and peak RSS (GNU time) of both; the
// coefficients are compared (largest |ours − R|, which must stay under 1e-6 × (1 + |coef|));
// then the fitted exponents (least squares on log-log): time ∝ n^b and time ∝ p^c.
// The CSVs are written by the same deterministic generator as cox-vs-r.mjs.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** The benchmark's CSV: n rows × p covariates (2 of 3 normal, 1 of 3 binary), integer times 1–150 (ties), ~40 % censored. */
export function writeCoxCsv(file, n, p) {
  let seed = 20261128;
  const rand = () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-300)) * Math.cos(2 * Math.PI * rand());
  const base = [0.3, -0.2, 0.1, 0.05, -0.1, 0.2, 0, 0.15, -0.05, 0.1];
  const beta = Array.from({ length: p }, (_, k) => base[k % base.length] / (1 + Math.floor(k / base.length)));
  const names = Array.from({ length: p }, (_, k) => `x${k + 1}`);
  const lines = [['time', 'event', ...names].join(',')];
  for (let i = 0; i < n; i++) {
    const x = names.map((_, k) => (k % 3 === 2 ? (rand() < 0.4 ? 1 : 0) : Number(normal().toFixed(4))));
    const eta = x.reduce((s, v, k) => s + v * beta[k], 0);
    const t = -Math.log(rand()) / (0.01 * Math.exp(eta));
    const c = rand() * 150;
    lines.push([Math.max(1, Math.ceil(Math.min(t, c))), t <= c ? 1 : 0, ...x].join(','));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  return names;
}

/** Wall s, CPU s (user + system) and peak RSS MiB of one whole process (GNU time). */
function timeIt(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message} (GNU time is the 'time' apt package)`);
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /__TIME__ ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr.slice(-500)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMiB: Number(m[4]) / 1024, out: r.stdout };
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
/** Least-squares slope of log y on log x. */
export function logLogSlope(xs, ys) {
  const lx = xs.map(Math.log);
  const ly = ys.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length;
  const my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i] - mx) * (ly[i] - my);
    den += (lx[i] - mx) ** 2;
  }
  return num / den;
}

export async function runGrowth({ runs = 3, ties = 'efron', maxN = 1_000_000 } = {}) {
  const load = () => loadavg().map((x) => +x.toFixed(1));
  console.log(
    JSON.stringify({
      date: new Date().toISOString(),
      node: process.version,
      machine: `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
      load: load(),
      ties,
    }),
  );
  // Ours: the bundled CLI as `iseg-qa` runs it (cli/iseg-qa.mjs builds .cache/cli when stale); a
  // frozen copy so that someone's source edit mid-run cannot rebuild it inside a timed run.
  const warm = spawnSync(process.execPath, [join(root, 'cli', 'iseg-qa.mjs'), 'survival', '--help'], { encoding: 'utf8' });
  if (warm.status !== 0 && !/Usage/.test(warm.stderr + warm.stdout)) throw new Error(`iseg-qa did not start: ${warm.stderr}`);
  const frozen = join(root, '.cache', `cli-bench-survival-${process.pid}`);
  cpSync(join(root, '.cache', 'cli'), frozen, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'iseg-bench-cox-growth-'));
  process.on('exit', () => {
    rmSync(frozen, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const grid = [
    ...[1_000, 10_000, 100_000, 1_000_000].filter((n) => n <= maxN).map((n) => ({ sweep: 'n', n, p: 10 })),
    ...[1, 5, 10, 20].map((p) => ({ sweep: 'p', n: Math.min(100_000, maxN), p })),
  ];
  const rows = [];
  for (const pt of grid) {
    const csv = join(dir, `cox-${pt.n}-${pt.p}.csv`);
    const names = writeCoxCsv(csv, pt.n, pt.p);
    const formula = `Surv(time, event) ~ ${names.join(' + ')}`;
    const rExpr = `suppressMessages(library(survival)); d <- read.csv('${csv}'); f <- coxph(${formula}, data = d, ties = '${ties}'); cat(format(coef(f), digits = 15), '\\n')`;
    const oursArgs = [
      join(frozen, 'main.mjs'),
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
      ties,
      '--json',
    ];
    const o = [];
    const r = [];
    let diff = 0;
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? ['ours', 'R'] : ['R', 'ours'];
      let oc;
      let rc;
      for (const who of order) {
        if (who === 'ours') o.push((oc = timeIt(process.execPath, oursArgs)));
        else r.push((rc = timeIt('Rscript', ['-e', rExpr])));
      }
      const ourCoef = JSON.parse(oc.out).coefficients.map((c) => c.coef);
      const rCoef = rc.out.trim().split(/\s+/).map(Number);
      if (ourCoef.length !== rCoef.length) throw new Error(`n=${pt.n} p=${pt.p}: ${ourCoef.length} coefficients against R's ${rCoef.length}`);
      for (let k = 0; k < rCoef.length; k++) {
        const d = Math.abs(ourCoef[k] - rCoef[k]);
        diff = Math.max(diff, d);
        if (!(d <= 1e-6 * (1 + Math.abs(rCoef[k])))) throw new Error(`n=${pt.n} p=${pt.p}: x${k + 1} ours ${ourCoef[k]} vs R ${rCoef[k]}`);
      }
    }
    const row = {
      ...pt,
      ours: { wall: median(o.map((x) => x.wall)), cpu: median(o.map((x) => x.cpu)), rssMiB: Math.max(...o.map((x) => x.rssMiB)) },
      R: { wall: median(r.map((x) => x.wall)), cpu: median(r.map((x) => x.cpu)), rssMiB: Math.max(...r.map((x) => x.rssMiB)) },
      maxCoefDiff: diff,
      load: load(),
    };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  const f = (x, d = 2) => x.toFixed(d);
  console.log('\n| sweep | n | p | ours wall / CPU s | ours peak RSS MiB | R wall / CPU s | R peak RSS MiB | CPU ratio | max |Δcoef| |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const x of rows)
    console.log(
      `| ${x.sweep} | ${x.n.toLocaleString('en')} | ${x.p} | ${f(x.ours.wall)} / ${f(x.ours.cpu)} | ${f(x.ours.rssMiB, 0)} | ${f(x.R.wall)} / ${f(x.R.cpu)} | ${f(x.R.rssMiB, 0)} | ${f(x.ours.cpu / x.R.cpu)} | ${x.maxCoefDiff.toExponential(1)} |`,
    );
  console.log('\nFitted exponents (least squares on log-log; "top" = the two largest sizes only):');
  console.log('| sweep | measure | ours | R | ours, top | R, top |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const sweep of ['n', 'p']) {
    const pts = rows.filter((x) => x.sweep === sweep);
    if (pts.length < 2) continue;
    const xs = pts.map((x) => x[sweep]);
    const top = pts.slice(-2);
    const txs = top.map((x) => x[sweep]);
    for (const [label, get] of [
      ['CPU', (who) => (x) => x[who].cpu],
      ['wall', (who) => (x) => x[who].wall],
      ['peak RSS', (who) => (x) => x[who].rssMiB],
    ])
      console.log(
        `| ${sweep} | ${label} | ${f(logLogSlope(xs, pts.map(get('ours'))))} | ${f(logLogSlope(xs, pts.map(get('R'))))} | ${f(logLogSlope(txs, top.map(get('ours'))))} | ${f(logLogSlope(txs, top.map(get('R'))))} |`,
      );
  }
  console.log(`load at the end: ${load().join(' ')}`);
  return rows;
}
