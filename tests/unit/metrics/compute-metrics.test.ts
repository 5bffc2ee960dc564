import { describe, expect, it } from 'vitest';
import { assertSameGrid, boundingBox, computeMetrics, MetricsError, toMetricRows } from '@/lib/core/metrics';
import { IDENTITY_DIRECTION, type Grid } from '@/lib/core/volume';
import { gridOf, rasterise } from './shapes';

const g10 = gridOf([10, 10, 10], [1, 1, 1]);
const voxelAt = (grid: Grid, ...ijk: number[][]) => {
  const m = new Uint8Array(grid.dims[0] * grid.dims[1] * grid.dims[2]);
  for (const [i, j, k] of ijk) m[i + grid.dims[0] * (j + grid.dims[1] * k)] = 1;
  return m;
};

describe('computeMetrics: hand-checkable cases', () => {
  it('two single voxels 2 mm apart along i', () => {
    const r = computeMetrics({ reference: voxelAt(g10, [3, 5, 5]), test: voxelAt(g10, [5, 5, 5]), grid: g10, conventions: ['voxel', 'surfel', 'plastimatch'] });
    expect(r.dice).toBe(0);
    expect(r.falsePositiveVoxels).toBe(1);
    expect(r.falsePositiveFraction).toBe(1);
    expect(r.centroidShiftMm).toBe(2);
    expect(r.voxel).toEqual({ hausdorffMm: 2, hd95Mm: 2, meanSurfaceDistanceMm: 2, surfaceDice: 1, toleranceMm: 2 });
    expect(r.plastimatch).toEqual({ hausdorffMm: 2, averageHausdorffMm: 2, percentHausdorffMm: 2, fraction: 0.95 });
    // Each voxel's 8 corners; the nearest corner of the other voxel is 1 mm (4 corners), √2… away.
    expect(r.surfel!.hausdorffMm).toBe(2);
    expect(r.nullReasons).toEqual({});
  });

  it('uses the spacing and direction: volumes in cc, centroid shift in mm', () => {
    const grid: Grid = { dims: [8, 8, 8], spacingMm: [0.5, 2, 3], originMm: [10, -5, 7], direction: [0, -1, 0, 1, 0, 0, 0, 0, 1] };
    const r = computeMetrics({ reference: voxelAt(grid, [1, 1, 1]), test: voxelAt(grid, [1, 2, 1]), grid, conventions: ['voxel'] });
    expect(r.referenceVolumeCc).toBeCloseTo(0.003, 15);
    // One step along j is 2 mm along the j axis, which is −x in LPS here.
    expect(r.centroidShiftMm).toBeCloseTo(2, 12);
    expect(r.voxel!.hausdorffMm).toBe(2);
  });

  it('identical masks: Dice 1, all distances 0', () => {
    const m = rasterise([20, 20, 20], [1, 1, 1], [{ type: 'sphere', centreMm: [10, 10, 10], radiusMm: 5 }]);
    const r = computeMetrics({ reference: m, test: m.slice(), grid: gridOf([20, 20, 20], [1, 1, 1]) });
    expect(r.dice).toBe(1);
    expect(r.voxel!.hausdorffMm).toBe(0);
    expect(r.surfel!.hd95Mm).toBe(0);
    expect(r.surfel!.surfaceDice).toBe(1);
  });
});

describe('computeMetrics: empty masks give null plus a reason, never NaN or 0', () => {
  const empty = new Uint8Array(1000);
  const one = voxelAt(g10, [4, 4, 4]);
  const all = ['voxel', 'surfel', 'plastimatch'] as const;

  it('both empty', () => {
    const r = computeMetrics({ reference: empty, test: empty, grid: g10, conventions: all });
    expect(r.dice).toBeNull();
    expect(r.jaccard).toBeNull();
    expect(r.voxel!.hausdorffMm).toBeNull();
    expect(r.voxel!.surfaceDice).toBeNull();
    expect(r.surfel!.averageSurfaceDistanceMm).toEqual([null, null]);
    expect(r.nullReasons.dice).toBe('BOTH_EMPTY');
    expect(r.nullReasons['voxel.hd95Mm']).toBe('BOTH_EMPTY');
    expect(r.nullReasons['surfel.surfaceDice']).toBe('BOTH_EMPTY');
    expect(r.nullReasons['plastimatch.percentHausdorffMm']).toBe('BOTH_EMPTY');
    expect(r.referenceVoxels).toBe(0);
  });

  it('reference empty: distances infinite → null REFERENCE_EMPTY; Dice 0 is defined', () => {
    const r = computeMetrics({ reference: empty, test: one, grid: g10, conventions: all });
    expect(r.dice).toBe(0);
    expect(r.voxel!.hausdorffMm).toBeNull();
    expect(r.nullReasons['voxel.hausdorffMm']).toBe('REFERENCE_EMPTY');
    expect(r.nullReasons['surfel.hd95Mm']).toBe('REFERENCE_EMPTY');
    expect(r.voxel!.surfaceDice).toBe(0);
    expect(r.centroidShiftMm).toBeNull();
    expect(r.nullReasons.centroidShiftMm).toBe('REFERENCE_EMPTY');
    expect(r.falsePositiveFraction).toBe(1);
  });

  it('test empty', () => {
    const r = computeMetrics({ reference: one, test: empty, grid: g10, conventions: all });
    expect(r.falsePositiveFraction).toBeNull();
    expect(r.nullReasons.falsePositiveFraction).toBe('TEST_EMPTY');
    expect(r.nullReasons['voxel.meanSurfaceDistanceMm']).toBe('TEST_EMPTY');
    expect(r.nullReasons['surfel.averageSurfaceDistanceMm.0']).toBe('TEST_EMPTY');
    const json = JSON.stringify(r);
    expect(json).not.toMatch(/NaN|Infinity/);
    // Every null in the JSON has a reason.
    const walk = (o: unknown, path: string): string[] =>
      o === null ? [path] : typeof o === 'object' ? Object.entries(o as object).flatMap(([k, v]) => walk(v, path ? `${path}.${k}` : k)) : [];
    for (const p of walk(JSON.parse(json), '')) expect(r.nullReasons[p], p).toBeDefined();
  });
});

