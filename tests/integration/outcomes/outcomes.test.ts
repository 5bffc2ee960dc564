import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { getOutcomeDataset } from '@/lib/server/outcomes/get-outcome-dataset';
import { importOutcomes } from '@/lib/server/outcomes/import-outcomes';
import { runOutcomeAnalysis } from '@/lib/server/outcomes/run-outcome-analysis';
import { formatOutcomeTableCsv } from '@/lib/server/outcomes/format-outcome-table-csv';
import { buildDesignMatrix, coxph, cumulativeIncidence, fineGray, kaplanMeier, logRankTest, numberAtRisk } from '@/lib/core/survival';
import { seedOutcomeCohort, type SeedPatient } from './seed-outcome-cohort';
import { readFileSync } from 'node:fs';
import path from 'node:path';

// R survival 3.x / cmprsk on the same cohort: recipe in r-reference.R (coxph(Surv(time, event) ~
// fp + frac10 + age + stage), cox.zph(transform = "km"), survfit/survdiff by median split of fp,
// cuminc, crr), inputs from write-outcome-cohort-csv.ts.
const R = JSON.parse(readFileSync(path.join(import.meta.dirname, 'outcome-cohort.r.json'), 'utf8')) as Record<string, number[]>;

function expectRel(got: (number | null)[], want: number[], tol = 1e-6) {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    expect(g).not.toBeNull();
    expect(Math.abs(g! - want[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i])));
  });
}

