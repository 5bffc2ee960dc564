/**
 * lib/core/dose: dose on the CT grid, DVHs and dose metrics (pure). Conventions: docs/dose.md.
 */
export { DoseError } from './errors';
export { doseAtIndex, doseAtPointMm, sampleDoseInMask, doseVoxelsInMask, type DoseSamples, type MaskBounds } from './sample-dose';
export { computeDoseMetrics, type DoseMetrics, type DoseMetricsInput, type CumulativeDvh } from './dose-metrics';
export { doseOnContourPlanes, planeThicknessMm, type PlaneSamples } from './dose-on-planes';
export { structureDoseMetrics, DOSE_CONVENTIONS, type DoseConvention, type StructureDoseInput } from './structure-dose';
export {
  computeRegionDoseRows,
  computeComponentDoseRows,
  maskComponents,
  MAX_DOSE_COMPONENTS,
  differenceMask,
  chooseDoseGrid,
  DOSE_REGIONS,
  STORED_DVH_BIN_GY,
  type DoseRegion,
  type RegionDoseRow,
  type RegionDoseValues,
  type RegionMask,
  type StoredDvh,
} from './region-dose';
export { cohortDoseByInstitution, type CohortDoseCase, type CohortDoseRow } from './cohort-dose';
