/**
 * A dose phantom on disk for tests and benchmarks: a CT series (water ellipse in air), an
 * RTSTRUCT of ellipsoids, an RTDOSE on its own coarser grid (offset from the CT voxels, so the
 * dose must be interpolated) and an RTPLAN with the prescription.
 *
 * Dose field (Gy, analytic): the prescription times a sigmoid fall-off around the target sphere,
 *   D(p) = Rx · (1.07 − 0.07·r/R) / (1 + exp((r − R) / w)),  r = |p − target centre|,
 * i.e. about 107 % at the centre, Rx·0.5 at r = R, and a fall-off of width w beyond it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Grid, type Mask, type Vec3, type Volume, indexToPatientMm } from '@/lib/core/volume';
import { deterministicUid, writeCtSeries } from './write-ct-series';
import { readDicom } from './read-dicom';
import { writeRtStruct } from './write-rtstruct';
import { encodeRtDose, encodeRtPlan } from './write-rtdose';
import { DicomError } from './findings';

export interface DosePhantomStructure {
  name: string;
  centreMm: Vec3;
  radiiMm: Vec3;
  interpretedType?: string;
}

export interface DosePhantomSpec {
  /** CT dims and spacing; the CT is centred on the origin. */
  ctDims: Vec3;
  ctSpacingMm: Vec3;
  /** Dose grid spacing; the grid covers the CT less one dose voxel, shifted by `doseOffsetMm`. */
  doseSpacingMm: Vec3;
  doseOffsetMm?: Vec3;
  structures: DosePhantomStructure[];
  target: { centreMm: Vec3; radiusMm: number; falloffMm: number };
  prescriptionGy: number;
  fractions: number;
  seed: string;
}

export interface DosePhantomFiles {
  ctDir: string;
  rtstruct: string;
  rtdose: string;
  rtplan: string;
  ctGrid: Grid;
  doseGrid: Grid;
}

export function phantomDoseAt(spec: DosePhantomSpec, p: Vec3): number {
  const t = spec.target;
  const r = Math.hypot(p[0] - t.centreMm[0], p[1] - t.centreMm[1], p[2] - t.centreMm[2]);
  return (spec.prescriptionGy * (1.07 - (0.07 * Math.min(r, t.radiusMm)) / t.radiusMm)) / (1 + Math.exp((r - t.radiusMm) / t.falloffMm));
}

function ellipsoidMask(grid: Grid, s: DosePhantomStructure): Mask {
  const [nx, ny, nz] = grid.dims;
  const data = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const p = indexToPatientMm(grid, i, j, k);
        const q = ((p[0] - s.centreMm[0]) / s.radiiMm[0]) ** 2 + ((p[1] - s.centreMm[1]) / s.radiiMm[1]) ** 2 + ((p[2] - s.centreMm[2]) / s.radiiMm[2]) ** 2;
        if (q <= 1) data[i + nx * (j + ny * k)] = 1;
      }
  return { grid, data };
}

