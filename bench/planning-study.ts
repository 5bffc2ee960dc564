/**
 * The benchmarks' planning study (bench:import, bench:export): one demo-phantom CT series of
 * `slices` × `size`² (500 mm field of view, 3 mm slices) written as DICOM by the demo seed's writer,
 * and one RTSTRUCT with `rois` structures: the physician GTV and ITV, a BODY outline and further
 * axis-aligned ellipsoid organs. Written under `<base>/study/dicom` (the CT slices and
 * `rtstruct/rs.dcm`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { generatePatient, samplePatientSpec } from '../lib/core/phantom';
import type { Grid } from '../lib/core/volume';
import { readDicom, writeRtStruct } from '../lib/dicom';
import { writePhantomPatient } from '../lib/server/seed/write-phantom-cohort';

type Vec3 = [number, number, number];

/** An axis-aligned ellipsoid mask, centre and radii as fractions of the grid. */
export function ellipsoidMask(grid: Grid, c: Vec3, r: Vec3): { grid: Grid; data: Uint8Array } {
  const [nx, ny, nz] = grid.dims;
  const data = new Uint8Array(nx * ny * nz);
  const [cx, cy, cz] = [c[0] * nx, c[1] * ny, c[2] * nz];
  const [rx, ry, rz] = [r[0] * nx, r[1] * ny, r[2] * nz];
  for (let k = 0; k < nz; k++) {
    const dz = (k - cz) / rz;
    if (dz * dz > 1) continue;
    for (let j = 0; j < ny; j++) {
      const dy = (j - cy) / ry;
      if (dz * dz + dy * dy > 1) continue;
      for (let i = 0; i < nx; i++) {
        const dx = (i - cx) / rx;
        if (dx * dx + dy * dy + dz * dz <= 1) data[i + nx * (j + ny * k)] = 1;
      }
    }
  }
  return { grid, data };
}

const ORGANS: [string, Vec3, Vec3][] = [
  ['BODY', [0.5, 0.5, 0.5], [0.42, 0.34, 0.49]],
  ['Lung_R', [0.33, 0.47, 0.55], [0.12, 0.18, 0.3]],
  ['Lung_L', [0.67, 0.47, 0.55], [0.12, 0.18, 0.3]],
  ['Heart', [0.55, 0.55, 0.45], [0.09, 0.09, 0.12]],
  ['SpinalCord', [0.5, 0.75, 0.5], [0.015, 0.015, 0.48]],
  ['Esophagus', [0.5, 0.62, 0.5], [0.02, 0.02, 0.4]],
  ['Liver', [0.38, 0.5, 0.15], [0.15, 0.15, 0.12]],
  ['Stomach', [0.62, 0.5, 0.15], [0.07, 0.07, 0.08]],
  ['PTV', [0.4, 0.45, 0.6], [0.05, 0.05, 0.06]],
  ['CTV', [0.4, 0.45, 0.6], [0.04, 0.04, 0.05]],
  ['Trachea', [0.5, 0.52, 0.8], [0.025, 0.025, 0.15]],
];

/** Writes the study under `<base>/study/dicom`; returns that folder and the number of ROIs. */
export async function writePlanningStudy(
  base: string,
  { size, slices, rois }: { size: number; slices: number; rois: number },
): Promise<{ dicomDir: string; rois: number }> {
  const dicomDir = path.join(base, 'study', 'dicom');
  const patient = generatePatient(samplePatientSpec('export-bench', 0), {
    dims: [size, size, slices],
    spacingMm: [500 / size, 500 / size, 3],
    phasePercents: [0],
  });
  const written = writePhantomPatient(path.join(base, 'study'), 'export-bench', patient);
  fs.rmSync(path.join(base, 'study', 'nifti'), { recursive: true, force: true });
  const read = await readDicom(dicomDir);
  const series = read.series.find((x) => x.seriesInstanceUid === written.phases[0]!.seriesInstanceUid)!;
  const structures = [
    { name: 'GTV', mask: patient.phases[0]!.physicianGtv },
    { name: 'ITV', mask: patient.physicianItv },
    ...ORGANS.slice(0, Math.max(0, rois - 2)).map(([name, c, r]) => ({ name, mask: ellipsoidMask(patient.grid, c, r) })),
  ];
  fs.mkdirSync(path.join(dicomDir, 'rtstruct'));
  fs.writeFileSync(path.join(dicomDir, 'rtstruct', 'rs.dcm'), writeRtStruct({ series, structures, label: 'PLAN', now: new Date(Date.UTC(2026, 0, 1)) }).bytes);
  return { dicomDir, rois: structures.length };
}
