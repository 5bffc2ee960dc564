/**
 * Trilinear dose on the CT grid (lib/core/dose): exact on constant and linear fields (any CT
 * grid, oblique included), zero and counted outside, and equal to scipy's RegularGridInterpolator
 * (tests/reference/dose/make-pydicom-dose-reference.py) at random points and at CT voxel centres.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doseAtPointMm, doseVoxelsInMask, sampleDoseInMask } from '@/lib/core/dose';
import { type Grid, type Mask, type Vec3, type Volume, indexToPatientMm } from '@/lib/core/volume';

const I3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function field(grid: Grid, f: (p: Vec3) => number): Volume<Float32Array> {
  const [nx, ny, nz] = grid.dims;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = f(indexToPatientMm(grid, i, j, k));
  return { grid, data };
}

function fullMask(grid: Grid): Mask {
  return { grid, data: new Uint8Array(grid.dims[0] * grid.dims[1] * grid.dims[2]).fill(1) };
}

const doseGrid: Grid = { dims: [20, 18, 16], spacingMm: [2.5, 2.5, 3], originMm: [-25, -20, -24], direction: I3 };
// A CT grid inside the dose grid: anisotropic, offset, and one rotated 30° about z.
const c = Math.cos(Math.PI / 6);
const s = Math.sin(Math.PI / 6);
const ctGrids: Grid[] = [
  { dims: [17, 15, 11], spacingMm: [0.97, 1.13, 2.5], originMm: [-14.2, -11.7, -13.1], direction: I3 },
  { dims: [12, 12, 9], spacingMm: [1.2, 1.2, 2], originMm: [-3, -8, -10], direction: [c, -s, 0, s, c, 0, 0, 0, 1] },
];

describe('trilinear dose on the CT grid', () => {
  it('is exact on a constant field', () => {
    const dose = field(doseGrid, () => 61.25);
    for (const g of ctGrids) {
      const r = sampleDoseInMask(dose, fullMask(g));
      expect(r.outside).toBe(0);
      for (const v of r.doses) expect(v).toBeCloseTo(61.25, 4);
    }
  });

  it('is exact on a linear field', () => {
    const lin = (p: Vec3) => 40 + 0.3 * p[0] - 0.2 * p[1] + 0.5 * p[2];
    const dose: Volume<Float32Array> = { grid: doseGrid, data: Float32Array.from(field(doseGrid, lin).data) };
    for (const g of ctGrids) {
      const r = sampleDoseInMask(dose, fullMask(g));
      let t = 0;
      for (let k = 0; k < g.dims[2]; k++)
        for (let j = 0; j < g.dims[1]; j++) for (let i = 0; i < g.dims[0]; i++) expect(r.doses[t++]).toBeCloseTo(lin(indexToPatientMm(g, i, j, k)), 3);
    }
  });

  it('gives 0 outside the dose grid and counts those voxels', () => {
    const dose = field(doseGrid, () => 10);
    // 4 slices, the first two below the dose grid (z −30, −27), the others inside (−24, −21).
    const g: Grid = { dims: [3, 3, 4], spacingMm: [1, 1, 3], originMm: [0, 0, -30], direction: I3 };
    const r = sampleDoseInMask(dose, fullMask(g));
    expect(r.outside).toBe(18);
    expect(Array.from(r.doses.slice(0, 18))).toEqual(new Array(18).fill(0));
    expect(Array.from(r.doses.slice(18))).toEqual(new Array(18).fill(10));
    // A point half a voxel beyond the last dose centre is outside (no extrapolation).
    expect(doseAtPointMm(dose, [-25 - 1.25, 0, 0])).toBe(0);
    expect(doseAtPointMm(dose, [-25, 0, 0])).toBe(10);
  });

  it('samples only the set voxels of the mask, in index order', () => {
    const dose = field(doseGrid, (p) => p[0]);
    const g = ctGrids[0]!;
    const m = fullMask(g);
    m.data.fill(0);
    m.data[5] = 1;
    m.data[3 + g.dims[0] * (2 + g.dims[1] * 4)] = 1;
    const r = sampleDoseInMask(dose, m);
    expect(r.doses.length).toBe(2);
    expect(r.doses[0]).toBeCloseTo(indexToPatientMm(g, 5, 0, 0)[0], 4);
    expect(r.doses[1]).toBeCloseTo(indexToPatientMm(g, 3, 2, 4)[0], 4);
  });

  it('a sparse mask on an axis-aligned CT grid (the separable path) gives each voxel the dose doseAtPointMm gives at its centre', () => {
    // A non-linear field, so that a wrong cell or fraction shows; a CT grid partly outside the
    // dose grid in x, y and z (rows wholly outside, voxels outside within a row), a mask with
    // bytes other than 1 (any non-zero byte is set), rows of a multiple of 4 voxels (the word
    // scan) and not (the byte scan), and a dose grid whose first axis runs along −x.
    const doses: Volume<Float32Array>[] = [
      field(doseGrid, (p) => 20 + 5 * Math.sin(p[0] / 7) * Math.cos(p[1] / 5) + p[2] * p[2] * 0.01),
      field(
        { dims: [20, 18, 16], spacingMm: [2.5, 2.5, 3], originMm: [25, -20, -24], direction: [-1, 0, 0, 0, 1, 0, 0, 0, 1] },
        (p) => 30 + p[0] * p[1] * 0.02 - p[2] * 0.3,
      ),
    ];
    for (const dose of doses)
      for (const dims of [
        [40, 36, 14],
        [37, 33, 13],
      ] as const) {
        const g: Grid = { dims: [...dims], spacingMm: [1.37, 1.21, 2.7], originMm: [-31, -26.3, -33.4], direction: I3 };
        const m: Mask = { grid: g, data: new Uint8Array(dims[0] * dims[1] * dims[2]) };
        let seed = 7;
        const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
        for (let n = 0; n < m.data.length; n++) if (rnd() < 0.3) m.data[n] = rnd() < 0.2 ? 255 : 1;
        const r = sampleDoseInMask(dose, m);
        const expected: number[] = [];
        let outside = 0;
        for (let k = 0; k < dims[2]; k++)
          for (let j = 0; j < dims[1]; j++)
            for (let i = 0; i < dims[0]; i++) {
              if (!m.data[i + dims[0] * (j + dims[1] * k)]) continue;
              const d = doseAtPointMm(dose, indexToPatientMm(g, i, j, k));
              if (d === 0) outside++;
              expected.push(d);
            }
        expect(r.doses.length).toBe(expected.length);
        expect(r.outside).toBe(outside);
        expect(outside).toBeGreaterThan(100);
        expect(expected.length - outside).toBeGreaterThan(1000);
        let worst = 0;
        for (let n = 0; n < expected.length; n++) worst = Math.max(worst, Math.abs(r.doses[n]! - expected[n]!));
        expect(worst).toBeLessThan(1e-5);
        // Reading only a box holding every set voxel gives the same samples; null = empty.
        const box = { min: [dims[0], dims[1], dims[2]] as [number, number, number], max: [0, 0, 0] as [number, number, number] };
        for (let k = 0; k < dims[2]; k++)
          for (let j = 0; j < dims[1]; j++)
            for (let i = 0; i < dims[0]; i++)
              if (m.data[i + dims[0] * (j + dims[1] * k)] && k % 5 !== 0) {
                [i, j, k].forEach((v, a) => {
                  box.min[a] = Math.min(box.min[a]!, v);
                  box.max[a] = Math.max(box.max[a]!, v);
                });
              }
        // (slices k = 0, 5, 10 emptied, so that the box is smaller than the grid in z)
        for (let k = 0; k < dims[2]; k += 5) m.data.fill(0, dims[0] * dims[1] * k, dims[0] * dims[1] * (k + 1));
        box.min[2] = Math.max(box.min[2], 1);
        const whole = sampleDoseInMask(dose, m);
        const boxed = sampleDoseInMask(dose, m, box);
        expect(boxed.outside).toBe(whole.outside);
        expect(Array.from(boxed.doses)).toEqual(Array.from(whole.doses));
        expect(sampleDoseInMask(dose, m, null).doses.length).toBe(0);
      }
  });

  it('dose-grid convention: dose voxels whose centre is in a structure voxel, not interpolated', () => {
    // CT at 1 mm; structure = CT voxels with x in [−5.5, 4.5): dose centres at x = −5, −2.5, 0, 2.5 qualify.
    const dose = field(doseGrid, (p) => p[0] + 100);
    const ct: Grid = { dims: [40, 40, 40], spacingMm: [1, 1, 1], originMm: [-20, -20, -20], direction: I3 };
    const m: Mask = { grid: ct, data: new Uint8Array(40 * 40 * 40) };
    for (let k = 0; k < 40; k++) for (let j = 0; j < 40; j++) for (let i = 14; i < 25; i++) m.data[i + 40 * (j + 40 * k)] = 1;
    const r = doseVoxelsInMask(dose, m);
    const xs = [...new Set(Array.from(r.doses).map((v) => v - 100))].sort((a, b) => a - b);
    expect(xs).toEqual([-5, -2.5, 0, 2.5]);
  });
});

describe('against scipy RegularGridInterpolator', () => {
  const ref = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'dose', 'scipy-interpolation.json'), 'utf8')) as {
    dose: { dims: Vec3; spacingMm: Vec3; originMm: Vec3; values: number[] };
    points: Vec3[];
    values: number[];
    ct: { dims: Vec3; spacingMm: Vec3; originMm: Vec3 };
    ctValues: number[];
  };
  const dose: Volume<Float32Array> = { grid: { ...ref.dose, direction: I3 }, data: Float32Array.from(ref.dose.values) };

  it('at 400 random points (some outside the grid: 0)', () => {
    let worst = 0;
    ref.points.forEach((p, n) => (worst = Math.max(worst, Math.abs(doseAtPointMm(dose, p) - ref.values[n]!))));
    expect(worst).toBeLessThan(1e-4);
    expect(ref.values.filter((v) => v === 0).length).toBeGreaterThan(10);
  });

  it('at every CT voxel centre of an offset CT grid', () => {
    const g: Grid = { ...ref.ct, direction: I3 };
    const r = sampleDoseInMask(dose, fullMask(g));
    expect(r.doses.length).toBe(ref.ctValues.length);
    let worst = 0;
    ref.ctValues.forEach((v, n) => (worst = Math.max(worst, Math.abs(r.doses[n]! - v))));
    expect(worst).toBeLessThan(1e-4);
    expect(r.outside).toBe(ref.ctValues.filter((v) => v === 0).length);
  });
});
