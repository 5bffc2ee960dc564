/**
 * The patient-level analysis dataset (GET /api/outcomes/dataset.csv and its dictionary) and the
 * motion covariate, on the seeded outcomes cohort whose runs carry their run summaries, against
 * a real Postgres. The routes are called in-process; only the session lookup is replaced
 * (getCaller needs Next's request context).
 */
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { getOutcomeDataset } from '@/lib/server/outcomes/get-outcome-dataset';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import type { DataDictionary } from '@/lib/server/outcomes/analysis-dataset-columns';
import { buildDesignMatrix, coxph } from '@/lib/core/survival';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedFpBelow95Cc, seedMotionMm, seedOutcomeCohort, seedRegionDose, type SeedPatient } from './seed-outcome-cohort';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const caller = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@t.test`, name: role, role });
const RESEARCHER = caller('RESEARCHER');
const PHYSICIST = caller('PHYSICIST');
const REVIEWER = caller('REVIEWER');

// R survival 3.x on the same cohort: coxph(Surv(time, event) ~ fp + frac10 + age + stage) (r-reference.R).
const R = JSON.parse(readFileSync(path.join(import.meta.dirname, 'outcome-cohort.r.json'), 'utf8')) as Record<string, number[]>;

function expectRel(got: number, want: number | null, tol = 1e-6) {
  expect(want).not.toBeNull();
  if (want === null) return;
  expect(Math.abs(got - want)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want)));
}

describe('analysis dataset export and motion covariate (real Postgres, seeded runs with summaries)', () => {
  let t: TestDatabase;
  let cohort: SeedPatient[];
  let GET_CSV: (req: Request) => Promise<Response>;
  let GET_DICT: (req: Request) => Promise<Response>;

  const download = async (who: Caller | null) => {
    session.caller = who;
    const csv = await GET_CSV(new Request('http://localhost/api/outcomes/dataset.csv'));
    const dict = await GET_DICT(new Request('http://localhost/api/outcomes/dataset-dictionary.json'));
    return { csv, dict };
  };

  beforeAll(async () => {
    t = await createTestDatabase('analysis_dataset');
    cohort = await seedOutcomeCohort(t.db, { runSummaries: true });
    process.env.DATABASE_URL = t.url;
    ({ GET: GET_CSV } = await import('@/app/api/outcomes/dataset.csv/route'));
    ({ GET: GET_DICT } = await import('@/app/api/outcomes/dataset-dictionary.json/route'));
  });
  afterAll(async () => t.drop());

  it('lists every covariate as available once runs exist, motion in mm from the latest run summary (physician GTV)', async () => {
    const ds = await getOutcomeDataset(t.db, { caller: RESEARCHER });
    expect(ds.covariates.length).toBeGreaterThanOrEqual(12);
    expect(Object.fromEntries(ds.covariates.filter((c) => /fpMeanDose|fpD95|fnV95/.test(c.key)).map((c) => [c.key, c.unit]))).toEqual({
      'metric:fpMeanDoseGy': 'per Gy',
      'metric:fpD95PctRx': 'per percentage point of prescription',
      'metric:fnV95Pct': 'per percentage point of volume',
    });
    expect(ds.covariates.filter((c) => c.unavailableReason !== null).map((c) => `${c.key}: ${c.unavailableReason}`)).toEqual([]);
    const motion = ds.covariates.find((c) => c.key === 'metric:motionAmplitudeMm')!;
    expect(motion).toMatchObject({ unit: 'per mm', nAvailable: 30 });
    expect(motion.label).toMatch(/\bmm\b/);
    cohort.forEach((p, i) => {
      const r = ds.rows.find((x) => x.pseudonym === p.pseudonym)!;
      // the latest run's value (the older run has 3×), null without runs
      expect(r.values['metric:motionAmplitudeMm']).toBe(p.fpVoxels === null ? null : seedMotionMm(i));
      // the latest run's FP dose row (the older run has 3×), in cc
      expect(r.values['metric:fpBelow95PctRxCc']).toBe(p.fpVoxels === null ? null : seedFpBelow95Cc(i));
      const emptyFp = p.fpVoxels !== null && i % 10 === 3;
      // per Gy, per percentage point of prescription (D95 / 60 Gy), per percentage point of volume
      expect(r.values['metric:fpMeanDoseGy']).toBe(p.fpVoxels === null || emptyFp ? null : seedRegionDose(i).fpMeanGy);
      if (p.fpVoxels === null || emptyFp) expect(r.values['metric:fpD95PctRx']).toBeNull();
      else expect(r.values['metric:fpD95PctRx']).toBeCloseTo((100 * seedRegionDose(i).fpD95Gy) / 60, 12);
      expect(r.values['metric:fnV95Pct']).toBe(p.fpVoxels === null ? null : seedRegionDose(i).fnV95Pct);
      expect(r.run === null).toBe(p.fpVoxels === null);
    });
    // the explorer fits it
    const a = await runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['metric:motionAmplitudeMm'] } });
    expect(a.cox.status).toBe('ok');
    if (a.cox.status === 'ok') expect(a.cox.value.coefficients[0].unit).toBe('per mm');
  });

  it("serves a CSV whose columns are exactly the dictionary's, with the explorer's values for each patient", async () => {
    const { csv, dict } = await download(RESEARCHER);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="analysis-dataset.csv"');
    expect(dict.status).toBe(200);
    expect(dict.headers.get('content-disposition')).toBe('attachment; filename="analysis-dataset-dictionary.json"');
    const text = await csv.text();
    const d = (await dict.json()) as DataDictionary;
    const [header, ...rows] = parse(text) as string[][];
    expect(header).toEqual(d.columns.map((c) => c.name));
    expect(new Set(header).size).toBe(header.length);
    for (const c of d.columns) {
      expect(Object.keys(c).sort()).toEqual(['allowedValues', 'convention', 'description', 'explorerCovariate', 'explorerScale', 'name', 'type', 'unit']);
      expect(c.description.length).toBeGreaterThan(10);
      if (c.type === 'number' && c.explorerCovariate?.startsWith('metric:')) expect(c.unit).toBeTruthy();
    }
    // every covariate the explorer offers is a column
    const ds = await getOutcomeDataset(t.db, { caller: RESEARCHER });
    expect(
      d.columns
        .map((c) => c.explorerCovariate)
        .filter(Boolean)
        .sort(),
    ).toEqual(ds.covariates.map((c) => c.key).sort());
    expect(d.columns.find((c) => c.name === 'clinical_stage')).toMatchObject({ type: 'categorical', allowedValues: ['I', 'II', 'III'] });
    expect(d.columns.find((c) => c.name === 'lf_status')).toMatchObject({ allowedValues: [0, 1, 2] });
    expect(d.columns.find((c) => c.name === 'lf_time_days')).toMatchObject({ unit: 'days' });
    expect(rows).toHaveLength(36);

    // every value of every row, checked against the explorer's dataset (same source)
    const byName = Object.fromEntries(d.columns.map((c, k) => [c.name, k]));
    for (const r of ds.rows) {
      const row = rows.find((x) => x[byName.pseudonym] === r.pseudonym)!;
      for (const c of d.columns) {
        const cell = row[byName[c.name]];
        if (!c.explorerCovariate) continue;
        const v = r.values[c.explorerCovariate];
        if (v === null) expect(cell).toBe('');
        else if (typeof v === 'number') expectRel(Number(cell) * c.explorerScale!, v, 1e-12);
        else expect(cell).toBe(v);
      }
      expect(row[byName.lf_time_days]).toBe(String(r.lfTimeDays));
      expect(row[byName.lf_event]).toBe(String(r.lfEvent));
      expect(row[byName.lf_status]).toBe(String(r.status));
      expect(row[byName.competing_event]).toBe(r.status === 2 ? '1' : '0');
      expect(row[byName.os_time_days]).toBe(String(r.osTimeDays));
      expect(row[byName.os_event]).toBe(String(r.osEvent));
    }
    // one patient in full, from the seed
    const i = 4;
    const p = cohort[i];
    const row = rows.find((x) => x[0] === p.pseudonym)!;
    expect(row[byName.itv_dice]).toBe(String(p.dice));
    expect(row[byName.itv_fp_voxels]).toBe(String(p.fpVoxels));
    expect(row[byName.tumour_motion_mm]).toBe(String(seedMotionMm(i)));
    expect(row[byName.fp_volume_below_95pct_rx_cc]).toBe(String(seedFpBelow95Cc(i)));
    expect(row[byName.physician_gtv_volume_cc]).toBe(String(p.gtvVolumesCc![2]));
    expect([row[byName.model_name], row[byName.model_version], row[byName.model_sha256]]).toEqual(['test-model', '1', 'a'.repeat(64)]);
    expect(row[byName.clinical_age]).toBe(String(p.age));
    expect(row[byName.clinical_stage]).toBe(p.stage);
  });

  it('holds no name, MRN or real date, for any role that may download it; a reviewer gets 403', async () => {
    for (const who of [RESEARCHER, PHYSICIST, caller('ADMIN')]) {
      const { csv, dict } = await download(who);
      const all = (await csv.text()) + (await dict.text());
      for (const p of cohort) {
        expect(all).not.toContain(p.mrn);
        expect(all).not.toContain(p.name);
      }
      expect(all).not.toMatch(/MRN\d|PATIENT\d|\b(19|20)\d\d-\d\d-\d\d/);
    }
    const { csv } = await download(REVIEWER);
    expect(csv.status).toBe(403);
  });

  it('answers 401 without a session, and writes nothing to the audit log then', async () => {
    const before = await t.db.auditEvent.count({ where: { action: 'outcomes.dataset.export' } });
    const { csv, dict } = await download(null);
    expect(csv.status).toBe(401);
    expect(dict.status).toBe(401);
    expect((await csv.json()).error.code).toBe('UNAUTHORIZED');
    expect(await t.db.auditEvent.count({ where: { action: 'outcomes.dataset.export' } })).toBe(before);
  });

  it('writes one audit event per download (who, which file, how many rows)', async () => {
    const before = await t.db.auditEvent.count({ where: { action: 'outcomes.dataset.export' } });
    await download(RESEARCHER);
    const events = await t.db.auditEvent.findMany({ where: { action: 'outcomes.dataset.export' }, orderBy: { id: 'asc' } });
    expect(events).toHaveLength(before + 2);
    const [csvEvent, dictEvent] = events.slice(-2);
    expect(csvEvent).toMatchObject({
      userId: RESEARCHER.userId,
      role: 'RESEARCHER',
      target: 'outcomes:analysis-dataset.csv',
      details: { format: 'csv', rows: 36 },
    });
    expect(dictEvent).toMatchObject({
      userId: RESEARCHER.userId,
      target: 'outcomes:analysis-dataset-dictionary.json',
      details: { format: 'dictionary', rows: 36 },
    });
  });

  it("reproduces the explorer's Cox model (and R's) from the CSV alone", async () => {
    const { csv, dict } = await download(RESEARCHER);
    const [header, ...rows] = parse(await csv.text()) as string[][];
    const d = (await dict.json()) as DataDictionary;
    const col = (name: string) => rows.map((r) => r[header.indexOf(name)]);
    const num = (name: string) => col(name).map((v) => (v === '' ? NaN : Number(v)));
    const scale = (name: string) => d.columns.find((c) => c.name === name)!.explorerScale!;

    // one covariate: Dice, which the explorer fits per 0.1 (explorerScale 10)
    const keep = num('itv_dice').map((v) => !Number.isNaN(v));
    const sel = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    const fit1 = coxph({ time: sel(num('lf_time_days')), event: sel(num('lf_event')), covariates: [sel(num('itv_dice'))], names: ['itv_dice'] });
    const a1 = await runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['metric:dice'] } });
    if (a1.cox.status !== 'ok') throw new Error(`explorer Cox: ${a1.cox.status}`);
    const c1 = a1.cox.value.coefficients[0];
    expect(a1.cox.value.n).toBe(fit1.n);
    expectRel(fit1.coefficients[0].coef / scale('itv_dice'), c1.coef);
    expectRel(Math.exp(fit1.coefficients[0].coef / scale('itv_dice')), c1.hr);
    expectRel(fit1.coefficients[0].p, c1.p);

    // four covariates, with the explorer's scaling from the dictionary: R's numbers
    const m = buildDesignMatrix(
      {
        fp: sel(num('itv_fp_voxels')),
        frac: sel(num('itv_fp_fraction')).map((v) => v * scale('itv_fp_fraction')),
        age: sel(num('clinical_age')),
        stage: sel(col('clinical_stage')),
      },
      [
        { name: 'fp', kind: 'numeric' },
        { name: 'frac', kind: 'numeric' },
        { name: 'age', kind: 'numeric' },
        { name: 'stage', kind: 'categorical' },
      ],
    );
    const fit = coxph({ time: sel(num('lf_time_days')), event: sel(num('lf_event')), covariates: m.covariates, names: m.names }, { terms: m.terms });
    fit.coefficients.forEach((c, k) => {
      expectRel(c.coef, R.cox_coef[k]);
      expectRel(c.se, R.cox_se[k]);
    });
  });
});
