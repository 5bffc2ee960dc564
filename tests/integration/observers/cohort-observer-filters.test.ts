/**
 * The cohort page's inter-observer line follows the page's filters (issue #17, left over from
 * session 7): on a real Postgres, five studies with inter-observer rows (two institutions, two
 * scanners, two physicians, two models, study dates a few months apart, each patient's dates
 * shifted differently for researchers) and one without. For every filter, as a physicist (names,
 * real dates) and as a researcher (pseudonyms, shifted dates), the studies the line counts are
 * exactly the filtered cohort's (findCohortCases, the cohort's own query) that have observer
 * rows; with a model filter a study's machine values come from its latest succeeded run of that
 * model. Before this, the line counted every study whatever the filters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { getCohortObserverSummary } from '@/lib/server/observers/get-cohort-observer-summary';
import { findCohortCases } from '@/lib/server/cohort/find-cohort-cases';
import type { CohortFilters } from '@/lib/server/cohort/find-cohort-cases.types';
import { freeTextPresenter } from '@/lib/server/deid/present-free-text';
import type { Caller } from '@/lib/server/auth/roles';

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@x.org`, name: role, role });
const NONE: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };

describe('cohort inter-observer line: the page filters', () => {
  let t: TestDatabase;
  const ids: Record<string, string> = {};
  let instA: string, instB: string, m1: string, m2: string;

  beforeAll(async () => {
    t = await createTestDatabase('cohort_observer_filters');
    instA = (await t.db.institution.create({ data: { name: 'Clinic A' } })).id;
    instB = (await t.db.institution.create({ data: { name: 'Clinic B' } })).id;
    m1 = (await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: '1'.repeat(64), manifest: {} } })).id;
    m2 = (await t.db.modelVersion.create({ data: { name: 'm', version: '2', sha256: '2'.repeat(64), manifest: {} } })).id;
    // name, institution, scanner, physician, study date, date shift (days), runs [model, finished, machine Dice]
    const specs: [string, string, string, string, string, number, [string, string, number][]][] = [
      ['s1', instA, 'CT-X', 'Dr^One', '2024-01-10', 0, [[m1, '2024-07-01', 0.7]]],
      ['s2', instA, 'CT-Y', 'Dr^Two', '2024-03-10', 100, [[m2, '2024-07-01', 0.72]]],
      [
        's3',
        instA,
        'CT-X',
        'Dr^One',
        '2024-05-10',
        -30,
        [
          [m1, '2024-07-01', 0.5],
          [m2, '2024-07-02', 0.6],
        ],
      ],
      ['s4', instB, 'CT-Y', 'Dr^Two', '2024-02-10', 200, [[m1, '2024-07-01', 0.74]]],
      ['s5', instB, 'CT-X', 'Dr^One', '2024-06-10', 10, [[m2, '2024-07-01', 0.76]]],
      // No second observer: never counted.
      ['s6', instA, 'CT-X', 'Dr^One', '2024-01-20', 0, [[m1, '2024-07-01', 0]]],
    ];
    for (const [name, institutionId, scanner, physician, date, shift, runs] of specs) {
      const p = await t.db.patient.create({
        data: { pseudonym: `P-${name}`, institutionId, identity: { create: { name: `Name ${name}`, dateShiftDays: shift } } },
      });
      const st = await t.db.study.create({
        data: {
          patientId: p.id,
          studyInstanceUid: `2.25.77${name.slice(1)}`,
          contentHash: `h-${name}`,
          studyDate: new Date(`${date}T00:00:00Z`),
          scanner,
          physician,
        },
      });
      ids[name] = st.id;
      if (name === 's6') {
        await t.db.segmentationRun.create({ data: { studyId: st.id, modelVersionId: m1, status: 'SUCCEEDED', finishedAt: new Date('2024-07-01T00:00:00Z') } });
        continue;
      }
      const i = Number(name.slice(1));
      const row = (key: string, comparison: string, dice: number, runId: string | null, consensus: string | null = null) => ({
        key: `${name}|${key}`,
        studyId: st.id,
        runId,
        role: 'ITV',
        comparison,
        consensus,
        observerCount: 2,
        convention: 'overlap',
        values: { dice },
        codeVersion: 'test',
      });
      await t.db.observerMetric.create({ data: row('pp', 'physician-physician', 0.8 + i / 100, null) });
      for (const [model, finished, dice] of runs) {
        const run = await t.db.segmentationRun.create({
          data: { studyId: st.id, modelVersionId: model, status: 'SUCCEEDED', finishedAt: new Date(`${finished}T00:00:00Z`) },
        });
        await t.db.observerMetric.createMany({
          data: [
            row(`mp1|${run.id}`, 'machine-physician', dice, run.id),
            row(`mp2|${run.id}`, 'machine-physician', dice + 0.02, run.id),
            row(`mc|${run.id}`, 'machine-consensus', dice + 0.01, run.id, 'majority'),
          ],
        });
      }
    }
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  const counted = async (caller: Caller, filters: CohortFilters) =>
    (await getCohortObserverSummary(t.db, { caller, filters })).studies.map((s) => s.studyId).sort();
  const cohort = async (caller: Caller, filters: CohortFilters) => {
    const withObservers = new Set(
      Object.entries(ids)
        .filter(([n]) => n !== 's6')
        .map(([, id]) => id),
    );
    return (await findCohortCases(t.db, { caller, filters })).cases
      .map((c) => c.studyId)
      .filter((id) => withObservers.has(id))
      .sort();
  };
  const names = (list: string[]) => list.map((id) => Object.entries(ids).find(([, v]) => v === id)![0]).sort();

  it('without filters: the five studies with two observers', async () => {
    expect(names(await counted(who('PHYSICIST'), NONE))).toEqual(['s1', 's2', 's3', 's4', 's5']);
    const s = await getCohortObserverSummary(t.db, { caller: who('PHYSICIST'), filters: NONE });
    // s3: its latest succeeded run (model 2): mean(0.6, 0.62).
    expect(s.studies.find((x) => x.studyId === ids.s3)!.machineVsObservers).toBeCloseTo(0.61, 12);
  });

  it('each filter counts exactly the filtered cohort, for a physicist and for a researcher', async () => {
    for (const caller of [who('PHYSICIST'), who('RESEARCHER')]) {
      const freeText = await freeTextPresenter(t.db, caller);
      const filters: [string, CohortFilters, string[] | null][] = [
        ['institution A', { ...NONE, institution: instA }, ['s1', 's2', 's3']],
        ['institution B', { ...NONE, institution: instB }, ['s4', 's5']],
        ['scanner CT-Y', { ...NONE, scanner: 'CT-Y' }, ['s2', 's4']],
        ['physician One', { ...NONE, physician: freeText.physician('Dr^One') }, ['s1', 's3', 's5']],
        ['model 1', { ...NONE, model: m1 }, ['s1', 's3', 's4']],
        ['model 2, institution B', { ...NONE, model: m2, institution: instB }, ['s5']],
        // Dates: the caller's (shifted per patient for a researcher), so the sets differ by role.
        ['from 2024-03-01', { ...NONE, from: '2024-03-01' }, null],
        ['to 2024-04-30', { ...NONE, to: '2024-04-30' }, null],
        ['2024-02-01 to 2024-06-30', { ...NONE, from: '2024-02-01', to: '2024-06-30' }, null],
        ['scanner CT-Z (none)', { ...NONE, scanner: 'CT-Z' }, []],
      ];
      for (const [label, f, expected] of filters) {
        const got = await counted(caller, f);
        expect(got, `${caller.role}: ${label}`).toEqual(await cohort(caller, f));
        if (expected) expect(names(got), `${caller.role}: ${label}`).toEqual(expected);
      }
    }
    // The date filter is on the date the caller sees: s2 (shifted +100 days, 2024-06-18) is in
    // "from 2024-06-01" for a researcher, not for a physicist (2024-03-10).
    expect(names(await counted(who('PHYSICIST'), { ...NONE, from: '2024-06-01' }))).toEqual(['s5']);
    expect(names(await counted(who('RESEARCHER'), { ...NONE, from: '2024-06-01' }))).toEqual(['s2', 's4', 's5']);
  });

  it("with a model filter, a study's machine values are its latest succeeded run of that model", async () => {
    const s = await getCohortObserverSummary(t.db, { caller: who('PHYSICIST'), filters: { ...NONE, model: m1 } });
    const s3 = s.studies.find((x) => x.studyId === ids.s3)!;
    expect(s3.machineVsObservers).toBeCloseTo(0.51, 12);
    expect(s3.machineVsConsensus).toBeCloseTo(0.51, 12);
    expect(s3.observerVsObserver).toBeCloseTo(0.83, 12);
    expect(s.n).toBe(3);
  });
});
