/**
 * The covariates the outcomes explorer offers, with their units (docs/survival.md, "Covariate
 * units"). A covariate's `value` in the dataset is already in its unit: an FP fraction of
 * 0.23 is 2.3 "per 10 percentage points", so a hazard ratio reads per that unit.
 */

export type CovariateSource = 'metric' | 'clinical';
export type CovariateKind = 'numeric' | 'categorical';

export interface CovariateInfo {
  /** Stable key used in forms, URLs and the dataset (`metric:falsePositiveVoxels`, `clinical:age`). */
  key: string;
  label: string;
  source: CovariateSource;
  kind: CovariateKind;
  /** What one unit of the stored value is ("per voxel", "per cc", …); categorical: "vs reference". */
  unit: string;
  /** Patients with a value. */
  nAvailable: number;
  /** Set when the covariate cannot be used, with the plain-language reason. */
  unavailableReason: string | null;
  /** Categorical: the levels seen (sorted). */
  levels?: string[];
}

export interface MetricCovariateDef {
  key: string;
  label: string;
  unit: string;
  /** Read the value (in `unit`) from merged metric values; null when absent. */
  from: string;
  scale: number;
  /** Why it may be missing even when metrics exist. */
  missingReason: string;
}

/** The metric covariates (ITV, latest run, voxel convention + overlap row of the same pair). */
export const METRIC_COVARIATES: MetricCovariateDef[] = [
  {
    key: 'metric:falsePositiveVoxels',
    label: 'ITV false-positive voxels',
    unit: 'per voxel',
    from: 'falsePositiveVoxels',
    scale: 1,
    missingReason: 'no ITV metric results yet',
  },
  {
    key: 'metric:falsePositiveVolumeCc',
    label: 'ITV false-positive volume',
    unit: 'per cc',
    from: 'falsePositiveVolumeCc',
    scale: 1,
    missingReason: 'no ITV metric results yet',
  },
  {
    key: 'metric:falsePositiveFraction',
    label: 'ITV false-positive fraction',
    unit: 'per 10 percentage points',
    from: 'falsePositiveFraction',
    // fraction 0..1 → percentage points / 10
    scale: 10,
    missingReason: 'no ITV metric results yet (or an empty machine ITV)',
  },
  { key: 'metric:dice', label: 'ITV Dice', unit: 'per 0.1 Dice', from: 'dice', scale: 10, missingReason: 'no ITV metric results yet' },
  {
    key: 'metric:hd95Mm',
    label: 'ITV HD95 (voxel convention)',
    unit: 'per mm',
    from: 'hd95Mm',
    scale: 1,
    missingReason: 'no voxel-convention ITV metric results yet',
  },
  {
    key: 'metric:gtvVolumeCc',
    label: 'Physician GTV volume',
    unit: 'per cc',
    from: 'gtvVolumeCc',
    scale: 1,
    missingReason: 'no physician GTV with a volume imported yet',
  },
  {
    key: 'metric:motionAmplitudeMm',
    label: 'Tumour motion amplitude (physician GTV, largest 3D centroid excursion over the 4D CT phases, mm)',
    unit: 'per mm',
    from: 'motionAmplitudeMm',
    scale: 1,
    missingReason: "no finished run with a 4D CT yet (the motion amplitude is the run summary's largest 3D excursion of the physician GTV centroid)",
  },
  {
    key: 'metric:fpBelow95PctRxCc',
    label: 'FP volume receiving < 95 % of prescription (machine ITV ∖ physician ITV, planned dose, cc)',
    unit: 'per cc',
    from: 'fpBelow95PctRxCc',
    scale: 1,
    missingReason:
      "no dose with a prescription yet (import the RTDOSE and RTPLAN with the study, or enter the prescription on the study page; the value is the run's FP region's volume below 95 % of it, docs/dose.md)",
  },
  {
    key: 'metric:fpMeanDoseGy',
    label: 'FP region mean dose (machine ITV ∖ physician ITV, planned dose, Gy)',
    unit: 'per Gy',
    from: 'fpMeanDoseGy',
    scale: 1,
    missingReason: "no planned dose yet, or an empty FP region (import the RTDOSE with the study; the value is the run's FP region's mean dose, docs/dose.md)",
  },
  {
    key: 'metric:fpD95PctRx',
    label: 'FP region D95 (machine ITV ∖ physician ITV, % of prescription)',
    unit: 'per percentage point of prescription',
    from: 'fpD95PctRx',
    scale: 1,
    missingReason:
      "no dose with a prescription yet, or an empty FP region (import the RTDOSE and RTPLAN, or enter the prescription on the study page; the value is the dose 95 % of the run's FP region receives, as % of the prescription, docs/dose.md)",
  },
  {
    key: 'metric:fnV95Pct',
    label: 'FN region V95 (physician ITV ∖ machine ITV receiving ≥ 95 % of prescription, % of volume)',
    unit: 'per percentage point of volume',
    from: 'fnV95Pct',
    scale: 1,
    missingReason:
      "no dose with a prescription yet, or an empty FN region (import the RTDOSE and RTPLAN, or enter the prescription on the study page; the value is the share of the run's FN region at ≥ 95 % of the prescription, docs/dose.md)",
  },
];

/** Outcome-derived columns that may be used for grouping but not as covariates. */
export const EVENT_CHOICES = {
  localFailure: {
    label: 'Local failure (death without local failure as a competing event)',
    short: 'local failure',
  },
  death: { label: 'Death from any cause (overall survival)', short: 'death' },
} as const;
export type EventChoice = keyof typeof EVENT_CHOICES;
