/**
 * lib/core/dose/region-dose.ts: FP/FN masks, the components of a region (order of the
 * discordance regions), the rows' null reasons, and which dose grid is used; checked by hand.
 */
import { describe, expect, it } from 'vitest';
import { chooseDoseGrid, computeComponentDoseRows, computeRegionDoseRows, differenceMask, maskComponents } from '@/lib/core/dose';
import { findDiscordanceRegions } from '@/lib/core/metrics';
import type { Grid, Mask } from '@/lib/core/volume';

const grid: Grid = { dims: [10, 8, 6], spacingMm: [2, 2, 2.5], originMm: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
const at = (i: number, j: number, k: number) => i + 10 * (j + 8 * k);
const box = (lo: [number, number, number], hi: [number, number, number]) => {
  const m = new Uint8Array(10 * 8 * 6);
  for (let k = lo[2]; k <= hi[2]; k++) for (let j = lo[1]; j <= hi[1]; j++) for (let i = lo[0]; i <= hi[0]; i++) m[at(i, j, k)] = 1;
  return m;
};
const or = (...ms: Uint8Array[]) => ms.reduce((a, b) => a.map((v, q) => v | b[q]!));
/** A linear dose field on a grid covering the CT: D = 10 + x (mm). */
const dose = () => {
  const g: Grid = { dims: [11, 9, 7], spacingMm: [2, 2, 2.5], originMm: [-1, -1, -1.25], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const data = new Float32Array(11 * 9 * 7);
  for (let k = 0; k < 7; k++) for (let j = 0; j < 9; j++) for (let i = 0; i < 11; i++) data[i + 11 * (j + 9 * k)] = 10 + (-1 + 2 * i);
  return { grid: g, data };
};

describe('region dose', () => {
  it('differenceMask is a ∖ b', () => {
    const a: Mask = { grid, data: box([0, 0, 0], [3, 3, 3]) };
    const b: Mask = { grid, data: box([2, 0, 0], [5, 3, 3]) };
    const d = differenceMask(a, b);
    expect(d.data.reduce((s, v) => s + v, 0)).toBe(2 * 4 * 4);
    expect(d.data[at(1, 1, 1)]).toBe(1);
    expect(d.data[at(2, 1, 1)]).toBe(0);
  });

  it('components: largest first, ties by first voxel; the same order and sizes as the discordance regions', () => {
    const small = box([7, 0, 0], [8, 1, 0]); // 4 voxels, first voxel index 7
    const big = box([0, 4, 2], [3, 7, 5]); // 64 voxels
    const tieA = box([0, 0, 0], [1, 1, 0]); // 4 voxels, first voxel index 0: before `small`
    const diag = box([5, 5, 5], [5, 5, 5]); // touches nothing
    const m: Mask = { grid, data: or(small, big, tieA, diag) };
    const comps = maskComponents(m);
    expect(comps.map((c) => c.length)).toEqual([64, 4, 4, 1]);
    expect(comps[1]![0]).toBe(at(0, 0, 0));
    expect(comps[2]![0]).toBe(at(7, 0, 0));
    const disc = findDiscordanceRegions({ reference: new Uint8Array(m.data.length), test: m.data, grid });
    expect(disc.falsePositive.map((r) => r.voxelCount)).toEqual(comps.map((c) => c.length));
    expect(maskComponents(m, 2)).toHaveLength(2);
    expect(maskComponents({ grid, data: new Uint8Array(m.data.length) })).toEqual([]);
    // 26-connectivity: two voxels touching at a corner are one component.
    const corner = or(box([0, 0, 0], [0, 0, 0]), box([1, 1, 1], [1, 1, 1]));
    expect(maskComponents({ grid, data: corner }).map((c) => c.length)).toEqual([2]);
  });

  it('component rows: the linear dose gives Dmean = 10 + mean x of each component (by hand); V-metrics need the prescription', () => {
    const left = box([0, 0, 0], [1, 1, 1]); // x = 0, 2 mm → 10, 12 Gy; 8 voxels
    const right = box([6, 0, 0], [9, 7, 0]); // x = 12…18 mm → 22…28 Gy; 32 voxels
    const m: Mask = { grid, data: or(left, right) };
    const rows = computeComponentDoseRows({ dose: dose(), region: 'FP', mask: m, prescriptionGy: 24 });
    expect(rows.map((r) => [r.region, r.componentIndex])).toEqual([
      ['FP', 0],
      ['FP', 1],
    ]);
    expect(rows[0]!.values.volumeCc).toBeCloseTo(32 * 0.01, 12);
    expect(rows[0]!.values.dmeanGy).toBeCloseTo(25, 5);
    expect(rows[1]!.values.dmeanGy).toBeCloseTo(11, 5);
    // right: x = 12, 14, 16, 18 → 22, 24, 26, 28 Gy; 95 % of 24 = 22.8: three quarters; below: one quarter of 0.32 cc
    expect(rows[0]!.values.v95Pct).toBeCloseTo(75, 9);
    expect(rows[0]!.values.v100Pct).toBeCloseTo(75, 9);
    expect(rows[0]!.values.volumeBelow95PctCc).toBeCloseTo(0.08, 9);
    const noRx = computeRegionDoseRows({ dose: dose(), regions: [{ region: 'FN', mask: m }], prescriptionGy: null })[0]!;
    expect(noRx.values.v95Pct).toBeNull();
    expect(noRx.nullReasons).toEqual({ v95Pct: 'NO_PRESCRIPTION', v100Pct: 'NO_PRESCRIPTION', volumeBelow95PctCc: 'NO_PRESCRIPTION' });
    expect(noRx.values.dmeanGy).toBeCloseTo((8 * 11 + 32 * 25) / 40, 5);
    const empty = computeRegionDoseRows({ dose: dose(), regions: [{ region: 'FP', mask: { grid, data: new Uint8Array(480) } }], prescriptionGy: 24 })[0]!;
    expect(empty.values.volumeCc).toBe(0);
    expect(empty.nullReasons.dmeanGy).toBe('EMPTY_REGION');
    expect(empty.nullReasons.v95Pct).toBe('EMPTY_REGION');
  });

  it('chooseDoseGrid: PLAN over BEAM/FRACTION, then PHYSICAL, then the highest maximum; says why', () => {
    const g = (sopInstanceUid: string, summationType: string | null, doseType: string | null, maxDose: number) => ({
      sopInstanceUid,
      summationType,
      doseType,
      maxDose,
    });
    expect(chooseDoseGrid([])).toBeNull();
    expect(chooseDoseGrid([g('1', 'BEAM', 'PHYSICAL', 70)])!.reason).toBe('the only dose grid');
    const c = chooseDoseGrid([
      g('1', 'BEAM', 'PHYSICAL', 70),
      g('2', 'PLAN', 'EFFECTIVE', 60),
      g('3', 'PLAN', 'PHYSICAL', 50),
      g('4', 'FRACTION', 'PHYSICAL', 2),
    ])!;
    expect(c.chosen.sopInstanceUid).toBe('3');
    expect(c.reason).toContain('4 dose grids');
    expect(c.reason).toContain('PLAN summation over MULTI_PLAN over BEAM/FRACTION');
    expect(chooseDoseGrid([g('1', 'PLAN', 'PHYSICAL', 50), g('2', 'PLAN', 'PHYSICAL', 60)])!.chosen.sopInstanceUid).toBe('2');
  });
});
