import type { Grid } from '@/lib/core/volume';
import type { Convention, MetricsResult } from './compute-metrics';
import type { NullReason } from './errors';

/** One MetricResult row (prisma/schema.prisma), without the study/structure foreign keys. */
export interface MetricRow {
  /** 'overlap' for the volume measures, else the surface convention. */
  convention: 'overlap' | Convention;
  /** Flat metric values: finite numbers or null. */
  values: Record<string, number | null>;
  nullReasons: Record<string, NullReason>;
  /** Surface Dice tolerance (mm); null for overlap. */
  toleranceMm: number | null;
  spacingMm: number[];
  dims: number[];
  codeVersion: string;
  referenceSha256: string | null;
  testSha256: string | null;
}

export interface ToMetricRowsOptions {
  result: MetricsResult;
  grid: Grid;
  /** The version of this code that produced the numbers (e.g. package version + git sha). */
  codeVersion: string;
  /** SHA-256 (hex) of the reference and test mask bytes, as stored. */
  referenceSha256?: string | null;
  testSha256?: string | null;
}

/**
 * Turn a computeMetrics result into database-row-shaped objects, one per convention present
 * (plus 'overlap'). Pure; throws nothing. Values are copied so no row shares arrays with the
 * result; a non-finite number (which computeMetrics never returns) is stored as null.
 */
export function toMetricRows(options: ToMetricRowsOptions): MetricRow[] {
  const { result, grid, codeVersion } = options;
  const common = {
    spacingMm: [...grid.spacingMm],
    dims: [...grid.dims],
    codeVersion,
    referenceSha256: options.referenceSha256 ?? null,
    testSha256: options.testSha256 ?? null,
  };
  const reasonsFor = (prefix: string | null, fields: string[]) => {
    const out: Record<string, NullReason> = {};
    for (const f of fields) {
      const key = prefix ? `${prefix}.${f}` : f;
      const reason = result.nullReasons[key];
      if (reason) out[f] = reason;
    }
    return out;
  };
  const clean = (x: number | null): number | null => (x !== null && Number.isFinite(x) ? x : null);
  const overlapFields = [
    'dice',
    'jaccard',
    'referenceVoxels',
    'testVoxels',
    'truePositiveVoxels',
    'falsePositiveVoxels',
    'falseNegativeVoxels',
    'referenceVolumeCc',
    'testVolumeCc',
    'falsePositiveVolumeCc',
    'falseNegativeVolumeCc',
    'falsePositiveFraction',
    'centroidShiftMm',
  ] as const;
  const rows: MetricRow[] = [];
  const overlapValues: Record<string, number | null> = {};
  for (const f of overlapFields) overlapValues[f] = clean(result[f]);
  rows.push({ convention: 'overlap', values: overlapValues, nullReasons: reasonsFor(null, [...overlapFields]), toleranceMm: null, ...common });
  if (result.voxel) {
    const { toleranceMm, ...v } = result.voxel;
    const values = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
    rows.push({ convention: 'voxel', values, nullReasons: reasonsFor('voxel', Object.keys(v)), toleranceMm, ...common });
  }
  if (result.surfel) {
    const { toleranceMm, averageSurfaceDistanceMm, ...v } = result.surfel;
    const values: Record<string, number | null> = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
    values.averageSurfaceDistanceReferenceToTestMm = clean(averageSurfaceDistanceMm[0]);
    values.averageSurfaceDistanceTestToReferenceMm = clean(averageSurfaceDistanceMm[1]);
    const nullReasons = reasonsFor('surfel', Object.keys(v));
    const r0 = result.nullReasons['surfel.averageSurfaceDistanceMm.0'];
    const r1 = result.nullReasons['surfel.averageSurfaceDistanceMm.1'];
    if (r0) nullReasons.averageSurfaceDistanceReferenceToTestMm = r0;
    if (r1) nullReasons.averageSurfaceDistanceTestToReferenceMm = r1;
    rows.push({ convention: 'surfel', values, nullReasons, toleranceMm, ...common });
  }
  if (result.plastimatch) {
    const { fraction, ...v } = result.plastimatch;
    const values: Record<string, number | null> = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)]));
    values.fraction = fraction;
    rows.push({ convention: 'plastimatch', values, nullReasons: reasonsFor('plastimatch', Object.keys(v)), toleranceMm: null, ...common });
  }
  return rows;
}
