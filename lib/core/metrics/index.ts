/**
 * Metrics core: overlap, surface distances (voxel | surfel | plastimatch conventions),
 * discordance regions, added path length, 4D-CT ITV and motion, database rows.
 * Pure TypeScript over typed arrays; see docs/metrics.md.
 */
export { MetricsError, type MetricsErrorCode, type NullReason } from './errors';
export { validateGrid, validateMaskPair, assertSameGrid } from './validate';
export { boundingBox, unionBox, type IndexBox } from './bbox';
export { computeOverlap, emptinessReason, type OverlapResult } from './overlap';
export { squaredEdtInPlace, distancesToSites } from './edt';
export { surfelAreaTable } from './surfel-table';
export { computeSurfaceDistances, type SurfaceDistances, type SurfaceSampling, type SurfaceDistanceOptions } from './surface-distances';
export {
  hausdorffMm,
  percentileHausdorffMm,
  meanSurfaceDistanceMm,
  averageSurfaceDistanceMm,
  surfaceDice,
  plastimatchPercentHausdorffMm,
  plastimatchAverageHausdorffMm,
  linearPercentile,
} from './surface-metrics';
export {
  computeMetrics,
  ALL_CONVENTIONS,
  type Convention,
  type ComputeMetricsOptions,
  type MetricsResult,
  type VoxelConventionResult,
  type SurfelConventionResult,
  type PlastimatchConventionResult,
} from './compute-metrics';
export { toMetricRows, type MetricRow, type ToMetricRowsOptions } from './to-metric-rows';
export { findDiscordanceRegions, type DiscordanceRegion, type DiscordanceResult, type FindDiscordanceOptions } from './discordance';
export { computeAddedPathLength, type AddedPathLengthResult } from './added-path-length';
export { computeItv, analyseMotion, type PhaseMotion, type MotionResult, type AnalyseMotionOptions } from './motion';
