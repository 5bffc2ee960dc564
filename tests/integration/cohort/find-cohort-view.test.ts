/**
 * The cohort page's kept view (lib/server/cohort/find-cohort-view.ts) on a real Postgres with the
 * migrations' triggers: the data version moves when a row the page reads changes (a study, a run's
 * status, a summary) and not when a worker writes its heartbeat or progress; a view of unchanged
 * data reuses the computed cohort, a view after a change shows the change; the kept view's numbers
 * are those of findCohortCases and computeCohortStats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findCohortCases } from '../../../lib/server/cohort/find-cohort-cases';
import { findCohortView, forgetCohortViews, prepareCohortViews, readCohortDataVersion } from '../../../lib/server/cohort/find-cohort-view';
import { computeCohortStats, sortCases } from '../../../lib/core/stats/cohort-stats';
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

describe('findCohortView: the cohort kept while its data version is unchanged', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('cohort_view');
    await seedSyntheticStudies(t.db, { studies: 120 });
    forgetCohortViews();
  });
  afterAll(async () => t?.drop());

  it('the version moves on a run status change, a new study and a summary, not on a heartbeat, progress or stage', async () => {
    const v0 = await readCohortDataVersion(t.db);
    expect(v0).not.toBeNull();
    await t.db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { heartbeatAt: new Date(), progress: 55, stage: 'segmenting' } });
    expect(await readCohortDataVersion(t.db)).toBe(v0);
    await t.db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { status: 'RUNNING' } });
    const v1 = await readCohortDataVersion(t.db);
    expect(BigInt(v1!)).toBeGreaterThan(BigInt(v0!));
    await t.db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { status: 'SUCCEEDED' } });
    const v2 = await readCohortDataVersion(t.db);
    expect(BigInt(v2!)).toBeGreaterThan(BigInt(v1!));
    // One bump per transaction, however many rows it writes.
    await t.db.$transaction([
      t.db.segmentationRun.update({ where: { id: 'bench-00001-r1' }, data: { error: 'x' } }),
      t.db.segmentationRun.update({ where: { id: 'bench-00002-r1' }, data: { error: 'y' } }),
    ]);
    expect(BigInt((await readCohortDataVersion(t.db))!)).toBe(BigInt(v2!) + 1n);
  });

  it('reuses the computed cohort while nothing changed, and shows a change at the next view', async () => {
    forgetCohortViews();
    const first = await findCohortView(t.db, { caller: physicist, query: q() });
    expect(first.reused).toBe(false);
    const again = await findCohortView(t.db, { caller: physicist, query: q({ page: 2, sort: 'itvDice', dir: 'asc' }) });
    expect(again.reused).toBe(true);
    expect(again.stats).toBe(first.stats);
    // A heartbeat does not recompute.
    await t.db.segmentationRun.update({ where: { id: 'bench-00003-r1' }, data: { heartbeatAt: new Date() } });
    expect((await findCohortView(t.db, { caller: physicist, query: q() })).reused).toBe(true);
    // A run failing does, and the page shows it.
    const failedBefore = first.stats.failed;
    const run = await t.db.segmentationRun.create({
      data: {
        id: 'view-new-run',
        studyId: 'bench-00004',
        modelVersionId: 'bench-model-2',
        status: 'FAILED',
        queuedAt: new Date('2030-01-01'),
        error: 'Failed: test',
      },
    });
    const after = await findCohortView(t.db, { caller: physicist, query: q() });
    expect(after.reused).toBe(false);
    expect(after.stats.failed).toBe(failedBefore + 1);
    await t.db.segmentationRun.delete({ where: { id: run.id } });
    expect((await findCohortView(t.db, { caller: physicist, query: q() })).stats.failed).toBe(failedBefore);
    // A new summary row changes the numbers.
    const s = await t.db.runSummary.findUniqueOrThrow({ where: { runId: 'bench-00005-r1' } });
    await t.db.runSummary.update({ where: { runId: s.runId }, data: { itvDice: 0.001 } });
    const changed = await findCohortView(t.db, { caller: physicist, query: q({ sort: 'itvDice', dir: 'asc' }) });
    expect(changed.reused).toBe(false);
    expect(changed.page[0].studyId).toBe('bench-00005');
    expect(changed.page[0].itvDice).toBe(0.001);
  });

  it('the kept view has the numbers of findCohortCases and computeCohortStats, per caller view and filter', async () => {
    forgetCohortViews();
    for (const caller of [physicist, researcher]) {
      for (const filters of [{}, { institution: 'bench-inst-Kyoto' }, { model: 'bench-model-1' }]) {
        const query = q({ ...filters, sort: 'itvDice', dir: 'asc', page: 2 });
        const direct = await findCohortCases(t.db, { caller, filters: query });
        const stats = computeCohortStats(direct.cases, direct.pooledPhases);
        for (let k = 0; k < 2; k++) {
          const view = await findCohortView(t.db, { caller, query });
          expect(view.reused).toBe(k === 1);
          expect(view.stats).toEqual(stats);
          expect(view.datesShifted).toBe(caller.role === 'RESEARCHER');
          expect(view.totalCases).toBe(direct.cases.length);
          expect(view.pageNumber).toBe(Math.min(2, Math.max(1, Math.ceil(direct.cases.length / 50))));
          expect(view.page).toEqual(sortCases(direct.cases, 'itvDice', 'asc').slice((view.pageNumber - 1) * 50, view.pageNumber * 50));
        }
      }
    }
  });

  it('prepareCohortViews (at start-up) leaves the unfiltered cohort ready for both views', async () => {
    forgetCohortViews();
    await prepareCohortViews(t.db);
    for (const caller of [physicist, researcher]) expect((await findCohortView(t.db, { caller, query: q({ page: 3 }) })).reused).toBe(true);
    expect((await findCohortView(t.db, { caller: physicist, query: q({ scanner: 'GE Discovery RT' }) })).reused).toBe(false);
  });

  it('a run created and finished in one transaction moves the version once', async () => {
    const v = BigInt((await readCohortDataVersion(t.db))!);
    await t.db.$transaction([
      t.db.segmentationRun.create({ data: { id: 'bench-00006-r2', studyId: 'bench-00006', modelVersionId: 'bench-model-2', status: 'QUEUED' } }),
      t.db.segmentationRun.update({ where: { id: 'bench-00006-r2' }, data: { status: 'SUCCEEDED', finishedAt: new Date() } }),
    ]);
    expect(BigInt((await readCohortDataVersion(t.db))!)).toBe(v + 1n);
  });
});
