/**
 * The QA summary of one segmentation run, built from the metric values the run stored and the
 * phase masks (for centroids and motion). Pure: the caller reads rows and masks.
 *
 * Flags: lib/core/flags (the rules, their defaults and their wording) evaluated with the
 * thresholds the caller passes (the current FlagRuleSet; the defaults when none is given).
 */
import type { Grid, Vec3 } from '@/lib/core/volume';
import { analyseMotion, type MotionResult } from '@/lib/core/metrics/motion';
import { DEFAULT_FLAG_THRESHOLDS, flagCodes, type FlagCode, type FlagThresholds } from '@/lib/core/flags';
import { medianOf } from './quantile';

export { DEFAULT_FLAG_THRESHOLDS, type FlagThresholds };
export type RunFlagCode = FlagCode;

/** Metric values as stored in MetricResult.values (null = undefined, see nullReasons). */
export type MetricValues = Record<string, number | null | undefined>;

export interface DiscordanceValues {
  falsePositive: { volumeCc: number; maxDistanceMm: number | null }[];
  falseNegative?: unknown[];
}

export interface RunSummaryPhaseInput {
  /** 4D CT phase index; null for a planning CT. */
  phaseIndex: number | null;
  phasePercent: number | null;
  /** Machine GTV of this phase on `grid` (non-zero = inside). */
  machineMask: Uint8Array;
  /** Physician GTV of this phase on `grid`, or null when there is none (or on another grid). */
  physicianMask: Uint8Array | null;
  /** The 'overlap' and 'voxel' metric rows of this phase's GTV pair (null without reference). */
  overlap: MetricValues | null;
  voxel: MetricValues | null;
}

export interface RunSummaryInput {
  /** The common grid of every phase mask. */
  grid: Grid;
  /** In respiratory order. */
  phases: RunSummaryPhaseInput[];
  /** The machine ITV against the physician ITV; null when there is no physician ITV. */
  itv: { overlap: MetricValues; voxel: MetricValues | null; discordance: DiscordanceValues | null } | null;
  /** Machine ITV volume (cc), known even without a physician ITV. */
  machineItvCc: number;
  thresholds?: Partial<FlagThresholds>;
}

export interface MotionAmplitude {
  LR: number;
  AP: number;
  SI: number;
  /** Largest 3D distance between two phase centroids (mm). */
  maxMm: number;
}

export interface RunSummaryValues {
  schemaVersion: 1;
  phases: {
    phaseIndex: number | null;
    phasePercent: number | null;
    machineCc: number | null;
    physicianCc: number | null;
    machineCentroidMm: Vec3 | null;
    physicianCentroidMm: Vec3 | null;
    dice: number | null;
    hd95Mm: number | null;
    fpCc: number | null;
    outlier: boolean;
  }[];
  gtv: { medianDice: number | null; minDice: number | null; medianHd95Mm: number | null; medianFpCc: number | null };
  itv: {
    dice: number | null;
    hd95Mm: number | null;
    fpVoxels: number | null;
    fpCc: number | null;
    fpFraction: number | null;
    fnCc: number | null;
    machineCc: number | null;
    physicianCc: number | null;
    maxFpDistanceMm: number | null;
    largestFpRegionCc: number | null;
  };
  motion: { machine: MotionAmplitude | null; physician: MotionAmplitude | null };
  flags: RunFlagCode[];
  thresholds: FlagThresholds;
}

const num = (v: number | null | undefined): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function amplitude(m: MotionResult | null): MotionAmplitude | null {
  if (!m?.amplitudeMm || m.maxExcursionMm === null) return null;
  return { ...m.amplitudeMm, maxMm: m.maxExcursionMm };
}

/**
 * @returns the summary stored as the run's RunSummary and RunPhaseSummary rows (lib/server/runs/run-summary.types.ts)
 * @throws MetricsError INVALID_INPUT (from analyseMotion) when a mask does not fit `grid`.
 */
export function buildRunSummary(input: RunSummaryInput): RunSummaryValues {
  // machineMotion has one phase per input phase (same order), hence the `!`.
  const thresholds = { ...DEFAULT_FLAG_THRESHOLDS, ...input.thresholds };
  const { phases, grid } = input;
  // Motion needs a 4D CT: with a planning CT alone there is nothing to move.
  const is4d = phases.length >= 2 && phases.every((p) => p.phaseIndex !== null);
  const machineMotion = phases.length ? analyseMotion({ phases: phases.map((p) => p.machineMask), grid }) : null;
  const withRef = phases.filter((p) => p.physicianMask !== null);
  const physicianMotion = withRef.length ? analyseMotion({ phases: withRef.map((p) => p.physicianMask!), grid }) : null;
  const physicianByPhase = new Map(withRef.map((p, i) => [p, physicianMotion!.phases[i]]));

  const phaseRows = phases.map((p, i) => {
    const m = machineMotion!.phases[i]!;
    const ref = physicianByPhase.get(p);
    return {
      phaseIndex: p.phaseIndex,
      phasePercent: p.phasePercent,
      machineCc: m.volumeCc,
      physicianCc: ref ? ref.volumeCc : null,
      machineCentroidMm: m.centroidMm,
      physicianCentroidMm: ref ? ref.centroidMm : null,
      dice: num(p.overlap?.dice),
      hd95Mm: num(p.voxel?.hd95Mm),
      fpCc: num(p.overlap?.falsePositiveVolumeCc),
      // Outlier phases only mean something along a breathing cycle.
      outlier: is4d && m.outlier,
    };
  });

  const fpRegions = input.itv?.discordance?.falsePositive ?? [];
  const itvOverlap = input.itv?.overlap;
  const itv = {
    dice: num(itvOverlap?.dice),
    hd95Mm: num(input.itv?.voxel?.hd95Mm),
    fpVoxels: num(itvOverlap?.falsePositiveVoxels),
    fpCc: num(itvOverlap?.falsePositiveVolumeCc),
    fpFraction: num(itvOverlap?.falsePositiveFraction),
    fnCc: num(itvOverlap?.falseNegativeVolumeCc),
    machineCc: num(itvOverlap?.testVolumeCc) ?? num(input.machineItvCc),
    physicianCc: num(itvOverlap?.referenceVolumeCc),
    maxFpDistanceMm: input.itv?.discordance
      ? fpRegions.reduce<number | null>((mx, r) => (r.maxDistanceMm === null ? mx : Math.max(mx ?? 0, r.maxDistanceMm)), null)
      : null,
    largestFpRegionCc: input.itv?.discordance ? fpRegions.reduce((mx, r) => Math.max(mx, r.volumeCc), 0) : null,
  };

  const gtv = {
    medianDice: medianOf(phaseRows.map((p) => p.dice)),
    minDice: phaseRows.some((p) => p.dice !== null) ? Math.min(...phaseRows.filter((p) => p.dice !== null).map((p) => p.dice!)) : null,
    medianHd95Mm: medianOf(phaseRows.map((p) => p.hd95Mm)),
    medianFpCc: medianOf(phaseRows.map((p) => p.fpCc)),
  };

  const flags = flagCodes({ phases: phaseRows, itv }, thresholds);

  return {
    schemaVersion: 1,
    phases: phaseRows,
    gtv,
    itv,
    motion: { machine: is4d ? amplitude(machineMotion) : null, physician: is4d && withRef.length >= 2 ? amplitude(physicianMotion) : null },
    flags,
    thresholds,
  };
}
