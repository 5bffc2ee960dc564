import { describe, expect, it } from 'vitest';
import {
  compositeDose,
  doseDisplayLevels,
  doseWashColor,
  renderSlice,
  buildWindowLut,
  sampleDoseOnSlice,
  sliceLayout,
  viewPixelToVoxel,
} from '@/lib/core/viewer';
import { type Grid, type Vec3, type Volume, indexToPatientMm } from '@/lib/core/volume';

// A CT grid and a coarser dose grid, offset, holding a linear field: trilinear interpolation is exact.
const ct: Grid = { dims: [20, 16, 12], spacingMm: [1, 1.5, 2], originMm: [-10, -12, -11], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const doseGrid: Grid = { dims: [9, 10, 8], spacingMm: [2.5, 2.5, 3], originMm: [-9, -11, -10], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const field = (p: Vec3) => 10 + 0.5 * p[0] - 0.25 * p[1] + 0.75 * p[2];
const dose: Volume<Float32Array> = { grid: doseGrid, data: new Float32Array(9 * 10 * 8) };
for (let k = 0; k < 8; k++)
  for (let j = 0; j < 10; j++) for (let i = 0; i < 9; i++) dose.data[i + 9 * (j + 10 * k)] = field(indexToPatientMm(doseGrid, i, j, k));
const inside = (p: Vec3) =>
  p.every((x, a) => x >= doseGrid.originMm[a]! - 1e-9 && x <= doseGrid.originMm[a]! + (doseGrid.dims[a]! - 1) * doseGrid.spacingMm[a]! + 1e-9);

describe('dose on the displayed plane', () => {
  for (const orientation of ['axial', 'coronal', 'sagittal'] as const)
    it(`${orientation}: each pixel gets the linear field at its voxel centre, NaN outside the dose grid`, () => {
      const index = orientation === 'axial' ? 5 : orientation === 'coronal' ? 7 : 9;
      const s = sampleDoseOnSlice({ dose, grid: ct, orientation, index, flipK: true });
      const l = sliceLayout(ct.dims, ct.spacingMm, orientation, index, true);
      expect([s.width, s.height]).toEqual([l.width, l.height]);
      let nan = 0;
      let seen = 0;
      for (let r = 0; r < s.height; r++)
        for (let c = 0; c < s.width; c++) {
          const v = viewPixelToVoxel(ct.dims, orientation, index, c, r, true);
          const p = indexToPatientMm(ct, v[0], v[1], v[2]);
          const got = s.values[r * s.width + c]!;
          if (inside(p)) {
            expect(got).toBeCloseTo(field(p), 3);
            seen++;
          } else {
            expect(got).toBeNaN();
            nan++;
          }
        }
      expect(seen).toBeGreaterThan(0);
      expect(nan).toBeGreaterThan(0);
    });
});

describe('dose display levels', () => {
  it('isodoses at 50/80/95/100/105 % of the prescription; the wash from 10 % of it', () => {
    const d = doseDisplayLevels({ prescriptionGy: 60, maxDoseGy: 66.5 })!;
    expect(d.reference).toBe('prescription');
    expect(d.isodoses.map((i) => [i.percent, i.doseGy])).toEqual([
      [50, 30],
      [80, 48],
      [95, 57],
      [100, 60],
      [105, 63],
    ]);
    expect(d.isodoses[2]!.label).toBe('95 % (57.0 Gy)');
    expect([d.washFromGy, d.washToGy]).toEqual([6, 66.5]);
  });
  it('without a prescription: percentages of Dmax; nothing without dose', () => {
    const d = doseDisplayLevels({ prescriptionGy: null, maxDoseGy: 40 })!;
    expect(d.reference).toBe('Dmax');
    expect(d.isodoses.map((i) => i.doseGy)).toEqual([20, 32, 38]);
    expect(d.washFromGy).toBe(4);
    expect(doseDisplayLevels({ prescriptionGy: null, maxDoseGy: 0 })).toBeNull();
  });
  it('wash colours run from blue to red', () => {
    expect(doseWashColor(0)).toEqual([0, 0, 255]);
    expect(doseWashColor(0.5)).toEqual([0, 255, 0]);
    expect(doseWashColor(1)).toEqual([255, 0, 0]);
    expect(doseWashColor(7)).toEqual([255, 0, 0]);
  });
});

describe('compositing the dose', () => {
  // 5×4 slice: dose rises along columns 0, 10, 20, 30, 40 Gy; one NaN pixel (outside the grid).
  const width = 5;
  const height = 4;
  const values = new Float32Array(width * height).map((_, p) => (p % width) * 10);
  values[0] = Number.NaN;
  const display = doseDisplayLevels({ prescriptionGy: 40, maxDoseGy: 40 })!; // isodoses 20, 32, 38, 40, 42; wash from 4 Gy
  const grey = () => new Uint8ClampedArray(width * height * 4).fill(100);

  it('the wash covers pixels at or above the threshold only (not NaN, not below)', () => {
    const px = grey();
    compositeDose(px, width, height, { values, display, wash: true, washAlpha: 0.5, isodoses: false });
    const at = (c: number, r: number) => [...px.subarray((r * width + c) * 4, (r * width + c) * 4 + 3)];
    expect(at(0, 0)).toEqual([100, 100, 100]); // NaN
    expect(at(0, 1)).toEqual([100, 100, 100]); // 0 Gy < 4 Gy
    expect(at(1, 1)).not.toEqual([100, 100, 100]);
    // the highest dose is red-ish: red rises, blue falls
    expect(at(4, 1)[0]).toBeGreaterThan(100);
    expect(at(4, 1)[2]).toBeLessThan(100);
  });

  it('an isodose line is drawn on the pixels at or above its level next to one below it; labels at the top, right, bottom and left ends in turn', () => {
    const px = grey();
    const labels = compositeDose(px, width, height, { values, display, wash: false, washAlpha: 0, isodoses: true });
    const at = (c: number, r: number) => [...px.subarray((r * width + c) * 4, (r * width + c) * 4 + 3)];
    const iso50 = display.isodoses[0]!; // 20 Gy: column 2 is its edge, column 3 is not (neighbours ≥ 20)
    expect(at(2, 1)).toEqual([...iso50.color]);
    expect(at(1, 1)).toEqual([100, 100, 100]);
    // 38 Gy: column 4 (40 Gy) next to column 3 (30 Gy); 40 Gy overwrites it, drawn later
    expect(at(4, 2)).toEqual([...display.isodoses[3]!.color]);
    expect(labels.map((l) => [l.percent, l.col, l.row])).toEqual([
      [50, 2, 0], // top of its line
      [80, 4, 0], // right end (the first of the rightmost column)
      [95, 4, 3], // bottom
      [100, 4, 0], // left end
    ]);
  });

  it('renderSlice draws the dose over the CT and under the overlay layers (FP/FN above everything)', () => {
    const dims: Vec3 = [width, height, 1];
    const r = renderSlice({
      ct: new Int16Array(width * height),
      dims,
      spacingMm: [1, 1, 1],
      orientation: 'axial',
      index: 0,
      flipK: true,
      lut: buildWindowLut({ width: 400, level: 40 }),
      dose: { values, display, wash: true, washAlpha: 0.5, isodoses: true },
      layers: [{ mask: new Uint8Array(width * height).fill(1), color: [1, 2, 3], alpha: 1, style: 'fill' }],
    });
    expect([...r.pixels.subarray((1 * width + 2) * 4, (1 * width + 2) * 4 + 3)]).toEqual([1, 2, 3]);
    expect(r.isodoseLabels.length).toBe(4);
  });
});
