/**
 * Cost growth of `iseg-qa metrics` with mask size (issue #19 item 2): ellipsoids of 10 cc, 100 cc,
 * 1 L and 7 L (the proportions of the synthetic body, 160 : 110 : 95) on the same 512×512×177 CT
 * grid (0.977 × 0.977 × 3 mm); test = reference shifted (1.5, 2, −3) mm with every semi-axis 2 mm
 * longer, as in the body pair. For each size: the whole process (ours: the bundled CLI;
 * plastimatch `dice --all`), wall and CPU seconds and peak RSS, medians of --runs; and our metric
 * core alone in process (computeMetrics, CPU ms, the part that depends on the mask rather than
 * on the image). Prints a table and the fitted exponent b of time ∝ volume^b (least squares on
 * log-log) for each column.
 *
 * Usage: npx tsx bench/metrics/growth.ts [--runs 3] [--conventions voxel,surfel] [--dir DIR]   (npm run bench:metrics-growth)
 * Needs: plastimatch and /usr/bin/time.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeMetrics, type Convention } from '@/lib/core/metrics';
import { voxelVolumeCc } from '@/lib/core/volume';
import { writeNifti } from '@/lib/nifti';
import { BENCH_GRID, rasteriseEllipsoids, type Ellipsoid } from './generate-pair';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    conventions: { type: 'string', default: 'voxel,surfel' },
    dir: { type: 'string', default: join(tmpdir(), 'iseg-qa-bench-metrics-growth') },
  },
});
const runs = Number(values.runs);
const dir = values.dir!;
mkdirSync(dir, { recursive: true });
const conventions = values.conventions!.split(',') as Convention[];

const SIZES_CC = [10, 100, 1000, 7000];
const BODY_AXES = [160, 110, 95];
const BODY_CC = ((4 / 3) * Math.PI * BODY_AXES[0]! * BODY_AXES[1]! * BODY_AXES[2]!) / 1000;

function shapes(cc: number): { reference: Ellipsoid[]; test: Ellipsoid[] } {
  const f = Math.cbrt(cc / BODY_CC);
  const a = BODY_AXES.map((x) => x * f) as [number, number, number];
  return {
    reference: [{ centreMm: [0, 0, 0], semiAxesMm: a }],
    test: [{ centreMm: [1.5, 2, -3], semiAxesMm: [a[0] + 2, a[1] + 2, a[2] + 2] }],
  };
}

const node = process.execPath;
const warm = spawnSync(node, [join(root, 'cli/iseg-qa.mjs'), 'metrics', '--help'], { cwd: root, encoding: 'utf8' });
if (warm.status !== 0) throw new Error(`iseg-qa did not start: ${warm.stderr}`);
const frozen = join(root, '.cache', `cli-growth-${process.pid}`);
cpSync(join(root, '.cache/cli'), frozen, { recursive: true });
process.on('exit', () => rmSync(frozen, { recursive: true, force: true }));

function timeIt(cmd: string[]): { wallS: number; cpuS: number; maxRssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %e %U %S %M', ...cmd], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr}`);
  const m = /__TIME__ ([0-9.]+) ([0-9.]+) ([0-9.]+) ([0-9]+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from /usr/bin/time: ${r.stderr}`);
  return { wallS: Number(m[1]), cpuS: Number(m[2]) + Number(m[3]), maxRssMb: Number(m[4]) / 1024 };
}
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Least-squares slope of log y on log x. */
function exponent(x: number[], y: number[]): number {
  const lx = x.map(Math.log),
    ly = y.map(Math.log);
  const mx = lx.reduce((s, v) => s + v, 0) / lx.length,
    my = ly.reduce((s, v) => s + v, 0) / ly.length;
  let num = 0,
    den = 0;
  for (let n = 0; n < lx.length; n++) {
    num += (lx[n]! - mx) * (ly[n]! - my);
    den += (lx[n]! - mx) ** 2;
  }
  return num / den;
}

