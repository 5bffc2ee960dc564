/**
 * The cohort page's GTV row (median [IQR] of Dice, HD95 and FP volume over every phase of every
 * summarised study, pooled) against a reference computed the way the page computed it before
 * the pooling moved into the cohort query: each study's latest succeeded run (of the filtered
 * model) read with Prisma, its RunPhaseSummary values pooled in JavaScript and summarised with
 * lib/core's medianIqr (R type 7). On a seeded cohort (the dashboard benchmark's generator) plus
 * phases without values, under several filters. The numbers must be equal, not close: equal
 * numbers print equally at any precision the page uses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedSyntheticStudies } from '../../../bench/dashboard/seed-studies';
import { findCohortCases } from '../../../lib/server/cohort/find-cohort-cases';
import { computeCohortStats, medianIqr, type SummaryRow } from '../../../lib/core/stats/cohort-stats';
import { runSummaryCreate, type RunSummary } from '../../../lib/server/runs/run-summary.types';
import type { CohortFilters } from '../../../lib/server/cohort/find-cohort-cases.types';
import type { Caller } from '../../../lib/server/auth/roles';

const physicist: Caller = { userId: 'u-p', email: 'p@x.org', name: 'P', role: 'PHYSICIST' };
const none: CohortFilters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };

/** A summary whose phases have the given Dice (null: no value, as for a phase without a physician contour). */
function summary(dice: (number | null)[]): RunSummary {
  return {
    schemaVersion: 1,
    phases: dice.map((d, i) => ({
      phaseIndex: i,
      phasePercent: i * 10,
      machineCc: 10,
      physicianCc: d === null ? null : 10,
      machineCentroidMm: [0, 0, i],
      physicianCentroidMm: d === null ? null : [0, 0, i],
      dice: d,
      hd95Mm: d === null ? null : 2 + i / 3,
      fpCc: d === null ? null : 0.25 * i,
      outlier: false,
    })),
    gtv: { medianDice: null, minDice: null, medianHd95Mm: null, medianFpCc: null },
    itv: { dice: 0.7, hd95Mm: 4, fpVoxels: 10, fpCc: 1.5, fpFraction: 0.1, fnCc: 1, machineCc: 20, physicianCc: 21, maxFpDistanceMm: 3, largestFpRegionCc: 1 },
    motion: { machine: { LR: 0, AP: 0, SI: 2, maxMm: 2 }, physician: { LR: 0, AP: 0, SI: 4, maxMm: 4 } },
    flags: [],
    thresholds: { itvDice: 0.5, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
  };
}

describe('the cohort GTV row (pooled phases)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('cohort_pooled');
    await seedSyntheticStudies(t.db, { studies: 600, seed: 7 });
    // Phases without values, a study with none at all, and a study whose later run of the
    // other model has a different summary (the model filter picks one or the other).
    const inst = 'bench-inst-Kyoto';
    const edge = async (k: string, runs: { model: string; at: string; dice: (number | null)[]; patch?: (s: RunSummary) => void }[]) => {
      const p = await t.db.patient.create({ data: { pseudonym: `EDGE-${k}`, institutionId: inst } });
      const s = await t.db.study.create({
        data: { patientId: p.id, studyInstanceUid: `2.25.7${k.charCodeAt(0)}`, contentHash: `edge-${k}`, studyDate: new Date('2020-01-01T00:00:00Z') },
      });
      for (const r of runs) {
        const sum = summary(r.dice);
        r.patch?.(sum);
        await t.db.segmentationRun.create({
          data: {
            studyId: s.id,
            modelVersionId: r.model,
            status: 'SUCCEEDED',
            queuedAt: new Date(r.at),
            finishedAt: new Date(r.at),
            summary: { create: runSummaryCreate(sum) },
          },
        });
      }
    };
    // Non-finite values stored in a float column are left out, as medianIqr leaves them out.
    const nonFinite = (x: RunSummary) => {
      x.phases[0]!.hd95Mm = Infinity;
      x.phases[2]!.fpCc = NaN;
    };
    await edge('A', [{ model: 'bench-model-1', at: '2020-01-02T00:00:00Z', dice: [0.61, null, 0.63, null, 0.7], patch: nonFinite }]);
    await edge('B', [{ model: 'bench-model-2', at: '2020-01-02T00:00:00Z', dice: [null, null, null] }]);
    await edge('C', [
      { model: 'bench-model-1', at: '2020-01-02T00:00:00Z', dice: [0.11, 0.12, 0.13] },
      { model: 'bench-model-2', at: '2020-01-03T00:00:00Z', dice: [0.91, 0.92, 0.93, 0.94] },
    ]);
  }, 120_000);
  afterAll(async () => t.drop());

  /** The GTV row as the page computed it before: per study, the phases of its latest succeeded run, pooled in JavaScript. */
  async function reference(studyIds: string[], model: string | null): Promise<SummaryRow> {
    const runs = await t.db.segmentationRun.findMany({
      where: { studyId: { in: studyIds }, status: 'SUCCEEDED', ...(model ? { modelVersionId: model } : {}) },
      orderBy: [{ finishedAt: 'desc' }],
      include: { summary: { include: { phases: { orderBy: { position: 'asc' } } } } },
    });
    const latest = new Map<string, (typeof runs)[number]>();
    for (const r of runs) if (!latest.has(r.studyId)) latest.set(r.studyId, r);
    const phases = [...latest.values()].flatMap((r) => (r.summary ? [r.summary.phases] : []));
    const dice = phases.flatMap((p) => p.map((x) => x.dice));
    const d = medianIqr(dice);
    return {
      structure: 'GTV',
      studies: phases.filter((p) => p.some((x) => x.dice !== null)).length,
      phases: d.n,
      dice: d,
      hd95Mm: medianIqr(phases.flatMap((p) => p.map((x) => x.hd95Mm))),
      fpCc: medianIqr(phases.flatMap((p) => p.map((x) => x.fpCc))),
    };
  }

  const views: [string, Partial<CohortFilters>][] = [
    ['no filter', {}],
    ['one institution', { institution: 'bench-inst-Kyoto' }],
    ['model 1.0.0', { model: 'bench-model-1' }],
    ['model 1.1.0', { model: 'bench-model-2' }],
    ['a date range and a scanner', { from: '2016-01-01', to: '2019-12-31', scanner: 'GE Discovery RT' }],
    ['nothing matches', { institution: 'no-such-institution' }],
  ];
  it.each(views)('%s: equal to the phases pooled in JavaScript', async (_label, f) => {
    const filters = { ...none, ...f };
    const { cases, pooledPhases } = await findCohortCases(t.db, { caller: physicist, filters });
    const gtv = computeCohortStats(cases, pooledPhases).rows[0];
    const expected = await reference(
      cases.map((c) => c.studyId),
      filters.model,
    );
    expect(gtv).toEqual(expected);
    if (f.institution !== 'no-such-institution') expect(gtv.phases).toBeGreaterThan(10);
  });

  it('counts only finite values, and only studies with a Dice value', async () => {
    const { cases, pooledPhases } = await findCohortCases(t.db, { caller: physicist, filters: { ...none, model: 'bench-model-1' } });
    const all = computeCohortStats(cases, pooledPhases).rows[0];
    const edgeOnly = cases.filter((c) => c.pseudonym.startsWith('EDGE-'));
    expect(edgeOnly.map((c) => c.pseudonym).sort()).toEqual(['EDGE-A', 'EDGE-C']);
    // EDGE-A: 3 of 5 phases have values; EDGE-C under model 1: 3 phases.
    const withoutEdges = await reference(
      cases.filter((c) => !c.pseudonym.startsWith('EDGE-')).map((c) => c.studyId),
      'bench-model-1',
    );
    expect(all.phases).toBe(withoutEdges.phases! + 6);
    expect(all.studies).toBe(withoutEdges.studies + 2);
  });
});
