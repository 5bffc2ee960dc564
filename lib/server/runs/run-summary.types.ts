/**
 * The QA summary of one succeeded segmentation run, stored as typed rows (RunSummary, one per
 * run, and RunPhaseSummary, one per phase) in the same update that marks the run SUCCEEDED
 * (executeSegmentationRun). The cohort page, the case table, the review queue and the viewer's
 * phase charts read only these rows.
 *
 * The value is built by the pure lib/core/stats/run-summary.ts (RunSummaryValues); this module
 * maps it to the rows Prisma writes and back. Conventions: Dice, FP and FN are voxel overlap on
 * the native CT grid; HD95 is the voxel-surface convention, in mm; volumes in cc; positions in
 * patient mm (LPS). A value is null when it is undefined (for example Dice with both masks
 * empty) or when the physician structure it needs is missing.
 */
import type { Prisma, RunPhaseSummary as PhaseRow, RunSummary as SummaryRow } from '../db/generated/client';
import type { MotionAmplitude, RunFlagCode, RunSummaryValues } from '../../core/stats/run-summary';
import type { Vec3 } from '../../core/volume';

export type RunSummary = RunSummaryValues;
export type PhaseSummary = RunSummaryValues['phases'][number];
export type RunFlag = RunFlagCode;

/** What to select for `runSummaryFromRow`: the summary row with its phases in order. */
export const RUN_SUMMARY_INCLUDE = { phases: { orderBy: { position: 'asc' } } } as const satisfies Prisma.RunSummaryInclude;

export type RunSummaryRow = SummaryRow & { phases: PhaseRow[] };

function vec(x: number | null, y: number | null, z: number | null): Vec3 | null {
  return x === null || y === null || z === null ? null : [x, y, z];
}

function motion(lr: number | null, ap: number | null, si: number | null, max: number | null): MotionAmplitude | null {
  return lr === null || ap === null || si === null || max === null ? null : { LR: lr, AP: ap, SI: si, maxMm: max };
}

/** The rows of one run's summary (for createMany, e.g. a bulk seed). */
export function runSummaryRows(runId: string, s: RunSummary): { summary: Prisma.RunSummaryCreateManyInput; phases: Prisma.RunPhaseSummaryCreateManyInput[] } {
  const mm = s.motion.machine;
  const pm = s.motion.physician;
  return {
    summary: {
      runId,
      gtvMedianDice: s.gtv.medianDice,
      gtvMinDice: s.gtv.minDice,
      gtvMedianHd95Mm: s.gtv.medianHd95Mm,
      gtvMedianFpCc: s.gtv.medianFpCc,
      itvDice: s.itv.dice,
      itvHd95Mm: s.itv.hd95Mm,
      itvFpVoxels: s.itv.fpVoxels,
      itvFpCc: s.itv.fpCc,
      itvFpFraction: s.itv.fpFraction,
      itvFnCc: s.itv.fnCc,
      itvMachineCc: s.itv.machineCc,
      itvPhysicianCc: s.itv.physicianCc,
      itvMaxFpDistanceMm: s.itv.maxFpDistanceMm,
      itvLargestFpRegionCc: s.itv.largestFpRegionCc,
      machineMotionLrMm: mm?.LR ?? null,
      machineMotionApMm: mm?.AP ?? null,
      machineMotionSiMm: mm?.SI ?? null,
      machineMotionMaxMm: mm?.maxMm ?? null,
      physicianMotionLrMm: pm?.LR ?? null,
      physicianMotionApMm: pm?.AP ?? null,
      physicianMotionSiMm: pm?.SI ?? null,
      physicianMotionMaxMm: pm?.maxMm ?? null,
      flags: [...s.flags],
      lowDiceThreshold: s.thresholds.itvDice,
      phaseDiceThreshold: s.thresholds.phaseGtvDice,
      largeFpCcThreshold: s.thresholds.largeFpCc,
      distantFpMmThreshold: s.thresholds.distantFpMm,
    },
    phases: s.phases.map((p, position) => ({
      runId,
      position,
      phaseIndex: p.phaseIndex,
      phasePercent: p.phasePercent,
      machineCc: p.machineCc,
      physicianCc: p.physicianCc,
      machineCentroidXMm: p.machineCentroidMm?.[0] ?? null,
      machineCentroidYMm: p.machineCentroidMm?.[1] ?? null,
      machineCentroidZMm: p.machineCentroidMm?.[2] ?? null,
      physicianCentroidXMm: p.physicianCentroidMm?.[0] ?? null,
      physicianCentroidYMm: p.physicianCentroidMm?.[1] ?? null,
      physicianCentroidZMm: p.physicianCentroidMm?.[2] ?? null,
      dice: p.dice,
      hd95Mm: p.hd95Mm,
      fpCc: p.fpCc,
      outlier: p.outlier,
    })),
  };
}

/** The nested create of a run's summary rows (`summary: { create: … }` on a SegmentationRun). */
export function runSummaryCreate(s: RunSummary): Prisma.RunSummaryCreateWithoutRunInput {
  const { summary, phases } = runSummaryRows('', s);
  const { runId: _r, ...columns } = summary;
  void _r;
  return { ...columns, phases: { create: phases.map(({ runId: _p, ...phase }) => (void _p, phase)) } };
}

/** The summary value of stored rows (read with RUN_SUMMARY_INCLUDE). */
export function runSummaryFromRow(r: RunSummaryRow): RunSummary {
  return {
    schemaVersion: 1,
    phases: [...r.phases]
      .sort((a, b) => a.position - b.position)
      .map((p) => ({
        phaseIndex: p.phaseIndex,
        phasePercent: p.phasePercent,
        machineCc: p.machineCc,
        physicianCc: p.physicianCc,
        machineCentroidMm: vec(p.machineCentroidXMm, p.machineCentroidYMm, p.machineCentroidZMm),
        physicianCentroidMm: vec(p.physicianCentroidXMm, p.physicianCentroidYMm, p.physicianCentroidZMm),
        dice: p.dice,
        hd95Mm: p.hd95Mm,
        fpCc: p.fpCc,
        outlier: p.outlier,
      })),
    gtv: { medianDice: r.gtvMedianDice, minDice: r.gtvMinDice, medianHd95Mm: r.gtvMedianHd95Mm, medianFpCc: r.gtvMedianFpCc },
    itv: {
      dice: r.itvDice,
      hd95Mm: r.itvHd95Mm,
      fpVoxels: r.itvFpVoxels,
      fpCc: r.itvFpCc,
      fpFraction: r.itvFpFraction,
      fnCc: r.itvFnCc,
      machineCc: r.itvMachineCc,
      physicianCc: r.itvPhysicianCc,
      maxFpDistanceMm: r.itvMaxFpDistanceMm,
      largestFpRegionCc: r.itvLargestFpRegionCc,
    },
    motion: {
      machine: motion(r.machineMotionLrMm, r.machineMotionApMm, r.machineMotionSiMm, r.machineMotionMaxMm),
      physician: motion(r.physicianMotionLrMm, r.physicianMotionApMm, r.physicianMotionSiMm, r.physicianMotionMaxMm),
    },
    flags: [...(r.flags ?? [])],
    thresholds: { itvDice: r.lowDiceThreshold, phaseGtvDice: r.phaseDiceThreshold, largeFpCc: r.largeFpCcThreshold, distantFpMm: r.distantFpMmThreshold },
  };
}
