/**
 * The numbers a review meeting looks at for one case (one study's latest succeeded run), read
 * either from the run's stored QA summary (SegmentationRun.summary) or, for runs written before
 * the summary existed, from its MetricResult rows. Pure: plain objects in, plain objects out.
 *
 * Conventions: Dice and FP volume are voxel overlap on the native CT grid; HD95 is the voxel
 * surface convention (mm); the FP distance is the largest distance of any FP voxel from the
 * physician contour (mm); motion is the peak-to-peak GTV centroid excursion (mm).
 */
import { medianOf } from '../stats/quantile';

export interface CaseKeyNumbers {
  /** Where the numbers came from: the run summary, or its metric rows (fallback). */
  source: 'summary' | 'metrics';
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
  /** Flags as the summary set them (LOW_DICE, LARGE_FP, …); empty for the metrics fallback. */
  flags: string[];
}

/** The fields of a stored RunSummary (lib/server/runs/run-summary.types.ts) this module reads. */
export interface RunSummaryLike {
  gtv: { medianDice: number | null; medianHd95Mm: number | null };
  itv: { dice: number | null; hd95Mm: number | null; fpCc: number | null; maxFpDistanceMm: number | null };
  motion: { machine: { maxMm: number } | null; physician: { maxMm: number } | null };
  flags: string[];
}

export function keyNumbersFromSummary(s: RunSummaryLike): CaseKeyNumbers {
  return {
    source: 'summary',
    itvDice: s.itv.dice,
    itvHd95Mm: s.itv.hd95Mm,
    itvFpCc: s.itv.fpCc,
    // The summary leaves the distance null when there is no FP region at all; the meeting reads
    // that as "nothing outside the physician ITV", i.e. 0 mm (as the metric-row fallback does).
    maxFpDistanceMm: s.itv.maxFpDistanceMm ?? (s.itv.fpCc === 0 ? 0 : null),
    gtvMedianDice: s.gtv.medianDice,
    gtvMedianHd95Mm: s.gtv.medianHd95Mm,
    machineMotionMm: s.motion.machine?.maxMm ?? null,
    physicianMotionMm: s.motion.physician?.maxMm ?? null,
    flags: [...s.flags],
  };
}

/** One MetricResult row of a run, reduced to what the fallback needs. */
export interface RunMetricRow {
  /** 'ITV' or 'GTV' (the machine structure's kind). */
  structureKind: string;
  /** 'overlap' | 'voxel' | 'surfel' | 'discordance' | … */
  convention: string;
  values: unknown;
}

function finite(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function field(values: unknown, name: string): number | null {
  return values && typeof values === 'object' ? finite((values as Record<string, unknown>)[name]) : null;
}

/**
 * The key numbers from a run's metric rows: ITV 'overlap' (dice, falsePositiveVolumeCc),
 * ITV 'voxel' (hd95Mm), ITV 'discordance' (largest maxDistanceMm over its falsePositive
 * regions; 0 when there are none), and the medians over the phase GTV rows. Motion is not
 * stored in metric rows, so it is null here.
 */
export function keyNumbersFromMetricRows(rows: RunMetricRow[]): CaseKeyNumbers {
  const itv = (convention: string) => rows.find((r) => r.structureKind === 'ITV' && r.convention === convention)?.values;
  const gtv = (convention: string) => rows.filter((r) => r.structureKind === 'GTV' && r.convention === convention).map((r) => r.values);
  const discordance = itv('discordance') as { falsePositive?: unknown } | undefined;
  let maxFpDistanceMm: number | null = null;
  if (discordance && Array.isArray(discordance.falsePositive)) {
    // No FP region at all: the machine added nothing outside the physician ITV.
    maxFpDistanceMm = discordance.falsePositive.length === 0 ? 0 : null;
    for (const region of discordance.falsePositive) {
      const d = field(region, 'maxDistanceMm');
      if (d !== null && (maxFpDistanceMm === null || d > maxFpDistanceMm)) maxFpDistanceMm = d;
    }
  }
  return {
    source: 'metrics',
    itvDice: field(itv('overlap'), 'dice'),
    itvHd95Mm: field(itv('voxel'), 'hd95Mm'),
    itvFpCc: field(itv('overlap'), 'falsePositiveVolumeCc'),
    maxFpDistanceMm,
    gtvMedianDice: medianOf(gtv('overlap').map((v) => field(v, 'dice'))),
    gtvMedianHd95Mm: medianOf(gtv('voxel').map((v) => field(v, 'hd95Mm'))),
    machineMotionMm: null,
    physicianMotionMm: null,
    flags: [],
  };
}