const caller = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@t.test`, name: role, role });
const RESEARCHER = caller('RESEARCHER');
const PHYSICIST = caller('PHYSICIST');
const REVIEWER = caller('REVIEWER');
const ADMIN = caller('ADMIN');

describe('outcomes dataset, import and analysis (real Postgres)', () => {
  let t: TestDatabase;
  let cohort: SeedPatient[];
  beforeAll(async () => {
    t = await createTestDatabase('outcomes');
    cohort = await seedOutcomeCohort(t.db);
  });
  afterAll(async () => t.drop());

  it('builds one row per patient with an outcome: LF time/event, competing status, covariates in their units', async () => {
    const ds = await getOutcomeDataset(t.db, { caller: PHYSICIST });
    expect(ds.rows).toHaveLength(36);
    expect(ds.patientsWithoutOutcome).toBe(2);
    for (const p of cohort) {
      const r = ds.rows.find((x) => x.pseudonym === p.pseudonym)!;
      const lfTime = p.localFailure ? p.localFailureDays : p.died ? p.deathDays : p.lastFollowUpDays;
      expect(r.lfTimeDays).toBe(lfTime);
      expect(r.lfEvent).toBe(p.localFailure ? 1 : 0);
      expect(r.status).toBe(p.localFailure ? 1 : p.died ? 2 : 0);
      expect(r.osEvent).toBe(p.died ? 1 : 0);
      // the latest run's ITV numbers (the older run had 3× the FP), FP fraction per 10 points
      expect(r.values['metric:falsePositiveVoxels']).toBe(p.fpVoxels);
      expect(r.values['metric:falsePositiveFraction']).toBe(p.fpFraction === null ? null : p.fpFraction * 10);
      expect(r.values['metric:dice']).toBe(p.dice === null ? null : p.dice * 10);
      expect(r.values['metric:hd95Mm']).toBe(p.hd95Mm);
      expect(r.values['metric:gtvVolumeCc']).toBe(p.gtvVolumesCc === null ? null : p.gtvVolumesCc[2]); // median of 3
      expect(r.values['clinical:age']).toBe(p.age);
      expect(r.values['clinical:stage']).toBe(p.stage);
    }
    // all three kinds of status occur, so the test covers each rule
    expect(new Set(ds.rows.map((r) => r.status))).toEqual(new Set([0, 1, 2]));
    const byKey = Object.fromEntries(ds.covariates.map((c) => [c.key, c]));
    expect(byKey['metric:falsePositiveFraction']).toMatchObject({ unit: 'per 10 percentage points', nAvailable: 30, unavailableReason: null });
    expect(byKey['metric:falsePositiveVoxels'].unit).toBe('per voxel');
    expect(byKey['metric:falsePositiveVolumeCc'].unit).toBe('per cc');
    expect(byKey['metric:motionAmplitudeMm']).toMatchObject({ nAvailable: 0 });
    expect(byKey['metric:motionAmplitudeMm'].unavailableReason).toMatch(/Unavailable: no finished run with a 4D CT yet/);
    // no dose imported in this cohort: the dose covariate says why, with its unit
    expect(byKey['metric:fpBelow95PctRxCc']).toMatchObject({ nAvailable: 0, unit: 'per cc' });
    expect(byKey['metric:fpBelow95PctRxCc'].unavailableReason).toMatch(/Unavailable: no dose with a prescription yet/);
    expect(byKey['clinical:stage']).toMatchObject({ kind: 'categorical', levels: ['I', 'II', 'III'] });
    expect(byKey['clinical:age']).toMatchObject({ kind: 'numeric' });
  });

  it('gives a researcher pseudonyms only, never identity fields', async () => {
    const ds = await getOutcomeDataset(t.db, { caller: RESEARCHER });
    const json = JSON.stringify(ds);
    for (const p of cohort) {
      expect(json).not.toContain(p.mrn);
      expect(json).not.toContain(p.name);
    }
    expect(json).not.toMatch(/MRN\d|birthDate|"mrn"|"name"/);
    expect(Object.keys(ds.rows[0]).sort()).toEqual([
      'lfEvent',
      'lfExcludedReason',
      'lfTimeDays',
      'osEvent',
      'osExcludedReason',
      'osTimeDays',
      'pseudonym',
      'run',
      'status',
      'values',
    ]);
    const analysis = await runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['metric:falsePositiveVoxels'] } });
    expect(JSON.stringify(analysis)).not.toMatch(/MRN\d|TEST\^PATIENT/);
  });

  it('refuses researchers and reviewers the outcomes import, preview included (FORBIDDEN), and writes nothing', async () => {
    const csv = 'pseudonym,local_failure,local_failure_days,died,death_days,last_follow_up_days\nOUT-001,0,,0,,1\n';
    const before = await t.db.outcome.findMany({ orderBy: { patientId: 'asc' } });
    for (const caller of [RESEARCHER, REVIEWER])
      for (const mode of ['preview', 'import'] as const)
        await expect(importOutcomes(t.db, { caller, csvText: csv, mode })).rejects.toMatchObject({
          code: 'FORBIDDEN',
          message: expect.stringContaining('outcomes import'),
        });
    expect(await t.db.outcome.findMany({ orderBy: { patientId: 'asc' } })).toEqual(before);
    expect(await t.db.outcomeVersion.count()).toBe(0);
  });

  it('refuses a reviewer (FORBIDDEN) for every outcomes operation', async () => {
    await expect(getOutcomeDataset(t.db, { caller: REVIEWER })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(runOutcomeAnalysis(t.db, { caller: REVIEWER, request: {} })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(importOutcomes(t.db, { caller: REVIEWER, csvText: 'pseudonym\nx\n', mode: 'preview' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(getOutcomeDataset(t.db, { caller: null as unknown as Caller })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('runs the analysis with numbers identical to lib/core/survival on the same data', async () => {
    const covs = ['metric:falsePositiveVoxels', 'metric:falsePositiveFraction', 'clinical:age', 'clinical:stage'];
    const a = await runOutcomeAnalysis(t.db, {
      caller: RESEARCHER,
      request: { covariates: covs, grouping: { kind: 'median', covariate: 'metric:falsePositiveVoxels' }, riskTimesDays: [0, 365, 730] },
    });
    // the same data built straight from the seed (not from the dataset)
    const ps = [...cohort].sort((x, y) => x.pseudonym.localeCompare(y.pseudonym));
    const time = ps.map((p) => (p.localFailure ? p.localFailureDays! : p.died ? p.deathDays! : p.lastFollowUpDays));
    const event = ps.map((p) => (p.localFailure ? 1 : 0));
    const status = ps.map((p) => (p.localFailure ? 1 : p.died ? 2 : 0));
    const nan = (v: number | null) => (v === null ? NaN : v);
    const m = buildDesignMatrix(
      {
        fp: ps.map((p) => nan(p.fpVoxels)),
        frac: ps.map((p) => nan(p.fpFraction === null ? null : p.fpFraction * 10)),
        age: ps.map((p) => p.age),
        stage: ps.map((p) => p.stage),
      },
      [
        { name: 'fp', kind: 'numeric' },
        { name: 'frac', kind: 'numeric' },
        { name: 'age', kind: 'numeric' },
        { name: 'stage', kind: 'categorical' },
      ],
    );
    const fit = coxph({ time, event, covariates: m.covariates, names: m.names }, { terms: m.terms });
    expect(a.cox.status).toBe('ok');
    if (a.cox.status !== 'ok') return;
    const cox = a.cox.value;
    expect(cox.n).toBe(30);
    // the 6 without metrics are outside the one analysis set, counted once with the reason
    expect(cox.nDropped).toBe(0);
    expect(a.counts.usable).toBe(30);
    expect(a.counts.excluded).toEqual([{ reason: 'no value of ITV false-positive voxels, ITV false-positive fraction', count: 6 }]);
    expect(cox.coefficients.map((c) => c.unit)).toEqual(['per voxel', 'per 10 percentage points', 'per unit of the CSV column', 'II vs I', 'III vs I']);
    cox.coefficients.forEach((c, k) => {
      const r = fit.coefficients[k];
      expect([c.coef, c.se, c.hr, c.lower95, c.upper95, c.z, c.p]).toEqual([r.coef, r.se, r.hr, r.lower95, r.upper95, r.z, r.p]);
    });
    expect(cox.likelihoodRatio).toEqual(fit.logtest);
    expect(cox.wald).toEqual(fit.waldtest);
    expect(cox.score).toEqual(fit.sctest);
    expect(cox.concordance).toEqual({ c: fit.concordance.concordance, se: fit.concordance.std });
    expect(cox.zph.map((z) => z.p)).toEqual(fit.zph!.terms.map((z) => z.p));
    expect(cox.zphGlobal).toEqual({ chisq: fit.zph!.global.chisq, df: fit.zph!.global.df, p: fit.zph!.global.p });
    // 5 coefficients on < 50 events: the events-per-variable warning is passed through
    expect(cox.warnings.map((w) => w.code)).toContain('FEW_EVENTS_PER_COVARIATE');

    // median split of FP voxels among the 30 with metrics (R: x <= median(x))
    const fp = ps.map((p) => p.fpVoxels);
    const sorted = fp.filter((v): v is number => v !== null).sort((x, y) => x - y);
    const med = (sorted[14] + sorted[15]) / 2;
    const idx = [0, 1].map((g) => ps.flatMap((p, i) => (p.fpVoxels !== null && (g === 0 ? p.fpVoxels <= med : p.fpVoxels > med) ? [i] : [])));
    expect(a.grouping!.groups.map((g) => g.n)).toEqual(idx.map((ii) => ii.length));
    expect(a.grouping!.missing).toBe(6);
    expect(a.km.status).toBe('ok');
    if (a.km.status !== 'ok') return;
    idx.forEach((ii, g) => {
      const c = kaplanMeier(
        ii.map((i) => time[i]),
        ii.map((i) => event[i]),
      );
      const got = a.km.status === 'ok' ? a.km.value.groups[g] : null;
      expect(got!.points.slice(1).map((q) => q.surv)).toEqual(c.surv);
      expect(got!.points.slice(1).map((q) => q.lower)).toEqual(c.lower95);
      expect(got!.points.slice(1).map((q) => q.upper)).toEqual(c.upper95);
      expect(got!.median).toBe(c.median);
      expect(got!.atRisk).toEqual(
        numberAtRisk(
          c,
          ii.map((i) => time[i]),
          [0, 365, 730],
        ),
      );
    });
    const all = [...idx[0], ...idx[1]];
    const lab = (i: number) => (idx[0].includes(i) ? 'low' : 'high');
    const lr = logRankTest(
      all.map((i) => time[i]),
      all.map((i) => event[i]),
      all.map(lab),
      ['low', 'high'],
    );
    expect(a.km.value.logRank).toMatchObject({ chisq: lr.chisq, df: 1, p: lr.p });

    expect(a.cuminc.status).toBe('ok');
    if (a.cuminc.status !== 'ok') return;
    const ci = cumulativeIncidence(
      all.map((i) => time[i]),
      all.map((i) => status[i]),
      all.map(lab),
    );
    const gray = ci.tests!.find((x) => x.cause === 1)!;
    expect(a.cuminc.value.gray).toEqual({ stat: gray.stat, df: 1, p: gray.p });
    const lowLf = ci.curves.find((c) => c.cause === 1 && c.group === 'low')!;
    const gotLow = a.cuminc.value.curves.find((c) => c.cause === 1 && c.group === a.grouping!.groups[0].label)!;
    expect(gotLow.points.slice(1, lowLf.est.length + 1).map((q) => q.est)).toEqual(lowLf.est);
    const fg = fineGray({ time, status, covariates: m.covariates, names: m.names, failCode: 1, censCode: 0 });
    expect(a.cuminc.value.fineGray.status).toBe('ok');
    if (a.cuminc.value.fineGray.status !== 'ok') return;
    a.cuminc.value.fineGray.value.coefficients.forEach((c, k) => {
      const r = fg.coefficients[k];
      expect([c.coef, c.se, c.hr, c.lower95, c.upper95, c.p]).toEqual([r.coef, r.se, r.hr, r.lower95, r.upper95, r.p]);
    });
    expect(JSON.stringify(a)).not.toContain('NaN');

    // the CSV download carries the same numbers at full precision, units included
    const lines = formatOutcomeTableCsv(a, 'cox')!.trimEnd().split('\r\n');
    expect(lines[0]).toBe('model,event,n,events,covariate,unit,coef,se,hazard_ratio,lower95,upper95,z,p');
    expect(lines).toHaveLength(6);
    // n and events of the fitted model (coxph's n and nevent)
    expect(lines[2].split(',').slice(2, 4)).toEqual([String(fit.n), String(fit.nevent)]);
    expect(lines[2].split(',').slice(4, 9)).toEqual([
      'ITV false-positive fraction',
      'per 10 percentage points',
      String(fit.coefficients[1].coef),
      String(fit.coefficients[1].se),
      String(fit.coefficients[1].hr),
    ]);
    const kmCsv = formatOutcomeTableCsv(a, 'km')!.trimEnd().split('\r\n');
    expect(kmCsv).toHaveLength(1 + 2 * 3);
    expect(formatOutcomeTableCsv({ ...a, cox: { status: 'not-run', reason: 'x' } }, 'cox')).toBeNull();
  });

  it('matches R (survival, cmprsk) on the seeded cohort, end to end from the database, to 1e-6', async () => {
    const a = await runOutcomeAnalysis(t.db, {
      caller: PHYSICIST,
      request: {
        covariates: ['metric:falsePositiveVoxels', 'metric:falsePositiveFraction', 'clinical:age', 'clinical:stage'],
        grouping: { kind: 'median', covariate: 'metric:falsePositiveVoxels' },
        riskTimesDays: [0, 365, 730],
      },
    });
    if (a.cox.status !== 'ok' || a.km.status !== 'ok' || a.cuminc.status !== 'ok' || a.cuminc.value.fineGray.status !== 'ok')
      throw new Error('analysis sections missing');
    const cox = a.cox.value;
    expect([cox.n, cox.nevent]).toEqual(R.cox_n);
    expectRel(
      cox.coefficients.map((c) => c.coef),
      R.cox_coef,
    );
    expectRel(
      cox.coefficients.map((c) => c.se),
      R.cox_se,
    );
    expectRel(
      cox.coefficients.map((c) => c.p),
      R.cox_p,
    );
    expectRel(
      cox.coefficients.map((c) => c.lower95),
      R.cox_lower95,
    );
    expectRel(
      cox.coefficients.map((c) => c.upper95),
      R.cox_upper95,
    );
    expectRel([cox.likelihoodRatio.chisq, cox.likelihoodRatio.df, cox.likelihoodRatio.p], R.cox_logtest);
    expectRel([cox.wald.chisq, cox.wald.df, cox.wald.p], R.cox_waldtest);
    expectRel([cox.score.chisq, cox.score.df, cox.score.p], R.cox_sctest);
    expectRel([cox.concordance.c, cox.concordance.se], R.cox_concordance);
    expectRel([...cox.zph.map((z) => z.p), cox.zphGlobal!.p], R.zph_p);
    expectRel([...cox.zph.map((z) => z.chisq), cox.zphGlobal!.chisq], R.zph_chisq);
    const [low, high] = a.km.value.groups;
    for (const [g, name] of [
      [low, 'low'],
      [high, 'high'],
    ] as const) {
      const pts = g.points.slice(1);
      expectRel(
        pts.map((q) => q.time),
        R[`km_${name}_time`],
      );
      expectRel(
        pts.map((q) => q.surv),
        R[`km_${name}_surv`],
      );
      expectRel(
        pts.map((q) => q.lower ?? -1),
        R[`km_${name}_lower`],
      );
      expectRel(
        pts.map((q) => q.upper ?? -1),
        R[`km_${name}_upper`],
      );
      expect(g.atRisk.map((r) => r.nRisk)).toEqual(R[`km_${name}_nrisk`]);
    }
    expectRel([a.km.value.logRank!.chisq, a.km.value.logRank!.p], R.logrank);
    expectRel([a.cuminc.value.gray!.stat, a.cuminc.value.gray!.p, a.cuminc.value.gray!.df], R.gray);
    for (const [label, name] of [
      [low.group, 'low'],
      [high.group, 'high'],
    ] as const) {
      const c = a.cuminc.value.curves.find((x) => x.cause === 1 && x.group === label)!;
      // cmprsk's curve holds (0, 0), then two points per jump (before and after); ours one per jump
      const rTime = R[`cif_${name}_time`];
      const rEst = R[`cif_${name}_est`];
      for (const q of c.points) {
        const k = rTime.lastIndexOf(q.time);
        expect(k).toBeGreaterThanOrEqual(0);
        expect(Math.abs(q.est - rEst[k])).toBeLessThanOrEqual(1e-6);
      }
    }
    const fg = a.cuminc.value.fineGray.value;
    expectRel(
      fg.coefficients.map((c) => c.coef),
      R.fg_coef,
    );
    expectRel(
      fg.coefficients.map((c) => c.se),
      R.fg_se,
    );
  });

  it('uses one analysis set per run: a patient without the grouping value is out of the Cox and Fine–Gray models too', async () => {
    // age is known for all 36, FP voxels for 30: before, Cox and Fine–Gray used 36 and the curves 30
    const a = await runOutcomeAnalysis(t.db, {
      caller: RESEARCHER,
      request: { covariates: ['clinical:age'], grouping: { kind: 'median', covariate: 'metric:falsePositiveVoxels' } },
    });
    if (a.cox.status !== 'ok' || a.km.status !== 'ok' || a.cuminc.status !== 'ok' || a.cuminc.value.fineGray.status !== 'ok')
      throw new Error('analysis sections missing');
    const inSet = [...cohort].filter((p) => p.fpVoxels !== null).sort((x, y) => x.pseudonym.localeCompare(y.pseudonym));
    expect(inSet).toHaveLength(30);
    expect(a.counts.usable).toBe(30);
    expect(a.counts.excluded).toEqual([{ reason: 'no value of ITV false-positive voxels', count: 6 }]);
    expect(a.grouping!.missing).toBe(6);
    expect(a.cox.value.n).toBe(30);
    expect(a.km.value.groups.reduce((s, g) => s + g.n, 0)).toBe(30);
    expect(a.cuminc.value.fineGray.value.n).toBe(30);
    expect(a.counts.events).toBe(inSet.filter((p) => p.localFailure).length);
    // and the numbers are those of lib/core/survival on exactly those 30 patients
    const time = inSet.map((p) => (p.localFailure ? p.localFailureDays! : p.died ? p.deathDays! : p.lastFollowUpDays));
    const event = inSet.map((p) => (p.localFailure ? 1 : 0));
    const status = inSet.map((p) => (p.localFailure ? 1 : p.died ? 2 : 0));
    const age = [inSet.map((p) => p.age as number)];
    const fit = coxph({ time, event, covariates: age, names: ['age'] });
    expect(a.cox.value.coefficients[0].coef).toBe(fit.coefficients[0].coef);
    const fg = fineGray({ time, status, covariates: age, names: ['age'], failCode: 1, censCode: 0 });
    expect(a.cuminc.value.fineGray.value.coefficients[0].coef).toBe(fg.coefficients[0].coef);
  });

  it('groups by tertiles and by a threshold as R does (cut at quantile type 7; < threshold vs ≥)', async () => {
    const tert = await runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { grouping: { kind: 'tertiles', covariate: 'clinical:age' } } });
    expect(tert.grouping!.groups.map((g) => g.n)).toEqual(R.tertile_n);
    if (tert.km.status !== 'ok') throw new Error('no KM');
    expectRel([tert.km.value.logRank!.chisq, tert.km.value.logRank!.p], R.tertile_logrank);
    const thr = await runOutcomeAnalysis(t.db, {
      caller: RESEARCHER,
      request: { grouping: { kind: 'threshold', covariate: 'metric:falsePositiveVoxels', threshold: 100 } },
    });
    expect(thr.grouping!.groups.map((g) => g.n)).toEqual(R.threshold_n);
    expect(thr.grouping!.missing).toBe(6);
    if (thr.km.status !== 'ok') throw new Error('no KM');
    expectRel([thr.km.value.logRank!.chisq, thr.km.value.logRank!.p], R.threshold_logrank);
  });

  it('returns model failures as coded sections, and refuses unknown or unavailable covariates', async () => {
    await expect(runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['metric:motionAmplitudeMm'] } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
    });
    await expect(runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['nope'] } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(
      runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { grouping: { kind: 'threshold', covariate: 'clinical:age' } } }),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // FP voxels and FP cc are proportional in the seed: collinear
    const a = await runOutcomeAnalysis(t.db, { caller: RESEARCHER, request: { covariates: ['metric:falsePositiveVoxels', 'metric:falsePositiveVolumeCc'] } });
    expect(a.cox).toMatchObject({ status: 'error', code: 'COLLINEAR_COVARIATES' });
    const none = await runOutcomeAnalysis(t.db, {
      caller: RESEARCHER,
      request: { event: 'death', grouping: { kind: 'categorical', covariate: 'clinical:stage' } },
    });
    expect(none.cox.status).toBe('not-run');
    expect(none.cuminc.status).toBe('not-run');
    expect(none.km.status === 'ok' && none.km.value.groups.map((g) => g.group)).toEqual(['I', 'II', 'III']);
  });

  describe('outcomes CSV import', () => {
    const header = 'pseudonym,local_failure,local_failure_days,died,death_days,last_follow_up_days,smoker,dose_gy';

    it('reports row- and column-specific errors and writes nothing', async () => {
      const before = await t.db.outcome.findMany({ orderBy: { patientId: 'asc' } });
      const csv = [
        header,
        'OUT-001,1,120,0,,400,yes,54',
        'OUT-002,x,120,0,,400,no,54', // non-numeric
        'OUT-003,0,,0,,-5,no,60', // negative time
        'OUT-004,2,,0,,300,no,60', // event not 0/1
        'NOBODY,0,,0,,300,no,60', // unknown patient
        'OUT-005,1,,0,,300,no,60', // LF without a time
      ].join('\n');
      const r = await importOutcomes(t.db, { caller: PHYSICIST, csvText: csv, fileName: 'bad.csv', mode: 'import' });
      expect(r.imported).toBeNull();
      expect(r.errors.map((e) => [e.row, e.column, e.code])).toEqual([
        [2, 'local_failure', 'NOT_NUMERIC'],
        [3, 'last_follow_up_days', 'NEGATIVE_TIME'],
        [4, 'local_failure', 'NOT_0_1'],
        [5, 'pseudonym', 'UNKNOWN_PATIENT'],
        [6, 'local_failure_days', 'MISSING_VALUE'],
      ]);
      expect(r.errors[0].message).toMatch(/Row 2 \(line 3\), column "local_failure": "x" is not a number/);
      expect(await t.db.outcome.findMany({ orderBy: { patientId: 'asc' } })).toEqual(before);
      expect(await t.db.auditEvent.count({ where: { action: 'outcomes.imported' } })).toBe(0);

      const missing = await importOutcomes(t.db, { caller: PHYSICIST, csvText: 'pseudonym,local_failure,died,death_days\nOUT-001,1,0,\n', mode: 'preview' });
      expect(missing.errors.filter((e) => e.code === 'MISSING_COLUMN').map((e) => e.column)).toEqual(['local_failure_days', 'last_follow_up_days']);
      const empty = await importOutcomes(t.db, { caller: PHYSICIST, csvText: '', mode: 'preview' });
      expect(empty.errors[0]).toMatchObject({ code: 'FILE', row: null });
      expect(empty.errors[0].message).toMatch(/empty/);
    });

    it('previews without writing, then imports all rows atomically with an audit event', async () => {
      const csv = [header, 'OUT-001,1,120,0,,400,yes,54', 'OUT-002,0,,1,800,800,no,60.5', 'OUT-003,0,,0,,365,NA,'].join('\n');
      const before = await t.db.outcome.findFirst({ where: { patient: { pseudonym: 'OUT-002' } } });
      const preview = await importOutcomes(t.db, { caller: PHYSICIST, csvText: csv, fileName: 'good.csv', mode: 'preview' });
      expect(preview.errors).toEqual([]);
      expect(preview.imported).toBeNull();
      expect(preview.clinicalColumns).toEqual([
        { name: 'smoker', kind: 'categorical' },
        { name: 'dose_gy', kind: 'numeric' },
      ]);
      expect(preview.preview).toHaveLength(3);
      expect(await t.db.outcome.findFirst({ where: { patient: { pseudonym: 'OUT-002' } } })).toEqual(before);

      const done = await importOutcomes(t.db, { caller: PHYSICIST, csvText: csv, fileName: 'good.csv', mode: 'import' });
      expect(done.imported).toBe(3);
      const o2 = await t.db.outcome.findFirstOrThrow({ where: { patient: { pseudonym: 'OUT-002' } } });
      expect(o2).toMatchObject({
        localFailure: false,
        died: true,
        deathDays: 800,
        lastFollowUpDays: 800,
        clinical: { smoker: 'no', dose_gy: 60.5 },
        source: 'csv:good.csv',
      });
      const o3 = await t.db.outcome.findFirstOrThrow({ where: { patient: { pseudonym: 'OUT-003' } } });
      expect(o3.clinical).toEqual({ smoker: null, dose_gy: null });
      const audit = await t.db.auditEvent.findMany({ where: { action: 'outcomes.imported' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ userEmail: PHYSICIST.email, role: 'PHYSICIST', details: { rows: 3, identifierColumn: 'pseudonym' } });
    });

    it('accepts MRNs from roles with identifiers:view only (physicists), and audits every MRN lookup', async () => {
      const csv = ['mrn,local_failure,local_failure_days,died,death_days,last_follow_up_days', 'MRN700010,1,99,0,,500'].join('\n');
      await expect(importOutcomes(t.db, { caller: RESEARCHER, csvText: csv, mode: 'preview' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      // An admin (outcomes:import, no identifiers:view) cannot use the preview to test whether an
      // MRN exists: the file is refused before any lookup, whether the MRN exists or not.
      for (const mrn of ['MRN700010', 'MRN000000']) {
        const e = await importOutcomes(t.db, { caller: ADMIN, csvText: csv.replace('MRN700010', mrn), mode: 'preview' }).catch((x) => x);
        expect(e).toMatchObject({
          code: 'FORBIDDEN',
          message: 'The admin role may not import outcomes by MRN (MRNs are identifiers); use the pseudonym column instead.',
        });
      }
      const lookupsBefore = await t.db.auditEvent.count({ where: { action: 'outcomes.mrn_lookup' } });
      const r = await importOutcomes(t.db, { caller: PHYSICIST, csvText: csv, mode: 'import' });
      expect(r.imported).toBe(1);
      const o = await t.db.outcome.findFirstOrThrow({ where: { patient: { pseudonym: 'OUT-011' } } });
      expect(o).toMatchObject({ localFailure: true, localFailureDays: 99, lastFollowUpDays: 500 });
      const bad = await importOutcomes(t.db, { caller: PHYSICIST, csvText: csv.replace('MRN700010', 'MRN000000'), mode: 'import' });
      expect(bad.errors).toMatchObject([{ row: 1, column: 'mrn', code: 'UNKNOWN_PATIENT' }]);
      const lookups = await t.db.auditEvent.findMany({ where: { action: 'outcomes.mrn_lookup' }, orderBy: { id: 'asc' } });
      expect(lookups.slice(lookupsBefore).map((e) => [e.userEmail, e.patientId !== null, (e.details as { matched: number }).matched])).toEqual([
        [PHYSICIST.email, true, 1],
        [PHYSICIST.email, false, 0],
      ]);
      const ident = await importOutcomes(t.db, {
        caller: PHYSICIST,
        csvText: 'pseudonym,name,local_failure,local_failure_days,died,death_days,last_follow_up_days\nOUT-001,X,0,,0,,10\n',
        mode: 'preview',
      });
      expect(ident.errors).toMatchObject([{ column: 'name', code: 'IDENTIFIER_COLUMN' }]);
    });
  });
});
