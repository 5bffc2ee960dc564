/**
 * The patient-level analysis dataset (docs/analysis-dataset.md): the columns and the data
 * dictionary built from the outcomes explorer's dataset (getOutcomeDataset), so the export and
 * the explorer read the same numbers. One row per patient with an outcome; pseudonyms only.
 *
 * Metric columns are in natural units (Dice 0–1, FP fraction 0–1, cc, mm, voxels); the explorer
 * fits them per `explorerScale` natural units' reciprocal (Dice ×10 = "per 0.1 Dice"), which
 * the dictionary states for each column, so a hazard ratio from the CSV is exp(β_csv / scale).
 * Pure: no I/O.
 */
import type { OutcomeDataset, OutcomeRow } from './get-outcome-dataset';
import { METRIC_COVARIATES } from './outcome-covariates';

export type DatasetColumnType = 'string' | 'number' | 'integer' | 'categorical';

export interface DatasetColumn {
  name: string;
  description: string;
  /** Unit of the values; null for text and codes. */
  unit: string | null;
  type: DatasetColumnType;
  /** How the value is measured or defined (metric convention, time origin, censoring rule); null when nothing to add. */
  convention: string | null;
  /** Every value the column may hold (codes, categorical levels); null when open. Empty cells are missing values. */
  allowedValues: (string | number)[] | null;
  /** The outcomes explorer's covariate key for this column, if it is one. */
  explorerCovariate: string | null;
  /** The explorer's value = this column's value × explorerScale (its hazard ratios are per 1/explorerScale of this unit). */
  explorerScale: number | null;
}

export interface DataDictionary {
  title: string;
  rows: string;
  identifiers: string;
  columns: DatasetColumn[];
}

const METRIC_COLUMNS: Record<string, { name: string; unit: string; description: string; convention: string }> = {
  'metric:falsePositiveVoxels': {
    name: 'itv_fp_voxels',
    unit: 'voxels',
    description: 'Machine ITV voxels outside the physician ITV (latest run with ITV metrics).',
    convention: 'overlap: voxel count on the CT grid of the machine ITV minus the physician ITV',
  },
  'metric:falsePositiveVolumeCc': {
    name: 'itv_fp_volume_cc',
    unit: 'cc',
    description: 'Volume of the machine ITV outside the physician ITV (latest run with ITV metrics).',
    convention: 'overlap: false-positive voxels × voxel volume',
  },
  'metric:falsePositiveFraction': {
    name: 'itv_fp_fraction',
    unit: 'fraction of the machine ITV volume (0–1)',
    description: 'Share of the machine ITV that lies outside the physician ITV.',
    convention: 'overlap: false-positive volume / machine ITV volume; empty when the machine ITV is empty',
  },
  'metric:dice': {
    name: 'itv_dice',
    unit: 'Dice coefficient (0–1)',
    description: 'Dice similarity of machine and physician ITV.',
    convention: 'overlap: 2|A∩B| / (|A| + |B|) on the CT grid',
  },
  'metric:hd95Mm': {
    name: 'itv_hd95_mm_voxel',
    unit: 'mm',
    description: '95th percentile Hausdorff distance between machine and physician ITV surfaces.',
    convention: 'voxel: surface voxels, both directions pooled (docs/metrics.md)',
  },
  'metric:gtvVolumeCc': {
    name: 'physician_gtv_volume_cc',
    unit: 'cc',
    description: 'Physician GTV volume: median over the phases of the most recently imported study with GTVs.',
    convention: 'structure volume as imported (voxelised on the CT grid)',
  },
  'metric:motionAmplitudeMm': {
    name: 'tumour_motion_mm',
    unit: 'mm',
    description: 'Tumour motion amplitude: largest 3D distance between physician GTV centroids over the 4D CT phases (run summary).',
    convention: 'peak-to-peak 3D centroid excursion of the physician GTV; empty without a 4D CT',
  },
  'metric:fpBelow95PctRxCc': {
    name: 'fp_volume_below_95pct_rx_cc',
    unit: 'cc',
    description: 'Volume of the false-positive region (machine ITV minus physician ITV) receiving less than 95 % of the prescription in the planned dose.',
    convention: 'iseg dose convention: trilinear dose at the CT voxel centres of the region (docs/dose.md); empty without a dose and prescription',
  },
  'metric:fpMeanDoseGy': {
    name: 'fp_mean_dose_gy',
    unit: 'Gy',
    description: 'Mean planned dose of the false-positive region (machine ITV minus physician ITV).',
    convention: 'iseg dose convention: trilinear dose at the CT voxel centres of the region (docs/dose.md); empty without a dose or with an empty region',
  },
  'metric:fpD95PctRx': {
    name: 'fp_d95_pct_rx',
    unit: '% of prescription',
    description: 'D95 of the false-positive region (the dose at least 95 % of its volume receives), as a percentage of the prescription.',
    convention: 'iseg dose convention (docs/dose.md): D95 in Gy / prescription × 100; empty without a dose and prescription or with an empty region',
  },
  'metric:fnV95Pct': {
    name: 'fn_v95_pct',
    unit: '% of volume',
    description: 'Share of the false-negative region (physician ITV minus machine ITV) receiving at least 95 % of the prescription.',
    convention:
      'iseg dose convention (docs/dose.md): voxels at ≥ 95 % of the prescription / voxels × 100; empty without a dose and prescription or with an empty region',
  },
};

const FIXED_HEAD: DatasetColumn[] = [
  col('pseudonym', 'Patient pseudonym (the only patient key; no name, MRN or date is exported).', 'string'),
  col('model_name', 'Name of the segmentation model of the run the metric columns come from (empty: no run).', 'string'),
  col('model_version', 'Version of that model.', 'string'),
  col('model_sha256', 'SHA-256 of that model file.', 'string'),
];

