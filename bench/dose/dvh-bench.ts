/**
 * Dose benchmark (docs/benchmarks.md): DVHs of 10 structures on a 512×512×177 CT with a 2.5 mm
 * dose grid (lib/dicom/dose-phantom.ts), from the DICOM files, side by side in one run:
 * - ours: `node cli/iseg-qa.mjs dose dvh --json` (whole process: reading the CT headers, the
 *   RTSTRUCT and the RTDOSE, rasterising, trilinear dose at every structure voxel, metrics, DVH);
 * - plastimatch 1.9.4: `plastimatch convert` (RTSTRUCT → structure image on the CT) then
 *   `plastimatch dvh` (dose resampled onto it, histogram), both timed together;
 * - dicompyler-core (optional, --dicompyler): dvhcalc.get_dvh for each structure in one python3.
 * Prints the median wall time of each and the ratio ours / plastimatch (target ≤ 0.5).
 *
 * - the same CLI of another checkout (optional, --baseline ROOT: e.g. `git archive <commit>` unpacked,
 *   with node_modules linked and lib/server/db/generated copied), timed in the same rounds, so a
 *   change is measured before/after back to back under the same machine load.
 *
 * Usage: npx tsx bench/dose/dvh-bench.ts [--runs 3] [--dir DIR] [--dicompyler] [--baseline ROOT]   (npm run bench:dose)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeDosePhantom, type DosePhantomSpec } from '@/lib/dicom';

const root = resolve(import.meta.dirname, '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    dir: { type: 'string', default: join(tmpdir(), 'iseg-qa-bench-dose') },
    dicompyler: { type: 'boolean', default: false },
    baseline: { type: 'string' },
  },
});
const runs = Number(values.runs);
const dir = values.dir!;

export const BENCH_PHANTOM: DosePhantomSpec = {
  ctDims: [512, 512, 177],
  ctSpacingMm: [0.9766, 0.9766, 2.5],
  doseSpacingMm: [2.5, 2.5, 2.5],
  structures: [
    { name: 'Body', centreMm: [0, 0, 0], radiiMm: [200, 160, 200], interpretedType: 'EXTERNAL' },
    { name: 'Lung_L', centreMm: [80, -10, 40], radiiMm: [55, 70, 110], interpretedType: 'ORGAN' },
    { name: 'Lung_R', centreMm: [-80, -10, 40], radiiMm: [60, 70, 115], interpretedType: 'ORGAN' },
    { name: 'Heart', centreMm: [20, 30, -20], radiiMm: [50, 45, 55], interpretedType: 'ORGAN' },
    { name: 'SpinalCord', centreMm: [0, 80, 0], radiiMm: [6, 6, 180], interpretedType: 'ORGAN' },
    { name: 'Esophagus', centreMm: [5, 50, 10], radiiMm: [9, 9, 120], interpretedType: 'ORGAN' },
    { name: 'PTV', centreMm: [-70, -20, 60], radiiMm: [35, 32, 38], interpretedType: 'PTV' },
    { name: 'CTV', centreMm: [-70, -20, 60], radiiMm: [28, 25, 30], interpretedType: 'CTV' },
    { name: 'GTV', centreMm: [-70, -20, 60], radiiMm: [18, 16, 20], interpretedType: 'GTV' },
    { name: 'Ring', centreMm: [-70, -20, 60], radiiMm: [60, 55, 62], interpretedType: 'ORGAN' },
  ],
  target: { centreMm: [-70, -20, 60], radiusMm: 38, falloffMm: 4 },
  prescriptionGy: 60,
  fractions: 30,
  seed: 'dose-bench-512',
};

if (!existsSync(join(dir, 'RD.dcm'))) {
  const t = Date.now();
  await writeDosePhantom(dir, BENCH_PHANTOM);
  console.log(`wrote the phantom to ${dir} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const ct = join(dir, 'CT');
const rs = join(dir, 'RS.dcm');
const rd = join(dir, 'RD.dcm');
const rp = join(dir, 'RP.dcm');

/** CPU seconds (user + system) of each command, from /usr/bin/time: the machine is shared, so
 * wall time swings with other work; CPU time much less. */
