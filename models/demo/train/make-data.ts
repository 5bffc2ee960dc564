/**
 * Write synthetic phantom patients as raw arrays for train.py (not committed data; regenerate).
 *
 *   npx tsx models/demo/train/make-data.ts --out DIR --seed demo-train --patients 32 \
 *       [--dims 96,96,48] [--spacing X,Y,Z (default 320,320,192 mm / dims)] [--phases 0,10,...,90]
 *
 * Per patient p (0-based) writes DIR/pNNN_ct.i16 (int16 HU), DIR/pNNN_truth.u8 (truth GTV),
 * each [phases, nz, ny, nx] little-endian (the volume's own index order i + nx*(j + ny*k),
 * i.e. NCDHW), and DIR/meta.json with dims, spacing, seed and phases.
 * Same generator (lib/core/phantom) and seeds as lib/server/seed/write-phantom-cohort.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generatePatient, sampleCohort, PHASE_PERCENTS } from '@/lib/core/phantom';
import type { Vec3 } from '@/lib/core/volume';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    seed: { type: 'string', default: 'demo-train' },
    patients: { type: 'string', default: '32' },
    dims: { type: 'string', default: '96,96,48' },
    /** Default: the demo cohort's field of view (scripts/start.ts), 320 × 320 × 192 mm / dims. */
    spacing: { type: 'string' },
    phases: { type: 'string' },
  },
});
if (!values.out) throw new Error('--out DIR is required');
const dims = values.dims!.split(',').map(Number) as Vec3;
const FOV_MM = [320, 320, 192];
const spacingMm = (values.spacing ? values.spacing.split(',').map(Number) : dims.map((d, a) => FOV_MM[a] / d)) as Vec3;
const phasePercents = values.phases ? values.phases.split(',').map(Number) : [...PHASE_PERCENTS];
const n = Number(values.patients);
mkdirSync(values.out, { recursive: true });
const cohort = sampleCohort({ patients: n, seed: values.seed! });
const voxels = dims[0] * dims[1] * dims[2];
for (const spec of cohort.patients) {
  const p = generatePatient(spec, { dims, spacingMm, phasePercents });
  const ct = new Int16Array(voxels * p.phases.length);
  const truth = new Uint8Array(voxels * p.phases.length);
  p.phases.forEach((ph, f) => {
    ct.set(ph.ct!.data, f * voxels);
    truth.set(ph.truthGtv.data, f * voxels);
  });
  const tag = `p${String(spec.index).padStart(3, '0')}`;
  writeFileSync(join(values.out, `${tag}_ct.i16`), Buffer.from(ct.buffer));
  writeFileSync(join(values.out, `${tag}_truth.u8`), Buffer.from(truth.buffer));
  process.stderr.write(`${tag} tumour voxels/phase ${p.summary.truthGtvVoxels[0]}\n`);
}
writeFileSync(join(values.out, 'meta.json'), JSON.stringify({ seed: values.seed, patients: n, dims, spacingMm, phasePercents }, null, 2));