describe('input validation', () => {
  it('different grids: names both shapes and spacings', () => {
    const a = gridOf([512, 512, 120], [0.98, 0.98, 3]);
    const b = gridOf([512, 512, 118], [0.98, 0.98, 2.5]);
    expect(() => assertSameGrid(a, b)).toThrow(/512×512×120 at 0\.98×0\.98×3 mm.*512×512×118 at 0\.98×0\.98×2\.5 mm/);
    try {
      assertSameGrid(a, b);
    } catch (e) {
      expect(e).toBeInstanceOf(MetricsError);
      expect((e as MetricsError).code).toBe('INVALID_INPUT');
    }
  });

  it('NaN, zero or negative spacing', () => {
    for (const s of [NaN, 0, -1, Infinity]) {
      const grid = { dims: [2, 2, 2], spacingMm: [1, s, 1], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION } as Grid;
      expect(() => computeMetrics({ reference: new Uint8Array(8), test: new Uint8Array(8), grid })).toThrow(/spacingMm\[1\]/);
    }
  });

  it('mask length not matching the grid', () => {
    expect(() => computeMetrics({ reference: new Uint8Array(999), test: new Uint8Array(1000), grid: g10 })).toThrow(/999.*1000.*10×10×10/);
  });

  it('bad tolerance or convention', () => {
    const m = new Uint8Array(1000);
    expect(() => computeMetrics({ reference: m, test: m, grid: g10, toleranceMm: -1 })).toThrow(/toleranceMm/);
    expect(() => computeMetrics({ reference: m, test: m, grid: g10, conventions: ['hd' as never] })).toThrow(/Unknown convention/);
  });
});

describe('toMetricRows', () => {
  it('one row per convention with provenance; nulls keep their reason', () => {
    const r = computeMetrics({ reference: voxelAt(g10, [1, 1, 1]), test: new Uint8Array(1000), grid: g10, conventions: ['voxel', 'surfel', 'plastimatch'] });
    const rows = toMetricRows({ result: r, grid: g10, codeVersion: '0.1.0+abc', referenceSha256: 'aa', testSha256: 'bb' });
    expect(rows.map((x) => x.convention)).toEqual(['overlap', 'voxel', 'surfel', 'plastimatch']);
    const voxel = rows[1];
    expect(voxel.values.hausdorffMm).toBeNull();
    expect(voxel.nullReasons.hausdorffMm).toBe('TEST_EMPTY');
    expect(voxel.values.surfaceDice).toBe(0);
    expect(voxel.toleranceMm).toBe(2);
    expect(voxel.spacingMm).toEqual([1, 1, 1]);
    expect(voxel.dims).toEqual([10, 10, 10]);
    expect(voxel.codeVersion).toBe('0.1.0+abc');
    expect(voxel.referenceSha256).toBe('aa');
    expect(rows[0].values.falsePositiveFraction).toBeNull();
    expect(rows[0].nullReasons.falsePositiveFraction).toBe('TEST_EMPTY');
    expect(rows[2].nullReasons.averageSurfaceDistanceReferenceToTestMm).toBe('TEST_EMPTY');
    for (const row of rows) for (const v of Object.values(row.values)) expect(v === null || Number.isFinite(v)).toBe(true);
  });
});

describe('boundingBox', () => {
  it('word-aligned and unaligned rows give the same box as a plain scan', () => {
    for (const dims of [
      [8, 5, 4],
      [7, 5, 4],
    ]) {
      const m = new Uint8Array(dims[0] * dims[1] * dims[2]);
      m[3 + dims[0] * (1 + dims[1] * 2)] = 7;
      m[6 + dims[0] * (4 + dims[1] * 3)] = 1;
      expect(boundingBox(dims, m)).toEqual({ lo: [3, 1, 2], hi: [6, 4, 3] });
      expect(boundingBox(dims, new Uint8Array(m.length))).toBeNull();
    }
  });
});