/** Write the phantom under `dir` (CT/ folder, RS.dcm, RD.dcm, RP.dcm). */
export async function writeDosePhantom(dir: string, spec: DosePhantomSpec): Promise<DosePhantomFiles> {
  const [nx, ny, nz] = spec.ctDims;
  const [sx, sy, sz] = spec.ctSpacingMm;
  const ctGrid: Grid = {
    dims: [nx, ny, nz],
    spacingMm: [sx, sy, sz],
    originMm: [(-(nx - 1) * sx) / 2, (-(ny - 1) * sy) / 2, (-(nz - 1) * sz) / 2],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const hu = new Int16Array(nx * ny * nz).fill(-1000);
  const ax = ((nx - 1) * sx) / 2.4;
  const ay = ((ny - 1) * sy) / 3;
  for (let j = 0; j < ny; j++)
    for (let i = 0; i < nx; i++) {
      const x = ctGrid.originMm[0] + i * sx;
      const y = ctGrid.originMm[1] + j * sy;
      if ((x / ax) ** 2 + (y / ay) ** 2 <= 1) for (let k = 0; k < nz; k++) hu[i + nx * (j + ny * k)] = 0;
    }
  const uid = (s: string) => deterministicUid(`${spec.seed}/${s}`);
  const studyInstanceUid = uid('study');
  const frameOfReferenceUid = uid('for');
  const ctDir = join(dir, 'CT');
  mkdirSync(dir, { recursive: true });
  writeCtSeries(
    ctDir,
    { grid: ctGrid, data: hu },
    {
      patientName: 'DOSE^PHANTOM',
      patientId: spec.seed,
      studyInstanceUid,
      seriesInstanceUid: uid('ct'),
      frameOfReferenceUid,
      studyDate: '20261206',
      seriesNumber: 1,
      seriesDescription: 'Dose phantom CT',
      manufacturer: 'iSeg QA phantom',
      manufacturerModelName: 'dose-phantom',
      imageComments: 'SYNTHETIC PHANTOM',
    },
  );
  const imp = await readDicom(ctDir);
  const series = imp.series[0];
  if (!series?.grid) throw new DicomError('INVALID_INPUT', `The phantom CT written to ${ctDir} did not read back as one series.`);
  const rs = writeRtStruct({
    series,
    structures: spec.structures.map((s) => ({ name: s.name, mask: ellipsoidMask(series.grid!, s), interpretedType: s.interpretedType ?? 'ORGAN' })),
    label: 'DosePhantom',
    now: new Date('2026-12-06T09:00:00Z'),
    sopInstanceUid: uid('rs'),
    seriesInstanceUid: uid('rs-series'),
  });
  const rtstruct = join(dir, 'RS.dcm');
  writeFileSync(rtstruct, rs.bytes);
  // Dose grid: over the CT extent less one dose voxel each side, shifted off the CT voxels.
  const off = spec.doseOffsetMm ?? [0.37, -0.29, 0.41];
  const ds = spec.doseSpacingMm;
  const dims: Vec3 = [0, 1, 2].map((a) => Math.max(1, Math.floor(((spec.ctDims[a]! - 1) * spec.ctSpacingMm[a]!) / ds[a]!) - 1)) as Vec3;
  const doseGrid: Grid = {
    dims,
    spacingMm: [...ds],
    originMm: [0, 1, 2].map((a) => -((dims[a]! - 1) * ds[a]!) / 2 + off[a]!) as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
  const doseData = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++) doseData[i + dims[0] * (j + dims[1] * k)] = phantomDoseAt(spec, indexToPatientMm(doseGrid, i, j, k));
  const dose: Volume<Float32Array> = { grid: doseGrid, data: doseData };
  const meta = { patientName: 'DOSE^PHANTOM', patientId: spec.seed, studyInstanceUid, frameOfReferenceUid, studyDate: '20261206', uidSeed: spec.seed };
  const plan = encodeRtPlan({
    ...meta,
    label: 'Phantom',
    prescriptionGy: spec.prescriptionGy,
    fractions: spec.fractions,
    referencedStructureSetSopInstanceUid: rs.sopInstanceUid,
  });
  const rtplan = join(dir, 'RP.dcm');
  writeFileSync(rtplan, plan.bytes);
  const rtdose = join(dir, 'RD.dcm');
  writeFileSync(rtdose, encodeRtDose({ ...meta, dose, referencedPlanSopInstanceUid: plan.sopInstanceUid }).bytes);
  return { ctDir, rtstruct, rtdose, rtplan, ctGrid: series.grid, doseGrid };
}

/** The small phantom the tests use: 96×96×48 CT at 1.2×1.2×2.5 mm, 2.5 mm dose, 5 structures. */
export const SMALL_DOSE_PHANTOM: DosePhantomSpec = {
  ctDims: [96, 96, 48],
  ctSpacingMm: [1.2, 1.2, 2.5],
  doseSpacingMm: [2.5, 2.5, 2.5],
  structures: [
    { name: 'PTV', centreMm: [3, -2, 1], radiiMm: [18, 18, 18], interpretedType: 'PTV' },
    { name: 'GTV', centreMm: [3, -2, 1], radiiMm: [10, 12, 9], interpretedType: 'GTV' },
    { name: 'Ring', centreMm: [3, -2, 1], radiiMm: [30, 28, 26] },
    { name: 'OAR_edge', centreMm: [22, 8, -6], radiiMm: [9, 7, 12] },
    { name: 'Far', centreMm: [-30, 10, 20], radiiMm: [8, 8, 8] },
  ],
  target: { centreMm: [3, -2, 1], radiusMm: 23, falloffMm: 2 },
  prescriptionGy: 60,
  fractions: 30,
  seed: 'dose-phantom-small',
};
