/**
 * The QA summary of one succeeded segmentation run, stored in `SegmentationRun.summary` (JSON)
 * when the run finishes. The cohort page, the case table, the review queue and the viewer's
 * key numbers read only this, so a cohort of thousands of studies needs one row per study.
 *
 * Conventions: Dice, FP and FN are voxel overlap on the native CT grid ('overlap' rows);
 * HD95 is the voxel-surface convention ('voxel' rows), in mm; volumes in cc; positions in
 * patient mm (LPS). A value is null when it is undefined (for example Dice with both masks
 * empty) or when the physician structure it needs is missing.
 */
import { z } from 'zod';
import type { RunSummaryValues } from '../../core/stats/run-summary';

const num = z.number().nullable();
const vec3 = z.tuple([z.number(), z.number(), z.number()]).nullable();

export const PhaseSummary = z.object({
  /** 4D CT phase index (0..n-1); null for a planning CT. */
  phaseIndex: z.number().int().nullable(),
  phasePercent: num,
  machineCc: num,
  physicianCc: num,
  machineCentroidMm: vec3,
  physicianCentroidMm: vec3,
  dice: num,
  hd95Mm: num,
  /** False-positive volume of this phase's machine GTV (cc). */
  fpCc: num,
  /** Flagged by lib/core/metrics/motion.ts (volume or position departs from its neighbours). */
  outlier: z.boolean(),
});
export type PhaseSummary = z.infer<typeof PhaseSummary>;

export const StructureSummary = z.object({
  dice: num,
  hd95Mm: num,
  fpVoxels: num,
  fpCc: num,
  fpFraction: num,
  fnCc: num,
  machineCc: num,
  physicianCc: num,
  /** Largest distance (mm) of any FP voxel from the physician contour. */
  maxFpDistanceMm: num,
  /** Volume (cc) of the largest connected false-positive region (0 when there is none). */
  largestFpRegionCc: num,
});
export type StructureSummary = z.infer<typeof StructureSummary>;

export const RunFlag = z.enum(['LOW_DICE', 'LARGE_FP', 'DISTANT_FP', 'OUTLIER_PHASE', 'NO_REFERENCE']);
export type RunFlag = z.infer<typeof RunFlag>;

export const RunSummary = z.object({
  schemaVersion: z.literal(1),
  /** Per-phase GTV (machine vs physician of the same phase). */
  phases: z.array(PhaseSummary),
  /** GTV over phases: median and minimum Dice, median HD95 and median FP cc over the phases. */
  gtv: z.object({ medianDice: num, minDice: num, medianHd95Mm: num, medianFpCc: num }),
  /** Machine ITV (union of phase GTVs) against the physician ITV. */
  itv: StructureSummary,
  /** Peak-to-peak centroid excursion of the GTV over the phases (mm); null without phases. */
  motion: z.object({
    machine: z.object({ LR: z.number(), AP: z.number(), SI: z.number(), maxMm: z.number() }).nullable(),
    physician: z.object({ LR: z.number(), AP: z.number(), SI: z.number(), maxMm: z.number() }).nullable(),
  }),
  flags: z.array(RunFlag),
  /** The thresholds the flags used, so a reader can see why a case is flagged (defaults and
   *  their reasons: lib/core/stats/run-summary.ts). */
  thresholds: z.object({ lowDice: z.number(), largeFpCc: z.number(), distantFpMm: z.number() }),
});
export type RunSummary = z.infer<typeof RunSummary>;

// The pure builder (lib/core/stats/run-summary.ts) returns this shape; keep the two in step.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _sameShape: Same<RunSummaryValues, RunSummary> = true;
void _sameShape;
