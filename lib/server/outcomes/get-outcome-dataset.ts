/**
 * The analysis dataset of the outcomes explorer: one row per patient with an outcome, holding
 * the time to local failure or censoring, the event and competing-risk status, overall-survival
 * time, and every covariate that exists (metric covariates from the latest ITV metric results,
 * clinical columns from the outcomes CSV), each in an explicit unit.
 *
 * Only pseudonyms leave this function: PatientIdentity is never selected, whatever the role.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { METRIC_COVARIATES, type CovariateInfo } from './outcome-covariates';
import { medianOf } from '../../core/stats/quantile';

export interface OutcomeRow {
  pseudonym: string;
  /** Days from the start of radiotherapy to local failure, or to censoring (death or last follow-up). */
  lfTimeDays: number | null;
  /** 1 local failure, 0 censored. */
  lfEvent: 0 | 1 | null;
  /** Competing-risks status: 0 censored, 1 local failure, 2 death without local failure. */
  status: 0 | 1 | 2 | null;
  /** Days to death or last follow-up. */
  osTimeDays: number | null;
  /** 1 died, 0 alive at last follow-up. */
  osEvent: 0 | 1 | null;
  /** Why the row cannot be used for the local-failure analysis (null = usable). */
  lfExcludedReason: string | null;
  osExcludedReason: string | null;
  /** Covariate values in their units (see `covariates`); null = missing. */
  values: Record<string, number | string | null>;
  /** The segmentation run the metric covariates and the motion amplitude come from (null: none). */
  run: OutcomeRun | null;
}

/** The run behind a row's metric covariates: the run of the latest ITV metric pair, else the patient's latest succeeded run. */
export interface OutcomeRun {
  runId: string;
  modelName: string;
  modelVersion: string;
  modelSha256: string;
}

export interface OutcomeDataset {
  rows: OutcomeRow[];
  covariates: CovariateInfo[];
  /** Patients without an outcome (not in `rows`). */
  patientsWithoutOutcome: number;
}

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/**
 * Build the dataset.
 * @throws AppError UNAUTHORIZED / FORBIDDEN (reviewers may not view outcomes)
 */
