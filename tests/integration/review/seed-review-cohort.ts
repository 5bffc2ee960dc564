/**
 * A small review cohort with hand-chosen numbers, so that the ranking can be checked against
 * orders worked out by hand (review.test.ts). A succeeded run with `metrics` gets the summary
 * rows those numbers make (and the metric rows, in the worker's conventions 'overlap', 'voxel',
 * 'discordance'); REV-04 gives its summary directly, with motion and flags; REV-06 has none.
 */
import type { Db } from '@/lib/server/db/client';
import { medianOf } from '@/lib/core/stats/quantile';
import { runSummaryCreate, type RunSummary } from '@/lib/server/runs/run-summary.types';

/** The summary a run with these metric values has (what the review reads). */
function summaryOf(m: MetricSpec): RunSummary {
  const medianDice = medianOf(m.gtvDice);
  return {
    schemaVersion: 1,
    phases: m.gtvDice.map((dice, k) => ({
      phaseIndex: k,
      phasePercent: null,
      machineCc: null,
      physicianCc: 10,
      machineCentroidMm: null,
      physicianCentroidMm: null,
      dice,
      hd95Mm: null,
      fpCc: null,
      outlier: false,
    })),
    gtv: { medianDice, minDice: m.gtvDice.length ? Math.min(...m.gtvDice) : null, medianHd95Mm: null, medianFpCc: null },
    itv: {
      dice: m.itvDice,
      hd95Mm: m.hd95Mm,
      fpVoxels: null,
      fpCc: m.fpCc,
      fpFraction: null,
      fnCc: null,
      machineCc: null,
      physicianCc: 20,
      maxFpDistanceMm: m.fpDistancesMm.length ? Math.max(...m.fpDistancesMm) : null,
      largestFpRegionCc: m.fpDistancesMm.length ? 0.1 : 0,
    },
    motion: { machine: null, physician: null },
    flags: [],
    thresholds: { itvDice: 0.5, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
  };
}

export interface SeededReviewCohort {
  studies: Record<string, { studyId: string; patientId: string; latestRunId: string | null; name: string; mrn: string }>;
  users: Record<'ADMIN' | 'PHYSICIST' | 'RESEARCHER' | 'REVIEWER', { id: string; email: string; name: string }>;
}

interface MetricSpec {
  itvDice: number | null;
  fpCc: number;
  fpDistancesMm: number[];
  hd95Mm: number;
  gtvDice: number[];
}

export async function seedReviewCohort(db: Db): Promise<SeededReviewCohort> {
  const inst = await db.institution.create({ data: { name: 'Review Test Hospital' } });
  const model = await db.modelVersion.create({ data: { name: 'review-test-model', version: '1.0', sha256: 'b'.repeat(64), manifest: {} } });
  const users = {} as SeededReviewCohort['users'];
  for (const role of ['ADMIN', 'PHYSICIST', 'RESEARCHER', 'REVIEWER'] as const) {
    const u = await db.user.create({ data: { email: `${role.toLowerCase()}@review.test`, name: `Dr ${role.toLowerCase()}`, role, passwordHash: 'x' } });
    users[role] = { id: u.id, email: u.email, name: u.name };
  }
  const studies: SeededReviewCohort['studies'] = {};
  let serial = 0;

  async function study(pseudonym: string) {
    serial++;
    const name = `REVIEW^PATIENT${serial}`;
    const mrn = `MRN55${String(serial).padStart(4, '0')}`;
    const patient = await db.patient.create({
      data: { pseudonym, institutionId: inst.id, identity: { create: { name, mrn, dateShiftDays: -5 } } },
    });
    const s = await db.study.create({
      data: { patientId: patient.id, studyInstanceUid: `2.25.77${serial}`, contentHash: `review-${serial}`, description: `4D CT ${pseudonym}` },
    });
    const series = await db.imageSeries.create({
      data: {
        studyId: s.id,
        seriesInstanceUid: `2.25.66${serial}`,
        modality: 'CT',
        phaseIndex: 0,
        phasePercent: 0,
        dims: [8, 8, 8],
        spacingMm: [1, 1, 2],
        originMm: [0, 0, 0],
        direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      },
    });
    const itvRef = await db.physicianStructure.create({ data: { studyId: s.id, seriesId: series.id, name: 'ITV', kind: 'ITV', volumeCc: 20 } });
    const gtvRef = await db.physicianStructure.create({
      data: { studyId: s.id, seriesId: series.id, name: 'GTV_0', kind: 'GTV', phaseIndex: 0, volumeCc: 10 },
    });
    studies[pseudonym] = { studyId: s.id, patientId: patient.id, latestRunId: null, name, mrn };
    return { s, series, itvRef, gtvRef };
  }

  async function run(
    st: Awaited<ReturnType<typeof study>>,
    { status = 'SUCCEEDED', finishedAt, metrics, summary }: { status?: 'SUCCEEDED' | 'FAILED'; finishedAt: Date; metrics?: MetricSpec; summary?: RunSummary },
  ) {
    const stored = summary ?? (status === 'SUCCEEDED' && metrics ? summaryOf(metrics) : null);
    const r = await db.segmentationRun.create({
      data: { studyId: st.s.id, modelVersionId: model.id, status, finishedAt, ...(stored ? { summary: { create: runSummaryCreate(stored) } } : {}) },
    });
    const common = { studyId: st.s.id, runId: r.id, spacingMm: [1, 1, 2], dims: [8, 8, 8], codeVersion: 'test' };
    if (metrics) {
      const itv = await db.machineStructure.create({ data: { runId: r.id, kind: 'ITV', label: 'ITV' } });
      await db.metricResult.create({
        data: {
          ...common,
          referenceStructureId: st.itvRef.id,
          testStructureId: itv.id,
          convention: 'overlap',
          values: { dice: metrics.itvDice, falsePositiveVolumeCc: metrics.fpCc },
        },
      });
      await db.metricResult.create({
        data: {
          ...common,
          referenceStructureId: st.itvRef.id,
          testStructureId: itv.id,
          convention: 'voxel',
          values: { hd95Mm: metrics.hd95Mm },
          toleranceMm: 2,
        },
      });
      await db.metricResult.create({
        data: {
          ...common,
          referenceStructureId: st.itvRef.id,
          testStructureId: itv.id,
          convention: 'discordance',
          values: {
            falsePositive: metrics.fpDistancesMm.map((d) => ({ kind: 'FP', volumeCc: 0.1, maxDistanceMm: d })),
            falseNegative: [{ kind: 'FN', volumeCc: 9, maxDistanceMm: 99 }],
          },
        },
      });
      for (const [k, dice] of metrics.gtvDice.entries()) {
        const g = await db.machineStructure.create({ data: { runId: r.id, kind: 'GTV', label: `GTV:phase:${k}`, phaseIndex: k } });
        await db.metricResult.create({
          data: { ...common, referenceStructureId: st.gtvRef.id, testStructureId: g.id, convention: 'overlap', values: { dice } },
        });
      }
    }
    if (status === 'SUCCEEDED') {
      const cur = studies[Object.keys(studies).find((p) => studies[p].studyId === st.s.id)!];
      // The latest succeeded run by finish time.
      if (!cur.latestRunId || finishedAt > (await db.segmentationRun.findUniqueOrThrow({ where: { id: cur.latestRunId } })).finishedAt!) cur.latestRunId = r.id;
    }
    return r;
  }

  const t = (day: number) => new Date(Date.UTC(2026, 10, day, 12));
  await run(await study('REV-01'), {
    finishedAt: t(1),
    metrics: { itvDice: 0.62, fpCc: 4.0, fpDistancesMm: [6.0, 14.5], hd95Mm: 8, gtvDice: [0.7, 0.75, 0.8] },
  });
  await run(await study('REV-02'), { finishedAt: t(2), metrics: { itvDice: 0.85, fpCc: 0.5, fpDistancesMm: [3.0], hd95Mm: 3, gtvDice: [0.9] } });
  await run(await study('REV-03'), { finishedAt: t(3), metrics: { itvDice: 0.62, fpCc: 6.5, fpDistancesMm: [22.0, 1.0], hd95Mm: 12, gtvDice: [0.6, 0.66] } });
  await run(await study('REV-04'), {
    finishedAt: t(4),
    summary: {
      schemaVersion: 1,
      phases: [],
      gtv: { medianDice: 0.58, minDice: 0.4, medianHd95Mm: 7.5, medianFpCc: 0.3 },
      itv: {
        dice: 0.55,
        hd95Mm: 9.5,
        fpVoxels: 500,
        fpCc: 1.0,
        fpFraction: 0.1,
        fnCc: 2,
        machineCc: 10,
        physicianCc: 11,
        maxFpDistanceMm: 30.0,
        largestFpRegionCc: 0.8,
      },
      motion: { machine: { LR: 1, AP: 2, SI: 12.5, maxMm: 12.5 }, physician: { LR: 1, AP: 2, SI: 11, maxMm: 11 } },
      flags: ['LOW_DICE', 'DISTANT_FP'],
      thresholds: { itvDice: 0.6, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 20 },
    },
  });
  const s5 = await study('REV-05');
  await run(s5, { finishedAt: t(5), metrics: { itvDice: 0.3, fpCc: 20, fpDistancesMm: [50], hd95Mm: 30, gtvDice: [0.2] } }); // older run: ignored
  await run(s5, { finishedAt: t(6), metrics: { itvDice: 0.9, fpCc: 0, fpDistancesMm: [], hd95Mm: 2, gtvDice: [0.92] } }); // no FP region
  await run(await study('REV-06'), { finishedAt: t(7) }); // succeeded, but no summary (and no metric rows)
  await run(await study('REV-07'), {
    status: 'FAILED',
    finishedAt: t(8),
    metrics: { itvDice: 0.01, fpCc: 99, fpDistancesMm: [99], hd95Mm: 99, gtvDice: [0.01] },
  });
  await run(await study('REV-08'), { finishedAt: t(9), metrics: { itvDice: null, fpCc: 2.0, fpDistancesMm: [9.0], hd95Mm: 5, gtvDice: [] } });
  return { studies, users };
}
