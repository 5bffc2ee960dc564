/**
 * The kept cohort updated with only the studies a data version changed (CohortChange, migration
 * 20261207050000_cohort_incremental; lib/server/cohort/find-cohort-view.ts) equals the cohort
 * computed from scratch, on a real Postgres with the migrations' triggers, after each kind of
 * change the triggers cover: a run queued, failing, succeeding with a new summary; summary and
 * phase values edited; a study deleted and one added; a patient's pseudonym, date shift and
 * institution changed; a run deleted. Checked for a physicist and a researcher (shifted dates),
 * unfiltered and filtered, and in three kept sort orders; the pooled GTV phase values are also
 * checked against PostgreSQL's percentile_cont, which computed them before.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findCohortCases } from '../../../lib/server/cohort/find-cohort-cases';
import { flushCohortSnapshots, findCohortView, forgetCohortViews } from '../../../lib/server/cohort/find-cohort-view';
import { computeCohortStats, sortCases, type CaseSortKey } from '../../../lib/core/stats/cohort-stats';
import { readCohortSnapshot } from '../../../lib/server/cohort/read-cohort-snapshot';
import type { CohortQuery } from '../../../lib/server/cohort/find-cohort-cases.types';
import type { Caller } from '../../../lib/server/auth/roles';
import { seedSyntheticStudies } from '../../../bench/dashboard/seed-studies';

const physicist: Caller = { userId: 'u-p', email: 'p@x.org', name: 'P', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-r', email: 'r@x.org', name: 'R', role: 'RESEARCHER' };
const q = (patch: Partial<CohortQuery> = {}): CohortQuery => ({
  institution: null,
  from: null,
  to: null,
  model: null,
  physician: null,
  scanner: null,
  sort: 'flags',
  dir: 'desc',
  page: 1,
  ...patch,
});
const VIEWS: { caller: Caller; filters: Partial<CohortQuery> }[] = [
  { caller: physicist, filters: {} },
  { caller: researcher, filters: {} },
  { caller: physicist, filters: { institution: 'bench-inst-Boston' } },
  { caller: researcher, filters: { from: '2016-01-01', to: '2021-12-31' } },
];
const NO_FILTERS = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
const SORTS: [CaseSortKey, 'asc' | 'desc'][] = [
  ['pseudonym', 'asc'],
  ['itvDice', 'asc'],
  ['date', 'desc'],
];

describe('the kept cohort, updated with the changed studies only, equals the cohort computed from scratch', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('cohort_incremental');
    await seedSyntheticStudies(t.db, { studies: 150 });
    forgetCohortViews();
    // Keep every view and sort order (computed once from scratch).
    for (const { caller, filters } of VIEWS) for (const [sort, dir] of SORTS) await findCohortView(t.db, { caller, query: q({ ...filters, sort, dir }) });
  });
  afterAll(async () => t?.drop());

  /** Every kept view after a change: updated (not recomputed), and equal to a computation from scratch. */
  async function expectSameAsScratch(expected: 'updated' | 'computed' | ((filtered: boolean) => 'restored' | 'computed') = 'updated') {
    for (const { caller, filters } of VIEWS) {
      const source = typeof expected === 'function' ? expected(Object.keys(filters).length > 0) : expected;
      const direct = await findCohortCases(t.db, { caller, filters: q(filters) });
      const stats = computeCohortStats(direct.cases, direct.pooledPhases);
      for (const [i, [sort, dir]] of SORTS.entries()) {
        const all = sortCases(direct.cases, sort, dir);
        const pages = Math.max(1, Math.ceil(all.length / 50));
        for (let page = 1; page <= pages; page++) {
          const view = await findCohortView(t.db, { caller, query: q({ ...filters, sort, dir, page }) });
          // The first view after the change applies it; the others reuse it.
          expect(view.source).toBe(i === 0 && page === 1 ? source : 'kept');
          expect(view.stats).toStrictEqual(stats);
          expect(view.totalCases).toBe(direct.cases.length);
          expect(view.page).toEqual(all.slice((page - 1) * 50, page * 50));
          if (page === 1) {
            const columns = JSON.parse(view.columnsJson) as { ids: string[] };
            expect([...columns.ids].sort()).toEqual(
              direct.cases
                .filter((c) => c.hasSummary)
                .map((c) => c.studyId)
                .sort(),
            );
          }
        }
      }
    }
  }

  it('after a run is queued, fails, and succeeds with a new summary', async () => {
    await t.db.segmentationRun.create({ data: { id: 'inc-q', studyId: 'bench-00010', modelVersionId: 'bench-model-2', status: 'QUEUED' } });
    await expectSameAsScratch();
    await t.db.segmentationRun.update({ where: { id: 'inc-q' }, data: { status: 'FAILED', error: 'Failed: test', finishedAt: new Date() } });
    await expectSameAsScratch();
    // A later succeeded run with its summary (a copy of another study's, lower ITV Dice).
    const summary = await t.db.runSummary.findUniqueOrThrow({ where: { runId: 'bench-00020-r1' }, include: { phases: true } });
    const { phases, runId: _r, ...values } = summary;
    await t.db.$transaction([
      t.db.segmentationRun.create({
        data: { id: 'inc-s', studyId: 'bench-00011', modelVersionId: 'bench-model-1', status: 'SUCCEEDED', finishedAt: new Date('2031-01-01') },
      }),
      t.db.runSummary.create({ data: { ...values, runId: 'inc-s', itvDice: 0.0123, flags: ['LOW_DICE'] } }),
      t.db.runPhaseSummary.createMany({ data: phases.map(({ runId: _x, ...p }) => ({ ...p, runId: 'inc-s', dice: (p.dice ?? 0) / 2 })) }),
    ]);
    await expectSameAsScratch();
  });

  it('after summary and phase values are edited, including a phase value made null and one made NaN', async () => {
    await t.db.runSummary.update({ where: { runId: 'bench-00030-r1' }, data: { itvDice: 0.999, itvFpCc: 123.4 } });
    await t.db.$transaction([
      t.db.runPhaseSummary.update({ where: { runId_position: { runId: 'bench-00031-r1', position: 2 } }, data: { dice: 0.01, hd95Mm: 44 } }),
      t.db.runPhaseSummary.update({ where: { runId_position: { runId: 'bench-00031-r1', position: 3 } }, data: { dice: null } }),
      t.db.runPhaseSummary.update({ where: { runId_position: { runId: 'bench-00032-r1', position: 0 } }, data: { fpCc: Number.NaN } }),
    ]);
    await expectSameAsScratch();
  });

  it('after a study is deleted and another added', async () => {
    await t.db.study.delete({ where: { id: 'bench-00040' } });
    await expectSameAsScratch();
    await t.db.study.create({
      data: {
        id: 'inc-study',
        patientId: 'bench-00041-p',
        studyInstanceUid: '2.25.42',
        contentHash: 'inc',
        studyDate: new Date('2019-05-05'),
        physician: 'Dr Bench A',
      },
    });
    await expectSameAsScratch();
  });

  it("after a patient's pseudonym, date shift and institution change", async () => {
    await t.db.patient.update({ where: { id: 'bench-00050-p' }, data: { pseudonym: 'AAA-FIRST' } });
    await expectSameAsScratch();
    await t.db.patientIdentity.update({ where: { patientId: 'bench-00051-p' }, data: { dateShiftDays: -2000 } });
    await expectSameAsScratch();
    const boston = await t.db.patient.findFirstOrThrow({ where: { institutionId: 'bench-inst-Boston' }, orderBy: { id: 'asc' } });
    const other = boston.id === 'bench-00052-p' ? 'bench-inst-Kyoto' : 'bench-inst-Boston';
    await t.db.$transaction([
      t.db.patient.update({ where: { id: boston.id }, data: { institutionId: 'bench-inst-Kyoto' } }),
      t.db.patient.update({ where: { id: 'bench-00052-p' }, data: { institutionId: other } }),
    ]);
    await expectSameAsScratch();
  });

  it('after a run is deleted', async () => {
    await t.db.segmentationRun.delete({ where: { id: 'bench-00061-r1' } });
    await expectSameAsScratch();
  });

  it('an institution renamed reads the whole cohort again; a heartbeat changes nothing', async () => {
    await t.db.institution.update({ where: { id: 'bench-inst-Aarhus' }, data: { name: 'Aarhus University' } });
    await expectSameAsScratch('computed');
    await t.db.segmentationRun.update({ where: { id: 'bench-00070-r1' }, data: { heartbeatAt: new Date(), progress: 50 } });
    expect((await findCohortView(t.db, { caller: physicist, query: q() })).source).toBe('kept');
  });

  it('a kept version older than the change log (pruned) reads the whole cohort again', async () => {
    await t.db.segmentationRun.update({ where: { id: 'bench-00071-r1' }, data: { status: 'FAILED', error: 'Failed: pruned' } });
    await t.db.$executeRaw`UPDATE "CohortDataVersion" SET "changesFrom" = "version" WHERE id = 1`;
    await expectSameAsScratch('computed');
  });

  /** The stored kept cohorts (CohortSnapshot): the unfiltered view with and without identifiers. */
  const storedVersions = async () =>
    (await t.db.$queryRaw<{ key: string; version: bigint }[]>`SELECT "key", "version" FROM "CohortSnapshot" ORDER BY "key"`).map((r) => [
      r.key,
      Number(r.version),
    ]);
  const currentVersion = async () => Number((await t.db.$queryRaw<{ v: bigint }[]>`SELECT "version" AS v FROM "CohortDataVersion" WHERE id = 1`)[0]!.v);

  it('a new process starts from the stored kept cohort and applies the changes since; filtered views read the whole cohort', async () => {
    await flushCohortSnapshots();
    const stored = await storedVersions();
    expect(stored.map(([k]) => k)).toEqual([JSON.stringify([false, NO_FILTERS]), JSON.stringify([true, NO_FILTERS])]);
    await t.db.segmentationRun.update({ where: { id: 'bench-00072-r1' }, data: { status: 'FAILED', error: 'Failed: after the snapshot' } });
    expect(await currentVersion()).toBeGreaterThan(Math.max(...stored.map(([, v]) => v as number)));
    forgetCohortViews(); // as a new web process
    await expectSameAsScratch((filtered) => (filtered ? 'computed' : 'restored'));
  });

  it('deleting a study drops the stored cohorts in the same transaction; the next view stores them again without it', async () => {
    await flushCohortSnapshots();
    expect(await storedVersions()).toHaveLength(2);
    await t.db.study.delete({ where: { id: 'bench-00073' } });
    expect(await storedVersions()).toEqual([]);
    forgetCohortViews(); // as a new web process: nothing to restore
    await expectSameAsScratch('computed');
    await flushCohortSnapshots();
    for (const identified of [false, true]) {
      const again = await readCohortSnapshot(t.db, { key: JSON.stringify([identified, NO_FILTERS]) });
      expect(again!.content.cases.map((c) => c.studyId)).not.toContain('bench-00073');
      expect(again!.content.cases.map((c) => c.studyId)).toContain('bench-00072');
    }
  });

  it('a corrupt stored cohort is ignored with a log line naming its sha256, and the whole cohort is read (and stored again)', async () => {
    await flushCohortSnapshots();
    await t.db.$executeRaw`UPDATE "CohortSnapshot" SET "data" = overlay("data" placing '\\x00ff'::bytea from 30)`;
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      forgetCohortViews();
      await expectSameAsScratch('computed');
      expect(logged.mock.calls.map((c) => String(c[0])).filter((m) => /cohort snapshot .*sha256 .* differs/.test(m))).toHaveLength(2);
    } finally {
      logged.mockRestore();
    }
    await flushCohortSnapshots();
    const version = await currentVersion();
    expect((await storedVersions()).map(([, v]) => v)).toEqual([version, version]);
    forgetCohortViews();
    await expectSameAsScratch((filtered) => (filtered ? 'computed' : 'restored'));
  });

  it('a stored cohort older than the change log (pruned) reads the whole cohort', async () => {
    await flushCohortSnapshots();
    await t.db.segmentationRun.update({ where: { id: 'bench-00074-r1' }, data: { status: 'FAILED', error: 'Failed: pruned after the snapshot' } });
    await t.db.$executeRaw`UPDATE "CohortDataVersion" SET "changesFrom" = "version" WHERE id = 1`;
    forgetCohortViews();
    await expectSameAsScratch('computed');
  });

  it("the pooled GTV values are PostgreSQL's percentile_cont over the same phases", async () => {
    const view = await findCohortView(t.db, { caller: physicist, query: q() });
    const gtv = view.stats.rows.find((r) => r.structure === 'GTV')!;
    const [sql] = await t.db.$queryRaw<{ n: bigint; studies: bigint; q: number[] }[]>`
      WITH r AS (SELECT DISTINCT ON (x."studyId") x.id FROM "SegmentationRun" x WHERE x.status = 'SUCCEEDED'
                 ORDER BY x."studyId", x."finishedAt" DESC NULLS LAST)
      SELECT count(*) FILTER (WHERE q.dice > '-Infinity'::float8 AND q.dice < 'Infinity'::float8) AS n,
             count(DISTINCT q."runId") FILTER (WHERE q.dice IS NOT NULL) AS studies,
             percentile_cont(ARRAY[0.25, 0.5, 0.75]::float8[]) WITHIN GROUP (ORDER BY q.dice)
               FILTER (WHERE q.dice > '-Infinity'::float8 AND q.dice < 'Infinity'::float8) AS q
      FROM r JOIN "RunPhaseSummary" q ON q."runId" = r.id`;
    expect(gtv.dice.n).toBe(Number(sql.n));
    expect(gtv.studies).toBe(Number(sql.studies));
    expect([gtv.dice.q1, gtv.dice.median, gtv.dice.q3]).toEqual(sql.q);
  });
});
