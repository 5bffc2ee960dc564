/**
 * The backfill of migration 20261206100000_run_summary_read_model: the JSON summaries that
 * succeeded runs stored in SegmentationRun.summary become RunSummary / RunPhaseSummary rows that
 * read back (runSummaryFromRow) as the same value. The migrated test database gets the old
 * column back, the JSON is written, and the migration's own backfill statements are run.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { RUN_SUMMARY_INCLUDE, runSummaryFromRow, type RunSummary } from '../../../lib/server/runs/run-summary.types';

const MIGRATION = path.resolve(import.meta.dirname, '..', '..', '..', 'prisma', 'migrations', '20261206100000_run_summary_read_model', 'migration.sql');

const stored: RunSummary = {
  schemaVersion: 1,
  phases: [
    {
      phaseIndex: 0,
      phasePercent: 0,
      machineCc: 10.5,
      physicianCc: 11,
      machineCentroidMm: [1.5, -2, 30],
      physicianCentroidMm: [1, -2, 31],
      dice: 0.81,
      hd95Mm: 3.2,
      fpCc: 0.4,
      outlier: false,
    },
    // an empty machine phase: no centroid, Dice 0, no HD95
    {
      phaseIndex: 1,
      phasePercent: 50,
      machineCc: 0,
      physicianCc: 12,
      machineCentroidMm: null,
      physicianCentroidMm: [1, -2, 36],
      dice: 0,
      hd95Mm: null,
      fpCc: 0,
      outlier: true,
    },
  ],
  gtv: { medianDice: 0.405, minDice: 0, medianHd95Mm: 3.2, medianFpCc: 0.2 },
  itv: {
    dice: 0.7,
    hd95Mm: 5.5,
    fpVoxels: 120,
    fpCc: 3.25,
    fpFraction: 0.12,
    fnCc: 2,
    machineCc: 21,
    physicianCc: 19,
    maxFpDistanceMm: 12.5,
    largestFpRegionCc: 2.5,
  },
  motion: { machine: { LR: 0.5, AP: 1, SI: 6, maxMm: 6.1 }, physician: null },
  flags: ['DISTANT_FP', 'OUTLIER_PHASE'],
  thresholds: { itvDice: 0.5, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
};

describe('migration run_summary_read_model: backfill from the JSON summaries', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('run_summary_migration');
  });
  afterAll(async () => t.drop());

  it('turns each succeeded run’s JSON summary into typed rows that read back unchanged; other runs get none', async () => {
    const inst = await t.db.institution.create({ data: { name: 'Migration' } });
    const patient = await t.db.patient.create({ data: { pseudonym: 'P-MIG', institutionId: inst.id } });
    const study = await t.db.study.create({ data: { patientId: patient.id, studyInstanceUid: '2.25.4242', contentHash: 'mig' } });
    const model = await t.db.modelVersion.create({ data: { name: 'm', version: '1', sha256: 'c'.repeat(64), manifest: {} } });
    const run = (status: 'SUCCEEDED' | 'FAILED') => t.db.segmentationRun.create({ data: { studyId: study.id, modelVersionId: model.id, status } });
    const ok = await run('SUCCEEDED');
    const noSummary = await run('SUCCEEDED');
    const failed = await run('FAILED');

    const sql = fs.readFileSync(MIGRATION, 'utf8');
    const backfill = sql.slice(sql.indexOf('-- Backfill'), sql.indexOf('-- AlterTable'));
    expect(backfill).toMatch(/INSERT INTO "RunSummary"/);
    const c = new pg.Client({ connectionString: t.ownerUrl });
    await c.connect();
    try {
      await c.query('ALTER TABLE "SegmentationRun" ADD COLUMN "summary" JSONB');
      await c.query('UPDATE "SegmentationRun" SET summary = $1 WHERE id = ANY($2)', [JSON.stringify(stored), [ok.id, failed.id]]);
      await c.query(backfill);
      await c.query('ALTER TABLE "SegmentationRun" DROP COLUMN "summary"');
    } finally {
      await c.end();
    }

    const rows = await t.db.runSummary.findMany({ include: RUN_SUMMARY_INCLUDE });
    expect(rows.map((r) => r.runId)).toEqual([ok.id]);
    expect(runSummaryFromRow(rows[0])).toEqual(stored);
    expect(await t.db.runPhaseSummary.count({ where: { runId: { in: [noSummary.id, failed.id] } } })).toBe(0);
  });
});