const DAYS_CONVENTION = 'days from the start of radiotherapy, from date-shifted records (the shift cancels in a difference)';

const OUTCOME_COLUMNS: DatasetColumn[] = [
  {
    ...col('lf_time_days', 'Time to local failure, or to censoring at death or last follow-up.', 'number'),
    unit: 'days',
    convention: `${DAYS_CONVENTION}; empty when the row is excluded (lf_excluded_reason)`,
  },
  { ...col('lf_event', 'Local failure: 1 local failure, 0 censored.', 'integer'), allowedValues: [0, 1] },
  {
    ...col('lf_status', 'Competing-risks status at lf_time_days: 0 censored, 1 local failure, 2 death without local failure (competing event).', 'integer'),
    allowedValues: [0, 1, 2],
  },
  { ...col('competing_event', 'Death without local failure (the competing event): 1 yes, 0 no.', 'integer'), allowedValues: [0, 1] },
  {
    ...col('os_time_days', 'Time to death from any cause, or to last follow-up.', 'number'),
    unit: 'days',
    convention: `${DAYS_CONVENTION}; empty when the row is excluded (os_excluded_reason)`,
  },
  { ...col('os_event', 'Death from any cause: 1 died, 0 alive at last follow-up.', 'integer'), allowedValues: [0, 1] },
  col('lf_excluded_reason', 'Why the row is left out of the local-failure analysis (empty: used).', 'string'),
  col('os_excluded_reason', 'Why the row is left out of the overall-survival analysis (empty: used).', 'string'),
];

function col(name: string, description: string, type: DatasetColumnType): DatasetColumn {
  return { name, description, unit: null, type, convention: null, allowedValues: null, explorerCovariate: null, explorerScale: null };
}

/** "T stage (AJCC)" → "clinical_t_stage_ajcc". */
function clinicalName(label: string, taken: Set<string>): string {
  const base = `clinical_${
    label
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_|_$/g, '') || 'column'
  }`;
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

interface Built {
  columns: DatasetColumn[];
  value: (row: OutcomeRow, column: DatasetColumn) => string | number | null;
}

function build(ds: OutcomeDataset): Built {
  const columns: DatasetColumn[] = [...FIXED_HEAD];
  const taken = new Set(FIXED_HEAD.map((c) => c.name).concat(OUTCOME_COLUMNS.map((c) => c.name)));
  for (const def of METRIC_COVARIATES) {
    const m = METRIC_COLUMNS[def.key];
    if (!m) throw new Error(`Analysis dataset: no column is defined for the explorer covariate ${def.key} (analysis-dataset-columns.ts).`);
    taken.add(m.name);
    columns.push({ ...col(m.name, m.description, 'number'), unit: m.unit, convention: m.convention, explorerCovariate: def.key, explorerScale: def.scale });
  }
  columns.push(...OUTCOME_COLUMNS);
  for (const c of ds.covariates) {
    if (c.source !== 'clinical') continue;
    columns.push({
      ...col(clinicalName(c.label, taken), `Clinical column "${c.label}" of the outcomes CSV.`, c.kind === 'numeric' ? 'number' : 'categorical'),
      convention:
        c.kind === 'numeric' ? "as imported; the unit is the outcomes CSV's" : 'as imported; the explorer compares each level with the first (sorted)',
      allowedValues: c.kind === 'categorical' ? (c.levels ?? []) : null,
      explorerCovariate: c.key,
      explorerScale: c.kind === 'numeric' ? 1 : null,
    });
  }
  const value = (r: OutcomeRow, c: DatasetColumn): string | number | null => {
    if (c.explorerCovariate) {
      const v = r.values[c.explorerCovariate] ?? null;
      return typeof v === 'number' && c.explorerScale && c.explorerScale !== 1 ? v / c.explorerScale : v;
    }
    switch (c.name) {
      case 'pseudonym':
        return r.pseudonym;
      case 'model_name':
        return r.run?.modelName ?? null;
      case 'model_version':
        return r.run?.modelVersion ?? null;
      case 'model_sha256':
        return r.run?.modelSha256 ?? null;
      case 'lf_time_days':
        return r.lfTimeDays;
      case 'lf_event':
        return r.lfEvent;
      case 'lf_status':
        return r.status;
      case 'competing_event':
        return r.status === null ? null : r.status === 2 ? 1 : 0;
      case 'os_time_days':
        return r.osTimeDays;
      case 'os_event':
        return r.osEvent;
      case 'lf_excluded_reason':
        return r.lfExcludedReason;
      case 'os_excluded_reason':
        return r.osExcludedReason;
    }
    throw new Error(`Analysis dataset: no value for column ${c.name}.`);
  };
  return { columns, value };
}

/** The data dictionary of the dataset (every column, in CSV order). */
export function analysisDatasetDictionary(ds: OutcomeDataset): DataDictionary {
  return {
    title: 'iSeg QA patient-level analysis dataset',
    rows: 'One row per patient with an outcome, sorted by pseudonym. An empty cell is a missing value.',
    identifiers: 'None: pseudonyms only, times in days (no name, MRN, birth date or calendar date), for every role.',
    columns: build(ds).columns,
  };
}

/** The header and rows of the dataset CSV (values as formatCsv takes them). */
export function analysisDatasetTable(ds: OutcomeDataset): { header: string[]; rows: (string | number | null)[][] } {
  const { columns, value } = build(ds);
  return { header: columns.map((c) => c.name), rows: ds.rows.map((r) => columns.map((c) => value(r, c))) };
}
