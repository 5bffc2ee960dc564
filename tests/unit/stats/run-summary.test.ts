import { describe, expect, it } from 'vitest';
import { buildRunSummary, DEFAULT_FLAG_THRESHOLDS, type RunSummaryPhaseInput } from '@/lib/core/stats/run-summary';
import { IDENTITY_DIRECTION, type Grid } from '@/lib/core/volume';
import { runSummaryFromRow, runSummaryRows } from '@/lib/server/runs/run-summary.types';

/** Through the stored rows and back (lib/server/runs/run-summary.types.ts). */
const roundTrip = (s: ReturnType<typeof buildRunSummary>) => {
  const { summary, phases } = runSummaryRows('r', s);
  return runSummaryFromRow({ ...(summary as Parameters<typeof runSummaryFromRow>[0]), phases: phases as Parameters<typeof runSummaryFromRow>[0]['phases'] });
};

// 10 mm voxels: one voxel is 1 cc, so volumes and centroids can be checked by hand.
const grid: Grid = { dims: [6, 6, 8], spacingMm: [10, 10, 10], originMm: [0, 0, 0], direction: IDENTITY_DIRECTION };
/** A 2×2×2 cube (8 cc) with its low corner at voxel (i, j, k). */
function cube(i: number, j: number, k: number): Uint8Array {
  const m = new Uint8Array(6 * 6 * 8);
  for (let z = k; z < k + 2; z++) for (let y = j; y < j + 2; y++) for (let x = i; x < i + 2; x++) m[x + 6 * (y + 6 * z)] = 1;
  return m;
}
const overlap = (dice: number, fpCc: number) => ({
  dice,
  falsePositiveVolumeCc: fpCc,
  falsePositiveVoxels: fpCc,
  falsePositiveFraction: fpCc / 8,
  falseNegativeVolumeCc: 0,
  testVolumeCc: 8,
  referenceVolumeCc: 8,
});

function phases(dices: number[], shiftsK: number[]): RunSummaryPhaseInput[] {
  return shiftsK.map((k, p) => ({
    phaseIndex: p,
    phasePercent: p * 50,
    machineMask: cube(1, 1, k),
    physicianMask: cube(1, 1, Math.max(0, k - 1)),
    overlap: overlap(dices[p], p),
    voxel: { hd95Mm: 10 * (p + 1) },
  }));
}

describe('buildRunSummary', () => {
  it('per-phase volumes and centroids, GTV medians and motion amplitude, checked by hand', () => {
    // Machine cube moves 0 → 1 → 2 voxels in k (SI 20 mm); physician 0 → 0 → 1 (SI 10 mm).
    const s = buildRunSummary({
      grid,
      phases: phases([0.9, 0.8, 0.7], [0, 1, 2]),
      itv: {
        overlap: { ...overlap(0.85, 2), testVolumeCc: 16, referenceVolumeCc: 12 },
        voxel: { hd95Mm: 7.5 },
        discordance: { falsePositive: [{ volumeCc: 2, maxDistanceMm: 10 }] },
      },
      machineItvCc: 16,
    });
    expect(roundTrip(s)).toEqual(s);
    expect(s.phases.map((p) => p.machineCc)).toEqual([8, 8, 8]);
    expect(s.phases[1].machineCentroidMm).toEqual([15, 15, 15]);
    expect(s.phases[2].physicianCentroidMm).toEqual([15, 15, 15]);
    expect(s.phases.map((p) => p.fpCc)).toEqual([0, 1, 2]);
    expect(s.gtv).toEqual({ medianDice: 0.8, minDice: 0.7, medianHd95Mm: 20, medianFpCc: 1 });
    expect(s.motion.machine).toEqual({ LR: 0, AP: 0, SI: 20, maxMm: 20 });
    expect(s.motion.physician).toEqual({ LR: 0, AP: 0, SI: 10, maxMm: 10 });
    expect(s.itv).toMatchObject({ dice: 0.85, hd95Mm: 7.5, fpCc: 2, machineCc: 16, physicianCc: 12, maxFpDistanceMm: 10, largestFpRegionCc: 2 });
    // 10 mm is not beyond the 10 mm threshold; 2 cc is not a large region.
    expect(s.flags).toEqual([]);
    expect(s.thresholds).toEqual(DEFAULT_FLAG_THRESHOLDS);
  });

  it('flags a low Dice phase, a large and a distant false-positive region', () => {
    const s = buildRunSummary({
      grid,
      phases: phases([0.9, 0.49, 0.9], [1, 1, 1]),
      itv: {
        overlap: overlap(0.8, 7),
        voxel: null,
        discordance: {
          falsePositive: [
            { volumeCc: 5.5, maxDistanceMm: 4 },
            { volumeCc: 1, maxDistanceMm: 12 },
            { volumeCc: 0.5, maxDistanceMm: null },
          ],
        },
      },
      machineItvCc: 8,
    });
    // ITV Dice 0.8 is not low; the 0.49 phase GTV is its own flag.
    expect(s.flags).toEqual(['LOW_PHASE_DICE', 'LARGE_FP', 'DISTANT_FP']);
    expect(s.itv.largestFpRegionCc).toBe(5.5);
    expect(s.itv.maxFpDistanceMm).toBe(12);
    expect(s.itv.hd95Mm).toBeNull();
    // Thresholds are the caller's to change, and are recorded with the summary.
    const relaxed = buildRunSummary({ grid, phases: phases([0.9, 0.49, 0.9], [1, 1, 1]), itv: null, machineItvCc: 8, thresholds: { phaseGtvDice: 0.4 } });
    expect(relaxed.flags).toEqual([]);
    expect(relaxed.thresholds.phaseGtvDice).toBe(0.4);
  });

  it('flags an empty machine phase in a 4D CT as an outlier phase', () => {
    const ps = phases([0.9, 0.9, 0.9, 0.9], [1, 1, 1, 1]);
    ps[2] = { ...ps[2], machineMask: new Uint8Array(6 * 6 * 8), overlap: { ...overlap(0, 0) } };
    const s = buildRunSummary({ grid, phases: ps, itv: null, machineItvCc: 8 });
    expect(s.phases.map((p) => p.outlier)).toEqual([false, false, true, false]);
    expect(s.phases[2].machineCentroidMm).toBeNull();
    expect(s.flags).toEqual(['LOW_PHASE_DICE', 'OUTLIER_PHASE']);
  });

  it('a planning CT alone has no motion, and a study without physician contours says so', () => {
    const s = buildRunSummary({
      grid,
      phases: [{ phaseIndex: null, phasePercent: null, machineMask: cube(0, 0, 0), physicianMask: null, overlap: null, voxel: null }],
      itv: null,
      machineItvCc: 8,
    });
    expect(s.motion).toEqual({ machine: null, physician: null });
    expect(s.gtv).toEqual({ medianDice: null, minDice: null, medianHd95Mm: null, medianFpCc: null });
    expect(s.itv.machineCc).toBe(8);
    expect(s.itv.dice).toBeNull();
    expect(s.flags).toEqual(['NO_REFERENCE']);
    expect(roundTrip(s)).toEqual(s);
  });
});
