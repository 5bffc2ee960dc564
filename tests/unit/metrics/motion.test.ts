import { describe, expect, it } from 'vitest';
import { analyseMotion, computeItv } from '@/lib/core/metrics';
import { gridOf, rasterise } from './shapes';

const dims = [30, 30, 40];
const sp = [1, 1, 2];
const grid = gridOf(dims, sp);
// A 6 mm sphere moving 10 mm peak to peak in SI (k axis) over 10 phases.
const siOffset = (p: number) => 5 * Math.cos((2 * Math.PI * p) / 10);
const phaseMask = (p: number, extra = 0, radius = 6) =>
  rasterise(dims, sp, [{ type: 'sphere', centreMm: [15, 15, 40 + siOffset(p) + extra], radiusMm: radius }]);

describe('4D CT: ITV and motion', () => {
  it('ITV is the union of the phases', () => {
    const phases = [phaseMask(0), phaseMask(5)];
    const itv = computeItv(phases, grid);
    for (let q = 0; q < itv.length; q++) expect(itv[q]).toBe(phases[0][q] | phases[1][q]);
  });

  it('smooth breathing: SI amplitude ≈ 10 mm, LR/AP 0, no outlier', () => {
    const phases = Array.from({ length: 10 }, (_, p) => phaseMask(p));
    const r = analyseMotion({ phases, grid, labels: phases.map((_, p) => `${p * 10}%`) });
    expect(r.amplitudeMm!.LR).toBeCloseTo(0, 9);
    expect(r.amplitudeMm!.AP).toBeCloseTo(0, 9);
    // Voxelised at 2 mm slices the centroid moves within ±0.5 mm of the analytic 10 mm.
    expect(Math.abs(r.amplitudeMm!.SI - 10)).toBeLessThan(0.5);
    expect(r.phases.filter((x) => x.outlier)).toEqual([]);
    expect(r.phases[3].label).toBe('30%');
    expect(r.itvVolumeCc).toBeGreaterThan(r.phases[0].volumeCc);
  });

  it('flags a phase displaced 12 mm and a phase with double the volume', () => {
    const phases = Array.from({ length: 10 }, (_, p) => (p === 4 ? phaseMask(p, 12) : p === 7 ? phaseMask(p, 0, 7.6) : phaseMask(p)));
    const r = analyseMotion({ phases, grid });
    expect(r.phases.filter((x) => x.outlier).map((x) => [x.phase, x.outlierReasons])).toEqual([
      [4, ['POSITION']],
      [7, ['VOLUME']],
    ]);
  });

  it('an empty phase is flagged EMPTY and has no centroid', () => {
    const phases = Array.from({ length: 5 }, (_, p) => (p === 2 ? new Uint8Array(dims[0] * dims[1] * dims[2]) : phaseMask(p)));
    const r = analyseMotion({ phases, grid });
    expect(r.phases[2].outlierReasons).toEqual(['EMPTY']);
    expect(r.phases[2].centroidMm).toBeNull();
  });

  it('rejects phases on different grids', () => {
    expect(() => computeItv([new Uint8Array(10)], grid)).toThrow(/Phase 0 mask has 10 voxels.*30×30×40/);
  });
});
