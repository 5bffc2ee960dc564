/**
 * What a snapshot freezes (docs/outcomes-snapshots.md), built from the outcomes explorer's own
 * dataset and analysis: the de-identified dataset rows (the analysis dataset's columns plus
 * `analysis_set` and `km_group`), its data dictionary, the request (event, covariates, grouping,
 * risk times, ties), the event definition, the covariates with their units and dataset columns,
 * the conventions, the model versions of the analysis set, the code version and every result.
 * No time, title or author: those are stored beside it, so identical inputs give identical
 * content (and hash). Pure: no I/O.
 */
import type { OutcomeDataset, OutcomeRow } from '../outcomes/get-outcome-dataset';
import type { OutcomeAnalysis } from '../outcomes/run-outcome-analysis';
import type { OutcomeAnalysisRequest } from '../outcomes/run-outcome-analysis.types';
import { analysisDatasetDictionary, analysisDatasetTable, type DataDictionary, type DatasetColumn } from '../outcomes/analysis-dataset-columns';
import { EVENT_CHOICES } from '../outcomes/outcome-covariates';
import { quantile } from '../../core/stats/quantile';

export const SNAPSHOT_FORMAT = 'iseg-qa/analysis-snapshot/1';

export interface SnapshotCovariate {
  key: string;
  label: string;
  kind: 'numeric' | 'categorical';
  /** The unit the explorer fitted it in ("per 0.1 Dice"; categorical: "vs the reference level"). */
  unit: string;
  /** dataset.csv column. */
  column: string;
  /** The explorer's value = the column × scale (numeric); null for categorical. */
  scale: number | null;
  /** Categorical: the levels present in the analysis set, the reference first. */
  levels: string[] | null;
}

export interface SnapshotContent {
  format: typeof SNAPSHOT_FORMAT;
  codeVersion: string;
  analysis: {
    request: OutcomeAnalysisRequest;
    event: { key: OutcomeAnalysisRequest['event']; label: string; definition: string; timeColumn: string; eventColumn: string; statusColumn: string | null };
    covariates: SnapshotCovariate[];
    grouping: { kind: OutcomeAnalysisRequest['grouping']['kind']; covariate: string | null; column: string | null; threshold: number | null; groups: string[] };
    analysisSet: string;
    conventions: {
      times: string;
      cox: string;
      kaplanMeier: string;
      competingRisks: string;
      missingValues: string;
      metricColumns: { column: string; unit: string | null; convention: string | null }[];
    };
  };
  /** Segmentation models behind the metric columns of the analysis set. */
  models: { name: string; version: string; sha256: string; patients: number }[];
  dataset: { dictionary: DataDictionary; header: string[]; rows: (string | number | null)[][] };
  results: OutcomeAnalysis;
}

const isMissing = (v: number | string | null | undefined) => v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v));

/** The rows of the analysis set, as runOutcomeAnalysis selects them (checked against its counts). */
function analysisSet(ds: OutcomeDataset, a: OutcomeAnalysis): Set<OutcomeRow> {
  const lf = a.request.event === 'localFailure';
  const needed = [
    ...new Set([...a.request.covariates, ...(a.request.grouping.kind !== 'none' && a.request.grouping.covariate ? [a.request.grouping.covariate] : [])]),
  ];
  const rows = ds.rows.filter((r) => !(lf ? r.lfExcludedReason : r.osExcludedReason) && needed.every((k) => !isMissing(r.values[k])));
  if (rows.length !== a.counts.usable)
    throw new Error(
      `Snapshot: the analysis set has ${rows.length} rows here but the analysis used ${a.counts.usable}; the dataset changed while freezing, try again.`,
    );
  return new Set(rows);
}