export async function getOutcomeDataset(db: Db, { caller }: { caller: Caller }): Promise<OutcomeDataset> {
  authorize(caller, 'outcomes:view');
  const [patients, totalPatients] = await Promise.all([
    db.patient.findMany({
      where: { outcome: { isNot: null } },
      select: { id: true, pseudonym: true, outcome: true },
      orderBy: { pseudonym: 'asc' },
    }),
    db.patient.count(),
  ]);

  // Latest ITV metric pair per patient: its overlap row (Dice, FP) and voxel row (HD95).
  const metricRows = await db.metricResult.findMany({
    where: { convention: { in: ['overlap', 'voxel'] }, testStructure: { kind: 'ITV' } },
    select: {
      convention: true,
      values: true,
      createdAt: true,
      runId: true,
      referenceStructureId: true,
      testStructureId: true,
      study: { select: { patientId: true } },
    },
    orderBy: { createdAt: 'asc' },
  });
  const latestPair = new Map<string, { pair: string; at: number; runId: string | null }>();
  for (const m of metricRows) {
    const pair = `${m.referenceStructureId}|${m.testStructureId}`;
    const prev = latestPair.get(m.study.patientId);
    if (!prev || m.createdAt.getTime() >= prev.at) latestPair.set(m.study.patientId, { pair, at: m.createdAt.getTime(), runId: m.runId });
  }
  // The run per patient: the latest ITV metric pair's, else the latest succeeded run with a summary.
  // Its summary gives the motion amplitude (physician GTV, largest 3D centroid excursion over the phases, mm: the cohort page's "motion").
  const runs = await db.segmentationRun.findMany({
    where: { status: 'SUCCEEDED', study: { patient: { outcome: { isNot: null } } } },
    select: {
      id: true,
      queuedAt: true,
      finishedAt: true,
      study: { select: { patientId: true } },
      modelVersion: { select: { name: true, version: true, sha256: true } },
      summary: { select: { physicianMotionMaxMm: true } },
    },
    orderBy: [{ queuedAt: 'asc' }, { id: 'asc' }],
  });
  const runById = new Map(runs.map((r) => [r.id, r]));
  const runOf = new Map<string, (typeof runs)[number]>();
  for (const r of runs) {
    const at = (x: (typeof runs)[number]) => (x.finishedAt ?? x.queuedAt).getTime();
    const prev = runOf.get(r.study.patientId);
    if (!prev || at(r) >= at(prev)) runOf.set(r.study.patientId, r);
  }
  for (const [patientId, latest] of latestPair) {
    const r = latest.runId ? runById.get(latest.runId) : undefined;
    if (r) runOf.set(patientId, r);
  }
  // Dose covariates: the dose metric rows of the FP and FN regions of each patient's run (docs/dose.md).
  const regionDose = await db.doseMetricResult.findMany({
    where: { region: { in: ['FP', 'FN'] }, componentIndex: null, convention: 'iseg', runId: { in: [...new Set([...runOf.values()].map((r) => r.id))] } },
    select: { runId: true, region: true, values: true, nullReasons: true, prescriptionGy: true },
  });
  const doseByRun = new Map<string, Record<string, number | null>>();
  for (const d of regionDose) {
    const v = d.values as Record<string, unknown>;
    const cur = doseByRun.get(d.runId!) ?? {};
    if (d.region === 'FP') {
      const d95 = finiteOrNull(v.d95Gy);
      // An empty FP region (machine ITV within the physician's) has no volume below 95 %: 0 cc, not missing.
      const empty = (d.nullReasons as Record<string, unknown> | null)?.volumeBelow95PctCc === 'EMPTY_REGION' && finiteOrNull(v.volumeCc) === 0;
      cur.fpBelow95PctRxCc = empty && d.prescriptionGy !== null ? 0 : finiteOrNull(v.volumeBelow95PctCc);
      cur.fpMeanDoseGy = finiteOrNull(v.dmeanGy);
      cur.fpD95PctRx = d95 !== null && d.prescriptionGy ? (100 * d95) / d.prescriptionGy : null;
    } else cur.fnV95Pct = finiteOrNull(v.v95Pct);
    doseByRun.set(d.runId!, cur);
  }
  const metricValues = new Map<string, Record<string, unknown>>();
  // voxel first, then overlap, so the overlap row's Dice/FP win where both carry a field
  for (const conv of ['voxel', 'overlap']) {
    for (const m of metricRows) {
      if (m.convention !== conv) continue;
      const latest = latestPair.get(m.study.patientId);
      if (!latest || latest.pair !== `${m.referenceStructureId}|${m.testStructureId}`) continue;
      metricValues.set(m.study.patientId, { ...(metricValues.get(m.study.patientId) ?? {}), ...(m.values as Record<string, unknown>) });
    }
  }
  // Physician GTV volume: median over the phases of the most recently imported study with GTVs.
  const gtvs = await db.physicianStructure.findMany({
    where: { kind: 'GTV', volumeCc: { not: null }, referenceObserver: true },
    select: { volumeCc: true, studyId: true, study: { select: { patientId: true, importedAt: true } } },
  });
  const gtvByPatient = new Map<string, { studyId: string; at: number; volumes: number[] }>();
  for (const g of gtvs) {
    const at = g.study.importedAt.getTime();
    const cur = gtvByPatient.get(g.study.patientId);
    if (!cur || at > cur.at) gtvByPatient.set(g.study.patientId, { studyId: g.studyId, at, volumes: [g.volumeCc!] });
    else if (cur.studyId === g.studyId) cur.volumes.push(g.volumeCc!);
  }

  const rows: OutcomeRow[] = [];
  const clinicalKinds = new Map<string, { numeric: boolean; levels: Set<string> }>();
  for (const p of patients) {
    const o = p.outcome!;
    let lfExcludedReason: string | null = null;
    let lfTimeDays: number | null;
    if (o.localFailure) lfTimeDays = o.localFailureDays;
    else if (o.died) lfTimeDays = o.deathDays ?? o.lastFollowUpDays;
    else lfTimeDays = o.lastFollowUpDays;
    if (lfTimeDays === null) lfExcludedReason = 'local failure recorded without local_failure_days';
    else if (!(lfTimeDays >= 0)) lfExcludedReason = `negative time to local failure or censoring (${lfTimeDays} days)`;
    let osExcludedReason: string | null = null;
    const osTimeDays = o.died ? o.deathDays : o.lastFollowUpDays;
    if (osTimeDays === null) osExcludedReason = 'death recorded without death_days';
    else if (!(osTimeDays >= 0)) osExcludedReason = `negative time to death or last follow-up (${osTimeDays} days)`;

    const values: Record<string, number | string | null> = {};
    const mv = metricValues.get(p.id) ?? {};
    const gtv = gtvByPatient.get(p.id);
    const run = runOf.get(p.id);
    const extra: Record<string, number | null> = {
      gtvVolumeCc: gtv ? medianOf(gtv.volumes) : null,
      motionAmplitudeMm: finiteOrNull(run?.summary?.physicianMotionMaxMm),
      fpBelow95PctRxCc: (run && doseByRun.get(run.id)?.fpBelow95PctRxCc) ?? null,
      fpMeanDoseGy: (run && doseByRun.get(run.id)?.fpMeanDoseGy) ?? null,
      fpD95PctRx: (run && doseByRun.get(run.id)?.fpD95PctRx) ?? null,
      fnV95Pct: (run && doseByRun.get(run.id)?.fnV95Pct) ?? null,
    };
    for (const def of METRIC_COVARIATES) {
      const raw = def.from in extra ? extra[def.from] : finiteOrNull(mv[def.from]);
      values[def.key] = raw === null ? null : raw * def.scale;
    }
    for (const [name, v] of Object.entries((o.clinical ?? {}) as Record<string, unknown>)) {
      const key = `clinical:${name}`;
      const kind = clinicalKinds.get(key) ?? { numeric: true, levels: new Set<string>() };
      clinicalKinds.set(key, kind);
      if (v === null || v === undefined || v === '') {
        values[key] = null;
        continue;
      }
      if (typeof v !== 'number') kind.numeric = false;
      kind.levels.add(String(v));
      values[key] = typeof v === 'number' ? v : String(v);
    }
    rows.push({
      pseudonym: p.pseudonym,
      lfTimeDays: lfExcludedReason ? null : lfTimeDays,
      lfEvent: lfExcludedReason ? null : o.localFailure ? 1 : 0,
      status: lfExcludedReason ? null : o.localFailure ? 1 : o.died ? 2 : 0,
      osTimeDays: osExcludedReason ? null : osTimeDays,
      osEvent: osExcludedReason ? null : o.died ? 1 : 0,
      lfExcludedReason,
      osExcludedReason,
      values,
      run: run ? { runId: run.id, modelName: run.modelVersion.name, modelVersion: run.modelVersion.version, modelSha256: run.modelVersion.sha256 } : null,
    });
  }

  const covariates: CovariateInfo[] = [];
  for (const def of METRIC_COVARIATES) {
    const n = rows.filter((r) => r.values[def.key] !== null).length;
    covariates.push({
      key: def.key,
      label: def.label,
      source: 'metric',
      kind: 'numeric',
      unit: def.unit,
      nAvailable: n,
      unavailableReason: n >= 2 ? null : n === 0 ? `Unavailable: ${def.missingReason}.` : 'Unavailable: only one patient has a value.',
    });
  }
  for (const [key, kind] of [...clinicalKinds].sort(([a], [b]) => a.localeCompare(b))) {
    for (const r of rows) if (!(key in r.values)) r.values[key] = null;
    // a column that was numeric for some patients and text for others is categorical
    if (!kind.numeric) for (const r of rows) if (typeof r.values[key] === 'number') r.values[key] = String(r.values[key]);
    const n = rows.filter((r) => r.values[key] !== null).length;
    const levels = [...kind.levels].sort();
    covariates.push({
      key,
      label: key.slice('clinical:'.length),
      source: 'clinical',
      kind: kind.numeric ? 'numeric' : 'categorical',
      unit: kind.numeric ? 'per unit of the CSV column' : 'vs the reference level',
      nAvailable: n,
      unavailableReason:
        n < 2 ? 'Unavailable: fewer than two patients have a value.' : !kind.numeric && levels.length < 2 ? 'Unavailable: only one level occurs.' : null,
      ...(kind.numeric ? {} : { levels }),
    });
  }
  return { rows, covariates, patientsWithoutOutcome: totalPatients - patients.length };
}
