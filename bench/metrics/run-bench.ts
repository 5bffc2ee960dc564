/**
 * Metrics benchmark (docs/benchmarks.md, "Budgets"): on 512×512×177 CT-grid pairs (a ~120 cc
 * GTV and a ~7 L body, test shifted and dilated; see generate-pair.ts), time our metrics as a
 * whole process against `plastimatch dice --all` on the same NIfTI files, alternating runs, and
 * print the median wall-time ratio and peak memory for each pair.
 *
 * Usage: npx tsx bench/metrics/run-bench.ts [--runs 5] [--conventions voxel,surfel] [--dir DIR]
 * Needs: plastimatch, /usr/bin/time, and /usr/bin/python3 with nibabel (to write the pair once).
 * Ours is `node cli/iseg-qa.mjs metrics --json` when cli/commands/metrics.ts exists, otherwise
 * bench/metrics/metrics-process.ts (same reading and computation, no CLI wrapper).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    conventions: { type: 'string', default: 'voxel,surfel' },
    dir: { type: 'string', default: join(tmpdir(), 'iseg-qa-bench-metrics') },
  },
});
const runs = Number(values.runs);
const dir = values.dir!;

if (!existsSync(join(dir, 'body-test.nii.gz'))) {
  const w = spawnSync('/usr/bin/python3', [join(root, 'bench/metrics/write-nifti-pair.py'), dir], { stdio: 'inherit' });
  if (w.status !== 0) throw new Error('could not write the benchmark NIfTI pair (needs /usr/bin/python3 with nibabel)');
}

const cliMetrics = existsSync(join(root, 'cli/commands/metrics.ts'));
const node = process.execPath;
function ours(ref: string, test: string): string[] {
  const conv = values.conventions!;
  return cliMetrics
    ? [node, join(root, 'cli/iseg-qa.mjs'), 'metrics', '--reference', ref, '--test', test, '--json', '--convention', conv]
    : [node, '--import', 'tsx', join(root, 'bench/metrics/metrics-process.ts'), ref, test, conv];
}

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
for (const pair of ['gtv', 'body']) {
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
    ours: cliMetrics ? 'iseg-qa metrics' : 'bench/metrics/metrics-process.ts',
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
  };
  report.push(row);
  console.log(JSON.stringify(row));
}
const pass = report.every((r) => r.ratio <= 0.5 && r.oursPeakRssMb <= r.plastimatchPeakRssMb);
console.log(pass ? 'PASS: ratio ≤ 0.5 and peak memory ≤ plastimatch on both pairs' : 'OVER BUDGET: see the ratios above (target ≤ 0.5, memory ≤ plastimatch)');
