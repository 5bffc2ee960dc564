/**
 * Metrics benchmark (docs/benchmarks.md, "Metrics"; issue #19): time our metrics as a whole
 * process against `plastimatch dice --all` on the same NIfTI files, alternating runs, and print
 * the median wall and CPU ratios and peak memory per pair:
 * - `gtv`: the CTV/GTV-sized synthetic pair (~120 cc ellipsoid, 512×512×177; generate-pair.ts),
 *   target ratio ≤ 0.4;
 * - `body`: the head-phantom-sized synthetic body pair (~7 L ellipsoid, 512×512×177), ≤ 0.5;
 * - `ct-body`: the held-out-style pair from real data, the BODY of a real RTSTRUCT rasterised by
 *   our importer on its real CT grid (512×512×98, ~15 L; ct-body-pair.ts), ≤ 0.5. Skipped, with
 *   a message, when ../shared/data is absent.
 *
 * Usage: npx tsx bench/metrics/run-bench.ts [--runs 5] [--conventions voxel,surfel] [--dir DIR] [--pairs gtv,body,ct-body]
 *        npm run bench:metrics -- --growth [--runs 3]   (the cost-growth table instead: growth.ts)
 * Needs: plastimatch, /usr/bin/time, and /usr/bin/python3 with nibabel (to write the synthetic pairs once).
 * Ours is the bundled `iseg-qa metrics --json` (cli/iseg-qa.mjs builds .cache/cli; the bench runs a
 * frozen copy of that bundle so that a source edit by someone else mid-run cannot make one of
 * our runs rebuild it; the entry script's freshness check, ~20 ms, is not timed).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    conventions: { type: 'string', default: 'voxel,surfel' },
    dir: { type: 'string', default: join(tmpdir(), 'iseg-qa-bench-metrics') },
    pairs: { type: 'string', default: 'gtv,body,ct-body' },
    growth: { type: 'boolean', default: false },
  },
});
if (values.growth) {
  const g = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/metrics/growth.ts'), '--runs', values.runs!, '--conventions', values.conventions!],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  process.exit(g.status ?? 1);
}
const runs = Number(values.runs);
const dir = values.dir!;

if (!existsSync(join(dir, 'body-test.nii.gz'))) {
  const w = spawnSync('/usr/bin/python3', [join(root, 'bench/metrics/write-nifti-pair.py'), dir], { stdio: 'inherit' });
  if (w.status !== 0) throw new Error('could not write the benchmark NIfTI pair (needs /usr/bin/python3 with nibabel)');
}

const pairs = values.pairs!.split(',');
const ctBodyOk = existsSync(join(root, '../shared/data/dicompyler/rtss.dcm')) && existsSync(join(root, '../shared/data/dicompyler/ct.0.dcm'));
if (pairs.includes('ct-body') && !ctBodyOk) {
  console.warn('Skipping the ct-body pair: ../shared/data/dicompyler (real CT slice + RTSTRUCT) is absent beside the checkout.');
  pairs.splice(pairs.indexOf('ct-body'), 1);
}
if (pairs.includes('ct-body') && !existsSync(join(dir, 'ct-body-test.nii.gz'))) {
  const w = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/metrics/ct-body-pair.ts'), dir], { cwd: root, stdio: 'inherit' });
  if (w.status !== 0) throw new Error('could not write the ct-body pair (bench/metrics/ct-body-pair.ts)');
}

// Build the CLI bundle if stale (one untimed run), then freeze a copy beside it for the timed runs.
const node = process.execPath;
const warm = spawnSync(node, [join(root, 'cli/iseg-qa.mjs'), 'metrics', '--help'], { cwd: root, encoding: 'utf8' });
if (warm.status !== 0 || !existsSync(join(root, '.cache/cli/main.mjs'))) throw new Error(`iseg-qa did not start: ${warm.stderr}`);
const frozen = join(root, '.cache', `cli-bench-${process.pid}`);
cpSync(join(root, '.cache/cli'), frozen, { recursive: true });
process.on('exit', () => rmSync(frozen, { recursive: true, force: true }));
function ours(ref: string, test: string): string[] {
  return [node, join(frozen, 'main.mjs'), 'metrics', '--reference', ref, '--test', test, '--json', '--convention', values.conventions!];
}
const TARGET: Record<string, number> = { gtv: 0.4, body: 0.5, 'ct-body': 0.5 };
console.log(
  JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg().map((x) => Number(x.toFixed(2))), cpus: (await import('node:os')).cpus().length }),
);

/**
 * Wall seconds, CPU seconds (user + system) and peak RSS (KB) of one process, from GNU time.
 * CPU time is printed too because on a shared machine wall time mostly measures the neighbours.
 */
function timeIt(cmd: string[]): { wallS: number; cpuS: number; maxRssKb: number; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', ...cmd], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /__TIME__ ([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr}`);
  return { wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), maxRssKb: Number(m[4]), stdout: r.stdout };
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const report = [];
for (const pair of pairs) {
  const ref = join(dir, `${pair}-reference.nii.gz`);
  const test = join(dir, `${pair}-test.nii.gz`);
  const a: number[] = [],
    b: number[] = [],
    ma: number[] = [],
    mb: number[] = [],
    ca: number[] = [],
    cb: number[] = [];
  let last = '';
  for (let n = 0; n < runs; n++) {
    // Alternate which tool goes first so drifting machine load hits both alike.
    const order = n % 2 === 0 ? ['ours', 'plastimatch'] : ['plastimatch', 'ours'];
    for (const who of order) {
      if (who === 'ours') {
        const t = timeIt(ours(ref, test));
        a.push(t.wallS);
        ca.push(t.cpuS);
        ma.push(t.maxRssKb);
        last = t.stdout;
      } else {
        const t = timeIt(['plastimatch', 'dice', '--all', ref, test]);
        b.push(t.wallS);
        cb.push(t.cpuS);
        mb.push(t.maxRssKb);
      }
    }
  }
  const row = {
    pair,
    runs,
    target: TARGET[pair],
    conventions: values.conventions,
    oursMedianS: median(a),
    plastimatchMedianS: median(b),
    ratio: median(a) / median(b),
    oursMedianCpuS: median(ca),
    plastimatchMedianCpuS: median(cb),
    cpuRatio: median(ca) / median(cb),
    oursPeakRssMb: Math.max(...ma) / 1024,
    plastimatchPeakRssMb: Math.max(...mb) / 1024,
    dice: JSON.parse(last).dice,
    loadAverageAfter: loadavg().map((x) => Number(x.toFixed(2))),
  };
  report.push(row);
  console.log(JSON.stringify(row));
}
for (const r of report) {
  console.log(
    `${r.pair.padEnd(8)} wall ${r.oursMedianS.toFixed(2)} s vs ${r.plastimatchMedianS.toFixed(2)} s = ${r.ratio.toFixed(2)}×  CPU ${r.oursMedianCpuS.toFixed(2)} vs ${r.plastimatchMedianCpuS.toFixed(2)} s = ${r.cpuRatio.toFixed(2)}×  peak RSS ${r.oursPeakRssMb.toFixed(0)} vs ${r.plastimatchPeakRssMb.toFixed(0)} MiB  (target ≤ ${r.target}×)`,
  );
}
const pass = report.every((r) => r.ratio <= r.target! && r.oursPeakRssMb <= r.plastimatchPeakRssMb);
console.log(
  pass
    ? 'PASS: every pair within its target ratio and peak memory ≤ plastimatch'
    : 'OVER BUDGET: see the ratios above (targets gtv ≤ 0.4, body and ct-body ≤ 0.5; memory ≤ plastimatch)',
);