const cpu: { ours: number[]; plastimatch: number[]; dicompyler: number[]; baseline: number[] } = { ours: [], plastimatch: [], dicompyler: [], baseline: [] };
let lastCpu = 0;
function timed(cmd: string[], cwd = root): number {
  const t = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', ...cmd], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  lastCpu = m ? Number(m[1]) + Number(m[2]) : NaN;
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cliArgs = ['dose', 'dvh', '--ct', ct, '--rtstruct', rs, '--rtdose', rd, '--rtplan', rp, '--json'];
const oursCmd = [process.execPath, join(root, 'cli/iseg-qa.mjs'), ...cliArgs];
const baselineCmd = values.baseline ? [process.execPath, join(resolve(values.baseline), 'cli/iseg-qa.mjs'), ...cliArgs] : null;
const py = `
import sys
from dicompylercore import dicomparser, dvhcalc
rs, rd = sys.argv[1], sys.argv[2]
for n in dicomparser.DicomParser(rs).GetStructures():
    dvhcalc.get_dvh(rs, rd, n)
`;
// One warm-up of ours (builds the CLI bundle when sources are newer) and of plastimatch.
timed(oursCmd);
if (baselineCmd) timed(baselineCmd);
const t: { ours: number[]; plastimatch: number[]; dicompyler: number[]; baseline: number[] } = { ours: [], plastimatch: [], dicompyler: [], baseline: [] };
for (let n = 0; n < runs; n++) {
  if (baselineCmd) {
    t.baseline.push(timed(baselineCmd));
    cpu.baseline.push(lastCpu);
  }
  t.ours.push(timed(oursCmd));
  cpu.ours.push(lastCpu);
  const work = mkdtempSync(join(tmpdir(), 'plm-dvh-'));
  try {
    const a = timed([
      'plastimatch',
      'convert',
      '--input',
      rs,
      '--referenced-ct',
      ct,
      '--output-ss-img',
      join(work, 'ss.nrrd'),
      '--output-ss-list',
      join(work, 'ss.txt'),
    ]);
    const ca = lastCpu;
    const b = timed([
      'plastimatch',
      'dvh',
      '--input-dose',
      rd,
      '--input-ss-img',
      join(work, 'ss.nrrd'),
      '--input-ss-list',
      join(work, 'ss.txt'),
      '--output-csv',
      join(work, 'dvh.csv'),
      '--bin-width',
      '0.01',
      '--num-bins',
      '8000',
    ]);
    t.plastimatch.push(a + b);
    cpu.plastimatch.push(ca + lastCpu);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  if (values.dicompyler) {
    t.dicompyler.push(timed(['/usr/bin/python3', '-c', py, rs, rd]));
    cpu.dicompyler.push(lastCpu);
  }
}
const o = median(t.ours);
const p = median(t.plastimatch);
const co = median(cpu.ours);
const cp = median(cpu.plastimatch);
const f = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
console.log(`DVHs of ${BENCH_PHANTOM.structures.length} structures, CT 512×512×177, dose grid 2.5 mm; median of ${runs} runs; wall s | CPU s (user+sys):`);
console.log(`  ours (iseg-qa dose dvh, whole process)  ${o.toFixed(2)} | ${co.toFixed(2)}   wall ${f(t.ours)}  cpu ${f(cpu.ours)}`);
console.log(`  plastimatch convert + dvh               ${p.toFixed(2)} | ${cp.toFixed(2)}   wall ${f(t.plastimatch)}  cpu ${f(cpu.plastimatch)}`);
if (baselineCmd) {
  const b = median(t.baseline);
  console.log(`  baseline (${values.baseline})  ${b.toFixed(2)} | ${median(cpu.baseline).toFixed(2)}   wall ${f(t.baseline)}  cpu ${f(cpu.baseline)}`);
  console.log(
    `  baseline / plastimatch: wall ${(b / p).toFixed(2)}, CPU ${(median(cpu.baseline) / cp).toFixed(2)}; ours / baseline: wall ${(o / b).toFixed(2)}, CPU ${(co / median(cpu.baseline)).toFixed(2)}`,
  );
}
if (values.dicompyler)
  console.log(
    `  dicompyler-core get_dvh ×10             ${median(t.dicompyler).toFixed(2)} | ${median(cpu.dicompyler).toFixed(2)}   wall ${f(t.dicompyler)}  cpu ${f(cpu.dicompyler)}`,
  );
const pairs = t.ours.map((x, n) => x / t.plastimatch[n]!);
console.log(
  `ratio ours / plastimatch: wall ${(o / p).toFixed(2)} (per run ${f(pairs)}), CPU ${(co / cp).toFixed(2)} (target ≤ 0.5)${values.dicompyler ? `; ours / dicompyler wall ${(o / median(t.dicompyler)).toFixed(3)}` : ''}`,
);
