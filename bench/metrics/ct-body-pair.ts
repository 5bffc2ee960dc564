/**
 * The held-out-style body pair of the metrics benchmark, from real data: the BODY ROI of the
 * dicompyler-core example RTSTRUCT (../shared/data/dicompyler/rtss.dcm, a real breast/thorax
 * plan), rasterised with our importer's rasteriser (lib/dicom rasterizeRoi) on the grid of its
 * real planning CT. Only one slice of that CT is in the shared data (ct.0.dcm); the series is
 * rebuilt from that slice's header (512 × 512, 1.074 mm pixels, orientation, frame of reference)
 * and the 98 image references of the structure set (each contour names its slice's SOP instance
 * and lies on it), through the importer's buildSeries, so the grid is the CT's own: 512 × 512 × 98,
 * 3 mm slices.
 *
 * Test mask = the reference shifted by (1, 2, −1) voxels ≈ (1.1, 2.1, −3) mm and dilated by 2 mm
 * (exact Euclidean, with the grid spacing), as for the synthetic body pair.
 *
 * Usage: npx tsx bench/metrics/ct-body-pair.ts DIR   → DIR/ct-body-{reference,test}.nii.gz
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSeries, parseDicomBytes, rasterizeRoi, readImageHeader, readRtStruct, seriesRasterTarget } from '@/lib/dicom';
import { squaredEdtInPlace } from '@/lib/core/metrics';
import type { Grid } from '@/lib/core/volume';
import { writeNifti } from '@/lib/nifti';

export const CT_BODY_SOURCE = resolve(import.meta.dirname, '../../../shared/data/dicompyler');

export interface CtBodyPair {
  grid: Grid;
  reference: Uint8Array;
  test: Uint8Array;
  roi: string;
}

function parse(path: string) {
  const { parsed, findings } = parseDicomBytes(readFileSync(path), path);
  if (!parsed) throw new Error(`${path}: not readable as DICOM (${findings.map((f) => f.message).join('; ')})`);
  return parsed;
}

export function buildCtBodyPair(dir = CT_BODY_SOURCE): CtBodyPair {
  const ss = readRtStruct(parse(join(dir, 'rtss.dcm')));
  const { header } = readImageHeader(parse(join(dir, 'ct.0.dcm')));
  if (!header) throw new Error(`${dir}/ct.0.dcm: no usable image header`);
  const body = ss.rois.find((r) => r.name.toUpperCase() === 'BODY');
  if (!body) throw new Error(`${dir}/rtss.dcm has no BODY ROI (it has ${ss.rois.map((r) => r.name).join(', ')})`);
  // One slice per referenced image: its SOP instance and the plane its contour lies on.
  const slices = new Map<string, number>();
  for (const c of body.contours) if (c.referencedSopInstanceUids[0]) slices.set(c.referencedSopInstanceUids[0], c.pointsMm[2]!);
  const normal = [
    header.imageOrientation[1] * header.imageOrientation[5] - header.imageOrientation[2] * header.imageOrientation[4],
    header.imageOrientation[2] * header.imageOrientation[3] - header.imageOrientation[0] * header.imageOrientation[5],
    header.imageOrientation[0] * header.imageOrientation[4] - header.imageOrientation[1] * header.imageOrientation[3],
  ];
  const ipp = header.imagePositionMm;
  const along = ipp[0] * normal[0]! + ipp[1] * normal[1]! + ipp[2] * normal[2]!;
  const headers = [...slices].map(([sop, z], n) => {
    const t = (z - along) / normal[2]!;
    return {
      ...header,
      sopInstanceUid: sop,
      instanceNumber: n + 1,
      imagePositionMm: [ipp[0] + t * normal[0]!, ipp[1] + t * normal[1]!, ipp[2] + t * normal[2]!] as [number, number, number],
    };
  });
  const series = buildSeries(header.seriesInstanceUid, headers);
  const target = seriesRasterTarget(series);
  if (!target) throw new Error(`could not build the CT grid: ${series.findings.map((f) => f.message).join('; ')}`);
  const { mask } = rasterizeRoi({ structureSet: ss, roi: body.name, ...target });
  if (!mask) throw new Error('BODY did not rasterise');
  const reference = mask.data;
  const grid = target.grid;
  const [nx, ny, nz] = grid.dims;
  // Shift by (1, 2, −1) voxels, then dilate 2 mm: test = EDT(shifted) ≤ 2 mm.
  const buf = new Float64Array(nx * ny * nz).fill(Infinity);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const si = i - 1,
          sj = j - 2,
          sk = k + 1;
        if (si < 0 || sj < 0 || sk >= nz) continue;
        if (reference[si + nx * (sj + ny * sk)]) buf[i + nx * (j + ny * k)] = 0;
      }
  squaredEdtInPlace(buf, grid.dims, grid.spacingMm);
  const test = new Uint8Array(buf.length);
  for (let q = 0; q < buf.length; q++) test[q] = buf[q]! <= 4 ? 1 : 0;
  return { grid, reference, test, roi: `${body.number} "${body.name}"` };
}

export function writeCtBodyPair(outDir: string): { referenceVoxels: number; testVoxels: number } {
  const p = buildCtBodyPair();
  writeNifti(join(outDir, 'ct-body-reference.nii.gz'), { grid: p.grid, data: p.reference }, { intent: 'mask' });
  writeNifti(join(outDir, 'ct-body-test.nii.gz'), { grid: p.grid, data: p.test }, { intent: 'mask' });
  const count = (m: Uint8Array) => m.reduce((s, v) => s + v, 0);
  return { referenceVoxels: count(p.reference), testVoxels: count(p.test) };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: npx tsx bench/metrics/ct-body-pair.ts OUTDIR');
  console.log(JSON.stringify(writeCtBodyPair(out)));
}
