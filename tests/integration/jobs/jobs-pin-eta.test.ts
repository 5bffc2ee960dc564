/**
 * The jobs page's run list on a real Postgres (issue 16, item 10): running runs are pinned at the
 * top whatever their age and the list limit; a running run's time left comes from its progress
 * and elapsed time, a queued run's from the median run time of recent succeeded runs of its model
 * (not another model's).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { findSegmentationRuns } from '@/lib/server/jobs/find-segmentation-runs';

const physicist = { userId: 'u1', email: 'p@example.org', name: 'P', role: 'PHYSICIST' as const };
const now = new Date('2026-12-06T12:00:00Z');
const at = (minutesBefore: number) => new Date(now.getTime() - minutesBefore * 60_000);

describe('jobs list: running runs pinned, time left estimated', () => {
  let t: TestDatabase;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    t = await createTestDatabase('jobs_pin_eta');
    const inst = await t.db.institution.create({ data: { name: 'Alpha' } });
    const m1 = await t.db.modelVersion.create({ data: { name: 'iseg', version: '1.0.0', sha256: 'a'.repeat(64), manifest: {} } });
    const m2 = await t.db.modelVersion.create({ data: { name: 'other', version: '2.0.0', sha256: 'b'.repeat(64), manifest: {} } });
    let k = 0;
    const run = async (
      key: string,
      modelVersionId: string,
      status: 'SUCCEEDED' | 'RUNNING' | 'QUEUED',
      queuedMin: number,
      startedMin: number | null,
      finishedMin: number | null,
      progress = 0,
    ) => {
      k++;
      const p = await t.db.patient.create({ data: { pseudonym: `PSN-${key}`, institutionId: inst.id } });
      const s = await t.db.study.create({ data: { patientId: p.id, studyInstanceUid: `2.25.55${k}`, contentHash: `h-${key}` } });
      const r = await t.db.segmentationRun.create({
        data: {
          studyId: s.id,
          modelVersionId,
          status,
          progress,
          queuedAt: at(queuedMin),
          startedAt: startedMin === null ? null : at(startedMin),
          finishedAt: finishedMin === null ? null : at(finishedMin),
        },
      });
      ids[key] = r.id;
    };
    // iseg: succeeded runs of 3, 4 and 8 min (median 4 min); other: one of 30 min.
    await run('done-3', m1.id, 'SUCCEEDED', 300, 290, 287);
    await run('done-4', m1.id, 'SUCCEEDED', 250, 240, 236);
    await run('done-8', m1.id, 'SUCCEEDED', 200, 190, 182);
    await run('other-done', m2.id, 'SUCCEEDED', 180, 170, 140);
    // Running for 2 min at 40 %, queued long ago: oldest in the list, yet pinned first.
    await run('running', m1.id, 'RUNNING', 400, 2, null, 40);
    await run('queued', m1.id, 'QUEUED', 1, null, null);
    await run('queued-other', m2.id, 'QUEUED', 0.5, null, null);
  });
  afterAll(async () => t.drop());

  it('pins the running run first even when the limit would have cut it, and estimates the time left', async () => {
    const { runs } = await findSegmentationRuns(t.db, { caller: physicist, limit: 2, now });
    expect(runs.map((r) => r.study.pseudonym)).toEqual(['PSN-running', 'PSN-queued-other', 'PSN-queued']);
    const running = runs[0]!;
    expect(running.eta).toMatchObject({ remainingMs: 180_000, text: 'about 3 min' });
    expect(running.eta!.basis).toContain('40% done in 2 min');
  });

  it("a queued run's estimate is the median of its own model's recent runs", async () => {
    const { runs } = await findSegmentationRuns(t.db, { caller: physicist, now });
    const by = Object.fromEntries(runs.map((r) => [r.study.pseudonym, r]));
    expect(by['PSN-queued']!.eta).toMatchObject({ remainingMs: 4 * 60_000, text: 'about 4 min' });
    expect(by['PSN-queued']!.eta!.basis).toContain('last 3 succeeded runs of iseg 1.0.0');
    expect(by['PSN-queued-other']!.eta).toMatchObject({ remainingMs: 30 * 60_000, text: 'about 30 min' });
    expect(by['PSN-done-3']!.eta).toBeNull();
    // A status filter lists only that status (running ones are not pinned into another filter).
    const queued = await findSegmentationRuns(t.db, { caller: physicist, status: 'QUEUED', now });
    expect(queued.runs.map((r) => r.status)).toEqual(['QUEUED', 'QUEUED']);
  });
});
