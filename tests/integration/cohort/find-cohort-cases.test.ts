/**
 * The cohort query on a real Postgres: one row per study with its latest succeeded run's
 * summary, the latest run's status, filters, date shifting for researchers, and the
 * statistics computed over the rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findCohortCases } from '../../../lib/server/cohort/find-cohort-cases';
import { findCohortFilterOptions } from '../../../lib/server/cohort/find-cohort-filter-options';
import { computeCohortStats, type CohortCase } from '../../../lib/core/stats/cohort-stats';
import { runSummaryCreate, type RunSummary } from '../../../lib/server/runs/run-summary.types';
import type { CohortFilters } from '../../../lib/server/cohort/find-cohort-cases.types';
import type { Caller } from '../../../lib/server/auth/roles';
import { cohortDoseByInstitution } from '../../../lib/core/dose/cohort-dose';

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role}@x.org`, name: role, role });
const none: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };

function summary(itvDice: number, phaseDice: number[], machineCc: number, physicianCc: number, flags: RunSummary['flags'] = []): RunSummary {
  return {
    schemaVersion: 1,
    phases: phaseDice.map((d, i) => ({
      phaseIndex: i,
      phasePercent: i * 50,
      machineCc: 10,
      physicianCc: 10,
      machineCentroidMm: [0, 0, i],
      physicianCentroidMm: [0, 0, 2 * i],
      dice: d,
      hd95Mm: 2 + i,
      fpCc: 0.5 * i,
      outlier: false,
    })),
    gtv: { medianDice: phaseDice[1], minDice: Math.min(...phaseDice), medianHd95Mm: 3, medianFpCc: 0.5 },
    itv: { dice: itvDice, hd95Mm: 4, fpVoxels: 10, fpCc: 1.5, fpFraction: 0.1, fnCc: 1, machineCc, physicianCc, maxFpDistanceMm: 3, largestFpRegionCc: 1 },
    motion: { machine: { LR: 0, AP: 0, SI: 2, maxMm: 2 }, physician: { LR: 0, AP: 0, SI: 4, maxMm: 4 } },
    flags,
    thresholds: { itvDice: 0.5, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
  };
}

describe('findCohortCases', () => {
  let t: TestDatabase;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase('cohort_cases');
    const a = await t.db.institution.create({ data: { name: 'Alpha' } });
    const b = await t.db.institution.create({ data: { name: 'Beta' } });
    ids.alpha = a.id;
    const m1 = await t.db.modelVersion.create({ data: { name: 'iseg', version: '1', sha256: 'a'.repeat(64), manifest: {} } });
    const m2 = await t.db.modelVersion.create({ data: { name: 'iseg', version: '2', sha256: 'b'.repeat(64), manifest: {} } });
    ids.m1 = m1.id;
    ids.m2 = m2.id;
    const study = async (k: string, inst: string, date: string, shift: number | null, physician: string, scanner: string) => {
      const p = await t.db.patient.create({
        data: {
          pseudonym: `PSN-${k}`,
          institutionId: inst,
          ...(shift === null ? {} : { identity: { create: { name: `Name ${k}`, mrn: `MRN-${k}`, dateShiftDays: shift } } }),
        },
      });
      const s = await t.db.study.create({
        data: {
          patientId: p.id,
          studyInstanceUid: `2.25.9${k.charCodeAt(0)}`,
          contentHash: `h-${k}`,
          studyDate: new Date(`${date}T00:00:00Z`),
          physician,
          scanner,
        },
      });
      ids[k] = s.id;
      return s.id;
    };
    const run = (studyId: string, modelVersionId: string, status: 'SUCCEEDED' | 'FAILED' | 'QUEUED', at: string, s: RunSummary | null, error?: string) =>
      t.db.segmentationRun.create({
        data: {
          studyId,
          modelVersionId,
          status,
          queuedAt: new Date(at),
          finishedAt: status === 'QUEUED' ? null : new Date(at),
          error,
          ...(s ? { summary: { create: runSummaryCreate(s) } } : {}),
        },
      });

    // A: two succeeded runs (the later, model 2, counts).
    const A = await study('A', a.id, '2024-03-10', -20, 'Dr One', 'Siemens X');
    await run(A, m1.id, 'SUCCEEDED', '2024-04-01T00:00:00Z', summary(0.1, [0.1, 0.1, 0.1], 1, 1));
    await run(A, m2.id, 'SUCCEEDED', '2024-04-02T00:00:00Z', summary(0.8, [0.7, 0.8, 0.9], 22, 20));
    // B: succeeded, then a failed re-run: the summary stays, the status shows the failure.
    const B = await study('B', a.id, '2024-05-01', -3, 'Dr Two', 'GE Y');
    await run(B, m1.id, 'SUCCEEDED', '2024-05-02T00:00:00Z', summary(0.6, [0.5, 0.6, 0.65], 30, 33, ['OUTLIER_PHASE']));
    await run(B, m2.id, 'FAILED', '2024-05-03T00:00:00Z', null, 'Failed: out of memory');
    // C: a succeeded run without a summary (one that finished before summaries were stored).
    const C = await study('C', b.id, '2024-06-01', null, 'Dr One', 'GE Y');
    await run(C, m1.id, 'SUCCEEDED', '2024-06-02T00:00:00Z', null);
    // D: queued only.
    const D = await study('D', b.id, '2024-07-01', -1, 'Dr Two', 'Siemens X');
    await run(D, m2.id, 'QUEUED', '2024-07-02T00:00:00Z', null);
  });
  afterAll(async () => t.drop());

  it('one row per study: latest succeeded summary, latest run status, no identifiers', async () => {
    const { cases, pooledPhases, datesShifted } = await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: none });
    expect(datesShifted).toBe(false);
    const by = Object.fromEntries(cases.map((c) => [c.pseudonym, c])) as Record<string, CohortCase>;
    expect(Object.keys(by).sort()).toEqual(['PSN-A', 'PSN-B', 'PSN-C', 'PSN-D']);
    expect(by['PSN-A']).toMatchObject({
      institution: 'Alpha',
      studyDate: '2024-03-10',
      model: 'iseg 2',
      latestRunStatus: 'SUCCEEDED',
      hasSummary: true,
      itvDice: 0.8,
      gtvMedianDice: 0.8,
      itvMachineCc: 22,
      itvPhysicianCc: 20,
      motionMm: 4,
      flags: [],
    });
    expect(by['PSN-B']).toMatchObject({
      model: 'iseg 1',
      latestRunStatus: 'FAILED',
      latestRunError: 'Failed: out of memory',
      itvDice: 0.6,
      flags: ['OUTLIER_PHASE'],
    });
    expect(by['PSN-C']).toMatchObject({ model: 'iseg 1', hasSummary: false, itvDice: null });
    expect(by['PSN-D']).toMatchObject({ model: null, latestRunStatus: 'QUEUED', hasSummary: false });
    expect(JSON.stringify(cases)).not.toMatch(/MRN-|Name [A-D]/);

    const stats = computeCohortStats(cases, pooledPhases);
    expect(stats).toMatchObject({ studies: 4, withSummary: 2, failed: 1, pending: 1, notRun: 0, missingSummary: 1 });
    // R: quantile(c(0.7, 0.8, 0.9, 0.5, 0.6, 0.65), c(.25, .5, .75)) -> 0.6125 0.675 0.775
    // (A's and B's phases; A's earlier run of model 1 does not count)
    expect(stats.rows[0]).toMatchObject({ structure: 'GTV', studies: 2, phases: 6 });
    // R: quantile(c(2, 3, 4, 2, 3, 4), c(.25, .5, .75)) -> 2.25 3 3.75; quantile(c(0, .5, 1, 0, .5, 1), c(.25, .5, .75)) -> 0.125 0.5 0.875
    expect(stats.rows[0].hd95Mm).toEqual({ n: 6, median: 3, q1: 2.25, q3: 3.75 });
    expect(stats.rows[0].fpCc).toEqual({ n: 6, median: 0.5, q1: 0.125, q3: 0.875 });
    expect(stats.rows[0].dice.median).toBeCloseTo(0.675, 12);
    expect(stats.rows[0].dice.q1).toBeCloseTo(0.6125, 12);
    expect(stats.rows[0].dice.q3).toBeCloseTo(0.775, 12);
    expect(stats.rows[1]).toMatchObject({ structure: 'ITV', studies: 2, dice: { n: 2, median: 0.7 } });
    expect(stats.byInstitution.map((b) => [b.institution, b.n])).toEqual([['Alpha', 2]]);
    expect(stats.paired).toMatchObject({ n: 2, medianDifferenceCc: -0.5 });
  });

  it('a researcher sees shifted dates (none without a known shift), and the date filter uses them', async () => {
    const r = await findCohortCases(t.db, { caller: who('RESEARCHER'), filters: none });
    expect(r.datesShifted).toBe(true);
    const date = (k: string) => r.cases.find((c) => c.pseudonym === `PSN-${k}`)!.studyDate;
    expect([date('A'), date('B'), date('C'), date('D')]).toEqual(['2024-02-19', '2024-04-28', null, '2024-06-30']);
    const inMarch = await findCohortCases(t.db, { caller: who('RESEARCHER'), filters: { ...none, from: '2024-03-01', to: '2024-03-31' } });
    expect(inMarch.cases.map((c) => c.pseudonym)).toEqual([]);
    const inFeb = await findCohortCases(t.db, { caller: who('RESEARCHER'), filters: { ...none, from: '2024-02-01', to: '2024-02-29' } });
    expect(inFeb.cases.map((c) => c.pseudonym)).toEqual(['PSN-A']);
    const physicistMarch = await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: { ...none, from: '2024-03-01', to: '2024-03-31' } });
    expect(physicistMarch.cases.map((c) => c.pseudonym)).toEqual(['PSN-A']);
  });

  it('filters by institution, physician, scanner and model (the latest succeeded run of that model)', async () => {
    const names = async (f: Partial<CohortFilters>) =>
      (await findCohortCases(t.db, { caller: who('REVIEWER'), filters: { ...none, ...f } })).cases.map((c) => c.pseudonym).sort();
    expect(await names({ institution: ids.alpha })).toEqual(['PSN-A', 'PSN-B']);
    // a reviewer filters by the physician's pseudonym, the value the filter form offers; the real
    // name matches nothing (no way to test whether a physician exists)
    const options = await findCohortFilterOptions(t.db, { caller: who('REVIEWER') });
    expect(options.physicians).toHaveLength(2);
    expect(options.physicians.every((p) => /^Physician [A-Z2-9]{6}$/.test(p))).toBe(true);
    const all = await findCohortCases(t.db, { caller: who('REVIEWER'), filters: none });
    const pseudonymOf = (k: string) => all.cases.find((c) => c.pseudonym === `PSN-${k}`)!.physician!;
    expect(options.physicians).toContain(pseudonymOf('A'));
    expect(pseudonymOf('A')).toBe(pseudonymOf('C'));
    expect(JSON.stringify(all)).not.toMatch(/Dr One|Dr Two/);
    expect(await names({ physician: pseudonymOf('A') })).toEqual(['PSN-A', 'PSN-C']);
    expect(await names({ scanner: 'GE Y', physician: pseudonymOf('B') })).toEqual(['PSN-B']);
    expect(await names({ physician: 'Dr One' })).toEqual([]);
    // a physicist sees and filters by the names
    expect((await findCohortFilterOptions(t.db, { caller: who('PHYSICIST') })).physicians).toEqual(['Dr One', 'Dr Two']);
    const physicistNames = (await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: { ...none, physician: 'Dr One' } })).cases
      .map((c) => c.pseudonym)
      .sort();
    expect(physicistNames).toEqual(['PSN-A', 'PSN-C']);
    expect(await names({ model: ids.m2 })).toEqual(['PSN-A']);
    const m1 = await findCohortCases(t.db, { caller: who('ADMIN'), filters: { ...none, model: ids.m1 } });
    expect(m1.cases.find((c) => c.pseudonym === 'PSN-A')).toMatchObject({ model: 'iseg 1', itvDice: 0.1 });
    expect(m1.cases.map((c) => c.pseudonym).sort()).toEqual(['PSN-A', 'PSN-B', 'PSN-C']);
  });

  it('a summary row written later shows on the next view (nothing cached)', async () => {
    const before = await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: none });
    expect(before.cases.find((c) => c.pseudonym === 'PSN-C')!.hasSummary).toBe(false);
    const runC = await t.db.segmentationRun.findFirstOrThrow({ where: { studyId: ids.C, status: 'SUCCEEDED' } });
    await t.db.runSummary.create({ data: { run: { connect: { id: runC.id } }, ...runSummaryCreate(summary(0.42, [0.4, 0.45, 0.5], 5, 6, ['LOW_DICE'])) } });
    const after = await findCohortCases(t.db, { caller: who('PHYSICIST'), filters: none });
    expect(after.cases.find((c) => c.pseudonym === 'PSN-C')).toMatchObject({ hasSummary: true, itvDice: 0.42, flags: ['LOW_DICE'] });
    expect(after.pooledPhases).toMatchObject({ studies: 3, dice: { n: 9 } });
    expect(computeCohortStats(after.cases, after.pooledPhases)).toMatchObject({ withSummary: 3, missingSummary: 0 });
  });

  it('needs a signed-in caller; the filter options list what exists', async () => {
    await expect(findCohortCases(t.db, { caller: null as unknown as Caller, filters: none })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const o = await findCohortFilterOptions(t.db, { caller: who('RESEARCHER') });
    expect(o.institutions.map((i) => i.name)).toEqual(['Alpha', 'Beta']);
    expect(o.models.map((m) => m.label)).toEqual(['iseg 1', 'iseg 2']);
    expect(o.physicians).toHaveLength(2); // as pseudonyms (see the filter test)
    expect(o.physicians.join()).not.toMatch(/Dr/);
    expect(o.scanners).toEqual(['GE Y', 'Siemens X']);
  });

  it('dose view: studies with a dose and the FP dose row of the summarised run only, per institution, within the filters, the same for a researcher', async () => {
    let n = 0;
    const doseOf = async (k: string, runId: string | null, fp: { volumeCc: number; volumeBelow95PctCc: number | null } | null) => {
      n++;
      const series = await t.db.imageSeries.create({
        data: {
          studyId: ids[k],
          seriesInstanceUid: `2.25.77${k.charCodeAt(0)}${n}`,
          modality: 'CT',
          dims: [4, 4, 4],
          spacingMm: [1, 1, 1],
          originMm: [0, 0, 0],
          direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        },
      });
      let grid = await t.db.doseGrid.findFirst({ where: { studyId: ids[k] } });
      grid ??= await t.db.doseGrid.create({
        data: {
          studyId: ids[k],
          seriesId: series.id,
          sopInstanceUid: `2.25.66${k.charCodeAt(0)}`,
          frameOfReferenceUid: '2.25.1',
          units: 'GY',
          dims: [4, 4, 4],
          spacingMm: [2, 2, 2],
          originMm: [0, 0, 0],
          direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
          maxDose: 60,
          volumeKey: `${'e'.repeat(64)}.nii.gz`,
          volumeSha256: 'e'.repeat(64),
        },
      });
      if (fp)
        await t.db.doseMetricResult.create({
          data: { studyId: ids[k], runId, doseGridId: grid.id, region: 'FP', convention: 'iseg', values: fp, dvh: {}, prescriptionGy: 60, codeVersion: 'test' },
        });
    };
    const runOf = async (k: string, model: string) =>
      (await t.db.segmentationRun.findFirstOrThrow({ where: { studyId: ids[k], modelVersionId: model, status: 'SUCCEEDED' } })).id;
    // A: the summarised run (model 2) has 4 cc FP, 1 cc of it below 95 %; the older run's row (model 1) is not read.
    await doseOf('A', await runOf('A', ids.m2), { volumeCc: 4, volumeBelow95PctCc: 1 });
    await doseOf('A', await runOf('A', ids.m1), { volumeCc: 100, volumeBelow95PctCc: 100 });
    // B: 2 cc FP, none below 95 %. D (Beta): a dose, no run yet.
    await doseOf('B', await runOf('B', ids.m1), { volumeCc: 2, volumeBelow95PctCc: 0 });
    await doseOf('D', null, null);
    for (const role of ['PHYSICIST', 'RESEARCHER'] as const) {
      const { cases } = await findCohortCases(t.db, { caller: who(role), filters: none });
      expect(cases.find((c) => c.pseudonym === 'PSN-A')).toMatchObject({ hasDose: true, fpDoseCc: 4, fpBelow95PctRxCc: 1 });
      expect(cases.find((c) => c.pseudonym === 'PSN-C')).toMatchObject({ hasDose: false, fpDoseCc: null, fpBelow95PctRxCc: null });
      expect(cohortDoseByInstitution(cases)).toEqual([
        { institution: 'Alpha', studies: 2, withDose: 2, withFpDose: 2, medianFpCc: 3, medianFpFractionBelow95: 0.125, withFpBelow95: 1 },
        { institution: 'Beta', studies: 2, withDose: 1, withFpDose: 0, medianFpCc: null, medianFpFractionBelow95: null, withFpBelow95: 0 },
        { institution: 'All institutions', studies: 4, withDose: 3, withFpDose: 2, medianFpCc: 3, medianFpFractionBelow95: 0.125, withFpBelow95: 1 },
      ]);
    }
    // The filters apply: model 1 summarises A through its older run (100 cc, all below 95 %).
    const m1 = await findCohortCases(t.db, { caller: who('RESEARCHER'), filters: { ...none, model: ids.m1, institution: ids.alpha } });
    expect(cohortDoseByInstitution(m1.cases)).toEqual([
      { institution: 'Alpha', studies: 2, withDose: 2, withFpDose: 2, medianFpCc: 51, medianFpFractionBelow95: 0.5, withFpBelow95: 1 },
      { institution: 'All institutions', studies: 2, withDose: 2, withFpDose: 2, medianFpCc: 51, medianFpFractionBelow95: 0.5, withFpBelow95: 1 },
    ]);
  });
});