/** Each analysis-set row's KM group (1-based index into the analysis's non-empty groups), as runOutcomeAnalysis assigns them. */
function kmGroups(rows: OutcomeRow[], a: OutcomeAnalysis): { groups: string[]; of: Map<OutcomeRow, number> } {
  const of = new Map<OutcomeRow, number>();
  const g = a.request.grouping;
  if (g.kind === 'none' || !a.grouping || !g.covariate) {
    for (const r of rows) of.set(r, 1);
    return { groups: ['All patients'], of };
  }
  const all = a.grouping.groups.map((x) => x.label);
  const groups = a.grouping.groups.filter((x) => x.n > 0).map((x) => x.label);
  const key = g.covariate;
  let labelOf: (v: number | string) => string | undefined;
  if (g.kind === 'categorical') labelOf = (v) => String(v);
  else {
    const xs = rows
      .map((r) => r.values[key])
      .filter((x): x is number => typeof x === 'number')
      .sort((p, q) => p - q);
    const cuts = !xs.length
      ? []
      : g.kind === 'median'
        ? [quantile(xs, 0.5)]
        : g.kind === 'tertiles'
          ? [quantile(xs, 1 / 3), quantile(xs, 2 / 3)]
          : [g.threshold!];
    labelOf = (v) => {
      if (typeof v !== 'number') return undefined;
      if (g.kind === 'threshold') return v < cuts[0]! ? all[0] : all[1];
      let k = 0;
      while (k < cuts.length && v > cuts[k]!) k++;
      return all[k];
    };
  }
  for (const r of rows) {
    const v = r.values[key];
    const label = v === null || v === undefined ? undefined : labelOf(v);
    const k = label === undefined ? -1 : groups.indexOf(label);
    if (k >= 0) of.set(r, k + 1);
  }
  for (const [k, label] of groups.entries()) {
    const n = [...of.values()].filter((x) => x === k + 1).length;
    const want = a.grouping.groups.find((x) => x.label === label)!.n;
    if (n !== want) throw new Error(`Snapshot: group "${label}" has ${n} patients here but ${want} in the analysis.`);
  }
  return { groups, of };
}

const ANALYSIS_SET_COLUMN: DatasetColumn = {
  name: 'analysis_set',
  description:
    'In the analysis set of this snapshot: 1 = used by every model, curve and test (usable outcome for the event and a value of every covariate and of the grouping variable), 0 = left out.',
  unit: null,
  type: 'integer',
  convention: null,
  allowedValues: [0, 1],
  explorerCovariate: null,
  explorerScale: null,
};

