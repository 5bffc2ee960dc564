/**
 * The numbers a review meeting looks at for one case (one study's latest succeeded run), read
 * from the run's QA summary (the RunSummary row written with SUCCEEDED). Pure: plain objects
 * in, plain objects out.
 *
 * Conventions: Dice and FP volume are voxel overlap on the native CT grid; HD95 is the voxel
 * surface convention (mm); the FP distance is the largest distance of any FP voxel from the
 * physician contour (mm); motion is the peak-to-peak GTV centroid excursion (mm).
 */
import { evaluateFlags, explainFlagCodes, type Flag, type FlagInput, type FlagThresholds } from '../flags';

export interface CaseKeyNumbers {
  itvDice: number | null;
  itvHd95Mm: number | null;
  itvFpCc: number | null;
  /** Largest distance (mm) of any machine-ITV FP voxel from the physician ITV. */
  maxFpDistanceMm: number | null;
  gtvMedianDice: number | null;
  gtvMedianHd95Mm: number | null;
  /** Machine GTV centroid excursion, largest axis (mm); null when not stored. */
  machineMotionMm: number | null;
  physicianMotionMm: number | null;
  /** Flags as the summary set them (LOW_DICE, LARGE_FP, …). */
  flags: string[];
  /** The same flags with rule, value, threshold and structure (lib/core/flags); absent when the thresholds are not known. */
  flagDetails?: Flag[];
}

/** The fields of a run summary (lib/core/stats/run-summary.ts) this module reads. */
export interface RunSummaryLike {
  gtv: { medianDice: number | null; medianHd95Mm: number | null; minDice?: number | null };
  itv: {
    dice: number | null;
    hd95Mm: number | null;
    fpCc: number | null;
    maxFpDistanceMm: number | null;
    physicianCc?: number | null;
    largestFpRegionCc?: number | null;
  };
  motion: { machine: { maxMm: number } | null; physician: { maxMm: number } | null };
  flags: string[];
  /** With these (a full run summary) the flags are explained per phase; else from the ITV numbers. */
  phases?: FlagInput['phases'];
  thresholds?: FlagThresholds;
}

function detailsOf(s: RunSummaryLike, t: FlagThresholds): Flag[] {
  if (s.phases && s.itv.physicianCc !== undefined && s.itv.largestFpRegionCc !== undefined) {
    const all = evaluateFlags(
      {
        phases: s.phases,
        itv: { dice: s.itv.dice, physicianCc: s.itv.physicianCc, largestFpRegionCc: s.itv.largestFpRegionCc, maxFpDistanceMm: s.itv.maxFpDistanceMm },
      },
      t,
    );
    // The stored codes decide which flags are shown; the evaluation words them.
    if (all.map((f) => f.code).join(',') === s.flags.join(',')) return all;
  }
  return explainFlagCodes(
    s.flags,
    { itvDice: s.itv.dice, gtvMinDice: s.gtv.minDice ?? null, largestFpRegionCc: s.itv.largestFpRegionCc ?? null, maxFpDistanceMm: s.itv.maxFpDistanceMm },
    t,
  );
}

export function keyNumbersFromSummary(s: RunSummaryLike): CaseKeyNumbers {
  return {
    itvDice: s.itv.dice,
    itvHd95Mm: s.itv.hd95Mm,
    itvFpCc: s.itv.fpCc,
    // The summary leaves the distance null when there is no FP region at all; the meeting reads
    // that as "nothing outside the physician ITV", i.e. 0 mm.
    maxFpDistanceMm: s.itv.maxFpDistanceMm ?? (s.itv.fpCc === 0 ? 0 : null),
    gtvMedianDice: s.gtv.medianDice,
    gtvMedianHd95Mm: s.gtv.medianHd95Mm,
    machineMotionMm: s.motion.machine?.maxMm ?? null,
    physicianMotionMm: s.motion.physician?.maxMm ?? null,
    flags: [...s.flags],
    ...(s.thresholds ? { flagDetails: detailsOf(s, s.thresholds) } : {}),
  };
}
