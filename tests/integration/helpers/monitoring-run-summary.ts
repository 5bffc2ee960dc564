/**
 * A run summary for monitoring tests and benches: the ITV Dice is the value under test; FP volume
 * and HD95 are constant (no σ, so those series are never judged). The per-phase GTV Dice is the
 * ITV Dice unless given.
 */
import { DEFAULT_FLAG_THRESHOLDS } from '../../../lib/core/stats/run-summary';
import type { RunSummary } from '../../../lib/server/runs/run-summary.types';

export function monitoringRunSummary(itvDice: number | null, gtvDice: number = itvDice ?? 0.8): RunSummary {
  const phase = (i: number) => ({
    phaseIndex: i,
    phasePercent: i * 50,
    machineCc: 10,
    physicianCc: 10,
    machineCentroidMm: [0, 0, i] as [number, number, number],
    physicianCentroidMm: [0, 0, i] as [number, number, number],
    dice: gtvDice,
    hd95Mm: 2,
    fpCc: 0.5,
    outlier: false,
  });
  return {
    schemaVersion: 1,
    phases: [phase(0), phase(1)],
    gtv: { medianDice: gtvDice, minDice: gtvDice, medianHd95Mm: 2, medianFpCc: 0.5 },
    itv: {
      dice: itvDice,
      hd95Mm: 4,
      fpVoxels: 10,
      fpCc: 1.5,
      fpFraction: 0.1,
      fnCc: 1,
      machineCc: 20,
      physicianCc: 20,
      maxFpDistanceMm: 3,
      largestFpRegionCc: 1,
    },
    motion: { machine: { LR: 0, AP: 0, SI: 2, maxMm: 2 }, physician: { LR: 0, AP: 0, SI: 2, maxMm: 2 } },
    flags: [],
    thresholds: { ...DEFAULT_FLAG_THRESHOLDS },
  };
}