export function buildSnapshotContent({
  dataset: ds,
  analysis: a,
  codeVersion,
}: {
  dataset: OutcomeDataset;
  analysis: OutcomeAnalysis;
  codeVersion: string;
}): SnapshotContent {
  const lf = a.request.event === 'localFailure';
  const inSet = analysisSet(ds, a);
  const setRows = ds.rows.filter((r) => inSet.has(r));
  const { groups, of } = kmGroups(setRows, a);

  const dictionary = analysisDatasetDictionary(ds);
  const table = analysisDatasetTable(ds);
  const kmColumn: DatasetColumn = {
    name: 'km_group',
    description: `Kaplan–Meier / cumulative-incidence group of the row in this snapshot (empty: not in the analysis set): ${groups.map((g, k) => `${k + 1} = ${g}`).join('; ')}.`,
    unit: null,
    type: 'integer',
    convention: null,
    allowedValues: groups.map((_, k) => k + 1),
    explorerCovariate: null,
    explorerScale: null,
  };
  const columns = [...dictionary.columns, ANALYSIS_SET_COLUMN, kmColumn];
  const rows = ds.rows.map((r, i) => [...table.rows[i]!, inSet.has(r) ? 1 : 0, of.get(r) ?? null]);
  const columnOf = (key: string) => {
    const c = dictionary.columns.find((x) => x.explorerCovariate === key);
    if (!c) throw new Error(`Snapshot: covariate ${key} has no dataset column.`);
    return c;
  };

  const covariates: SnapshotCovariate[] = [...new Set(a.request.covariates)].map((key) => {
    const info = a.covariates.find((c) => c.key === key)!;
    const c = columnOf(key);
    const levels =
      info.kind === 'categorical' ? (info.levels ?? []).filter((l) => setRows.some((r) => r.values[key] !== null && String(r.values[key]) === l)) : null;
    return { key, label: info.label, kind: info.kind, unit: info.unit, column: c.name, scale: info.kind === 'numeric' ? (c.explorerScale ?? 1) : null, levels };
  });

  const models = new Map<string, { name: string; version: string; sha256: string; patients: number }>();
  for (const r of setRows) {
    if (!r.run) continue;
    const k = `${r.run.modelName}\u0000${r.run.modelVersion}\u0000${r.run.modelSha256}`;
    const m = models.get(k) ?? { name: r.run.modelName, version: r.run.modelVersion, sha256: r.run.modelSha256, patients: 0 };
    m.patients++;
    models.set(k, m);
  }

  const g = a.request.grouping;
  return {
    format: SNAPSHOT_FORMAT,
    codeVersion,
    analysis: {
      request: a.request,
      event: lf
        ? {
            key: 'localFailure',
            label: EVENT_CHOICES.localFailure.label,
            definition:
              'Local failure: time from the start of radiotherapy to local failure (event), or to death or last follow-up (censored). In the competing-risks analyses death without local failure is the competing event (status 2).',
            timeColumn: 'lf_time_days',
            eventColumn: 'lf_event',
            statusColumn: 'lf_status',
          }
        : {
            key: 'death',
            label: EVENT_CHOICES.death.label,
            definition: 'Overall survival: time from the start of radiotherapy to death from any cause (event) or last follow-up (censored).',
            timeColumn: 'os_time_days',
            eventColumn: 'os_event',
            statusColumn: null,
          },
      covariates,
      grouping: {
        kind: g.kind,
        covariate: g.kind === 'none' ? null : (g.covariate ?? null),
        column: g.kind === 'none' || !g.covariate ? null : columnOf(g.covariate).name,
        threshold: g.threshold ?? null,
        groups,
      },
      analysisSet:
        'Patients with a usable outcome for the event and a value of every covariate and of the grouping variable (analysis_set = 1); the Cox model, the curves, the log-rank and Gray tests and Fine–Gray all use exactly these rows.',
      conventions: {
        times:
          'days from the start of radiotherapy, from date-shifted records (the shift cancels in a difference); tied times are merged as R survival’s timefix does',
        cox: `Cox proportional hazards, ${a.request.ties === 'efron' ? 'Efron' : 'Breslow'} ties, Newton–Raphson (R survival coxph); Wald 95% CIs; categorical covariates as treatment contrasts against their first level`,
        kaplanMeier: 'Kaplan–Meier with Greenwood variance and log-transformed 95% CIs (R survfit conf.type = "log"); log-rank as R survdiff',
        competingRisks:
          'cumulative incidence (Aalen–Johansen) with Gray’s test (R cmprsk cuminc); Fine–Gray subdistribution hazards (R cmprsk crr, failcode 1, cencode 0)',
        missingValues: 'an empty cell is a missing value; a row missing any value the analysis uses is outside the analysis set',
        metricColumns: dictionary.columns
          .filter((c) => c.explorerCovariate?.startsWith('metric:'))
          .map((c) => ({ column: c.name, unit: c.unit, convention: c.convention })),
      },
    },
    models: [...models.values()].sort((p, q) => (p.name + p.version + p.sha256 < q.name + q.version + q.sha256 ? -1 : 1)),
    dataset: {
      dictionary: {
        ...dictionary,
        title: 'iSeg QA analysis snapshot dataset',
        rows: `${dictionary.rows} analysis_set marks the rows the snapshot's models used.`,
        columns,
      },
      header: columns.map((c) => c.name),
      rows,
    },
    results: a,
  };
}