console.log(
  JSON.stringify({ date: new Date().toISOString(), loadAverage: loadavg().map((x) => Number(x.toFixed(2))), grid: '512×512×177 at 0.977×0.977×3 mm' }),
);
const rows = [];
for (const cc of SIZES_CC) {
  const s = shapes(cc);
  const reference = rasteriseEllipsoids(BENCH_GRID, s.reference);
  const test = rasteriseEllipsoids(BENCH_GRID, s.test);
  const refPath = join(dir, `${cc}cc-reference.nii.gz`);
  const testPath = join(dir, `${cc}cc-test.nii.gz`);
  if (!existsSync(testPath)) {
    writeNifti(refPath, { grid: BENCH_GRID, data: reference }, { intent: 'mask' });
    writeNifti(testPath, { grid: BENCH_GRID, data: test }, { intent: 'mask' });
  }
  let voxels = 0;
  for (let q = 0; q < reference.length; q++) voxels += reference[q]!;
  const core: number[] = [];
  for (let n = 0; n < runs; n++) {
    const c0 = process.cpuUsage();
    computeMetrics({ reference, test, grid: BENCH_GRID, conventions });
    const c = process.cpuUsage(c0);
    core.push((c.user + c.system) / 1000);
  }
  const ours: ReturnType<typeof timeIt>[] = [];
  const plm: ReturnType<typeof timeIt>[] = [];
  for (let n = 0; n < runs; n++) {
    const oursCmd = [node, join(frozen, 'main.mjs'), 'metrics', '--reference', refPath, '--test', testPath, '--json', '--convention', values.conventions!];
    const plmCmd = ['plastimatch', 'dice', '--all', refPath, testPath];
    if (n % 2 === 0) {
      ours.push(timeIt(oursCmd));
      plm.push(timeIt(plmCmd));
    } else {
      plm.push(timeIt(plmCmd));
      ours.push(timeIt(oursCmd));
    }
  }
  const row = {
    cc,
    referenceCc: Number((voxels * voxelVolumeCc(BENCH_GRID)).toFixed(1)),
    coreCpuMs: Math.round(median(core)),
    oursWallS: median(ours.map((t) => t.wallS)),
    oursCpuS: median(ours.map((t) => t.cpuS)),
    oursPeakRssMb: Math.round(Math.max(...ours.map((t) => t.maxRssMb))),
    plastimatchWallS: median(plm.map((t) => t.wallS)),
    plastimatchCpuS: median(plm.map((t) => t.cpuS)),
    plastimatchPeakRssMb: Math.round(Math.max(...plm.map((t) => t.maxRssMb))),
    loadAverage: loadavg()[0]!.toFixed(2),
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}
const v = rows.map((r) => r.referenceCc);
console.log('| mask | core CPU ms | ours wall / CPU s | ours peak RSS MiB | plastimatch wall / CPU s | plastimatch peak RSS MiB | load |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(
    `| ${r.referenceCc} cc | ${r.coreCpuMs} | ${r.oursWallS.toFixed(2)} / ${r.oursCpuS.toFixed(2)} | ${r.oursPeakRssMb} | ${r.plastimatchWallS.toFixed(2)} / ${r.plastimatchCpuS.toFixed(2)} | ${r.plastimatchPeakRssMb} | ${r.loadAverage} |`,
  );
}
const fit = {
  coreCpu: exponent(
    v,
    rows.map((r) => r.coreCpuMs),
  ),
  oursCpu: exponent(
    v,
    rows.map((r) => r.oursCpuS),
  ),
  oursWall: exponent(
    v,
    rows.map((r) => r.oursWallS),
  ),
  oursRss: exponent(
    v,
    rows.map((r) => r.oursPeakRssMb),
  ),
  plastimatchCpu: exponent(
    v,
    rows.map((r) => r.plastimatchCpuS),
  ),
  plastimatchWall: exponent(
    v,
    rows.map((r) => r.plastimatchWallS),
  ),
  plastimatchRss: exponent(
    v,
    rows.map((r) => r.plastimatchPeakRssMb),
  ),
};
console.log(
  `fitted exponents (time ∝ volume^b, 10 cc → 7 L): ${Object.entries(fit)
    .map(([k, b]) => `${k} ${b.toFixed(2)}`)
    .join(', ')}`,
);
