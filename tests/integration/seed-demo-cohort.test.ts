/**
 * The first-run demo cohort: synthetic 4D CT patients written as real DICOM, imported through
 * the import service, with simulated outcomes. Runs once; a second start changes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { seedDemoCohort } from '../../lib/server/seed/seed-demo-cohort';

describe('demo cohort seed', () => {
  let t: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    t = await createTestDatabase('seed');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-seed-'));
  });
  afterAll(async () => {
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('imports each synthetic patient as a 10-phase 4D CT with physician GTVs and ITV, plus outcomes; once', async () => {
    const options = {
      dataDir: dir,
      volumeDir: path.join(dir, 'volumes'),
      patients: 3,
      dims: [32, 32, 16] as [number, number, number],
      spacingMm: [10, 10, 12] as [number, number, number],
    };
    const first = await seedDemoCohort(t.db, options);
    expect(first).toMatchObject({ seeded: true, patients: 3 });
    const studies = await t.db.study.findMany({
      include: { series: true, physicianStructures: true, patient: { include: { outcome: true, identity: true } } },
    });
    expect(studies).toHaveLength(3);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'demo-cohort', 'cohort.json'), 'utf8'));
    for (const s of studies) {
      expect(s.series.map((x) => x.phasePercent).sort((a, b) => a! - b!)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
      expect(s.physicianStructures.filter((p) => p.kind === 'GTV')).toHaveLength(10);
      expect(s.physicianStructures.filter((p) => p.kind === 'ITV')).toHaveLength(1);
      const row = manifest.cohort.find((r: { patientId: string }) => r.patientId === s.patient.identity!.mrn);
      expect(row).toBeTruthy();
      // The physician ITV stored equals the generator's (voxel count from its summary).
      expect(s.physicianStructures.find((p) => p.kind === 'ITV')!.voxelCount).toBe(row.summary.physicianItvVoxels);
      expect(s.patient.outcome).toMatchObject({
        localFailure: row.outcome.localFailure,
        died: row.outcome.died,
        lastFollowUpDays: row.outcome.lastFollowUpDays,
      });
    }
    const again = await seedDemoCohort(t.db, options);
    expect(again.seeded).toBe(false);
    expect(await t.db.study.count()).toBe(3);
  }, 120_000);
});
