/**
 * The numeric half of a segmentation run (lib/server/runs/execute-segmentation-run.ts): given the
 * masks in memory, the metric rows of each compared (physician, machine) pair and the run's QA
 * summary. Pure: no I/O, nothing read from or written to the database; the server stages read the
 * masks before and write what these return after.
 *
 * - computePairMetrics: one physician structure against one machine structure on the same grid:
 *   the stored metric rows ('overlap', 'voxel', 'surfel' from lib/core/metrics/to-metric-rows.ts,
 *   and 'discordance': the false-positive / false-negative regions), plus the values the summary
 *   needs. Conventions are those of docs/metrics.md.
 * - computeRunSummary: the run's summary (lib/core/stats/run-summary.ts) from the phase GTVs, the
 *   ITV and the pairs measured.
 */
import type { Grid } from '@/lib/core/volume';
import { voxelVolumeCc } from '@/lib/core/volume';
import { computeMetrics, findDiscordanceRegions, toMetricRows, type MetricRow } from '@/lib/core/metrics';
import { buildRunSummary, type DiscordanceValues, type MetricValues, type RunSummaryPhaseInput, type RunSummaryValues } from '@/lib/core/stats/run-summary';

/** Default surface Dice tolerance (mm). */
export const DEFAULT_TOLERANCE_MM = 2;

/** One physician structure and one machine structure to compare, both on `grid`. */
export interface MetricPair {
  reference: { id: string; mask: Uint8Array; sha256: string | null; phasePercent: number | null };
  test: { id: string; mask: Uint8Array; sha256: string | null };
  grid: Grid;
}

/** A MetricResult row of a pair: the metric conventions and 'discordance'. */
export type PairMetricRow = Omit<MetricRow, 'convention' | 'values'> & {
  convention: MetricRow['convention'] | 'discordance';
  values: Record<string, unknown>;
};

export interface PairMetrics {
  referenceStructureId: string;
  testStructureId: string;
  /** One row per convention ('overlap', 'voxel', 'surfel', 'discordance'), keyed by (reference, test, convention) when stored. */
  rows: PairMetricRow[];
  /** What computeRunSummary needs of this pair. */
  referenceMask: Uint8Array;
  referencePercent: number | null;
  overlap: MetricValues | null;
  voxel: MetricValues | null;
  discordance: DiscordanceValues;
}

export interface ComputePairMetricsOptions {
  /** The version of this code that produced the numbers (stored on every row). */
  codeVersion: string;
  /** Surface Dice tolerance (mm); default DEFAULT_TOLERANCE_MM. */
  toleranceMm?: number;
}

/**
 * @throws MetricsError INVALID_INPUT when a mask does not fit the grid (lib/core/metrics/validate.ts).
 */
export function computePairMetrics(pair: MetricPair, options: ComputePairMetricsOptions): PairMetrics {
  const { reference, test, grid } = pair;
  const result = computeMetrics({
    reference: reference.mask,
    test: test.mask,
    grid,
    toleranceMm: options.toleranceMm ?? DEFAULT_TOLERANCE_MM,
    conventions: ['voxel', 'surfel'],
  });
  const metricRows = toMetricRows({ result, grid, codeVersion: options.codeVersion, referenceSha256: reference.sha256, testSha256: test.sha256 });
  const discordance = findDiscordanceRegions({ reference: reference.mask, test: test.mask, grid });
  const discordanceRow: PairMetricRow = {
    convention: 'discordance',
    values: discordance as unknown as Record<string, unknown>,
    nullReasons: {},
    toleranceMm: null,
    spacingMm: [...grid.spacingMm],
    dims: [...grid.dims],
    codeVersion: options.codeVersion,
    referenceSha256: reference.sha256,
    testSha256: test.sha256,
  };
  return {
    referenceStructureId: reference.id,
    testStructureId: test.id,
    rows: [...metricRows, discordanceRow],
    referenceMask: reference.mask,
    referencePercent: reference.phasePercent,
    overlap: metricRows.find((r) => r.convention === 'overlap')?.values ?? null,
    voxel: metricRows.find((r) => r.convention === 'voxel')?.values ?? null,
    discordance: discordance as unknown as DiscordanceValues,
  };
}

/** Voxels inside the mask (non-zero). */
export function countMaskVoxels(mask: Uint8Array): number {
  let n = 0;
  for (let v = 0; v < mask.length; v++) if (mask[v] !== 0) n++;
  return n;
}

export interface ComputeRunSummaryInput {
  /** The common grid of every phase GTV and the ITV. */
  grid: Grid;
  /** The machine GTV of each phase, in respiratory order (one entry, phaseIndex null, for a planning CT). */
  phases: { structureId: string; phaseIndex: number | null; phasePercent: number | null; mask: Uint8Array }[];
  /** The machine ITV (union of the phase GTVs). */
  itv: { structureId: string; mask: Uint8Array };
  /** The pairs measured (computePairMetrics), matched to phases and ITV by machine structure id. */
  measured: readonly PairMetrics[];
}

/**
 * @throws MetricsError INVALID_INPUT (from analyseMotion) when a mask does not fit `grid`.
 */
export function computeRunSummary(input: ComputeRunSummaryInput): RunSummaryValues {
  const byTest = new Map(input.measured.map((m) => [m.testStructureId, m]));
  const phases: RunSummaryPhaseInput[] = input.phases.map((g) => {
    const c = byTest.get(g.structureId);
    return {
      phaseIndex: g.phaseIndex,
      phasePercent: g.phasePercent ?? c?.referencePercent ?? null,
      machineMask: g.mask,
      physicianMask: c?.referenceMask ?? null,
      overlap: c?.overlap ?? null,
      voxel: c?.voxel ?? null,
    };
  });
  const itv = byTest.get(input.itv.structureId);
  return buildRunSummary({
    grid: input.grid,
    phases,
    itv: itv?.overlap ? { overlap: itv.overlap, voxel: itv.voxel, discordance: itv.discordance } : null,
    machineItvCc: countMaskVoxels(input.itv.mask) * voxelVolumeCc(input.grid),
  });
}
