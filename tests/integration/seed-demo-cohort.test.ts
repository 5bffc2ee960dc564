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
import { DEMO_ALERT_CONFIG } from '../../lib/core/phantom/scanner';

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
      const reference = s.physicianStructures.filter((p) => p.referenceObserver);
      expect(reference.filter((p) => p.kind === 'GTV')).toHaveLength(10);
      expect(reference.filter((p) => p.kind === 'ITV')).toHaveLength(1);
      const row = manifest.cohort.find((r: { patientId: string }) => r.patientId === s.patient.identity!.mrn);
      expect(row).toBeTruthy();
      // The physician ITV stored equals the generator's (voxel count from its summary).
      expect(reference.find((p) => p.kind === 'ITV')!.voxelCount).toBe(row.summary.physicianItvVoxels);
      // Every third patient (the third here) has a second observer's RTSTRUCTs (docs/observers.md): stored with its OperatorsName.
      const others = s.physicianStructures.filter((p) => !p.referenceObserver);
      if (row.index % 3 === 2) {
        expect(row.secondObserver).toBeTruthy();
        expect(others.filter((p) => p.kind === 'GTV')).toHaveLength(10);
        expect(others.filter((p) => p.kind === 'ITV')).toHaveLength(1);
        expect(new Set(others.map((p) => p.observer))).toEqual(new Set([row.secondObserver.name]));
        expect(new Set(reference.map((p) => p.observer)).has(row.secondObserver.name)).toBe(false);
      } else expect(others).toEqual([]);
      // The plan and its dose import with the study; the physician ITV gets ≥ 95 % of the prescription.
      const plans = await t.db.treatmentPlan.findMany({ where: { studyId: s.id } });
      expect(plans.map((p) => [p.prescriptionGy, p.fractions])).toEqual([[row.plan.prescriptionGy, row.plan.fractions]]);
      expect(await t.db.doseGrid.count({ where: { studyId: s.id } })).toBe(1);
      const itvDose = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId: s.id, region: 'PHYSICIAN_ITV', componentIndex: null } });
      expect(itvDose.prescriptionGy).toBe(row.plan.prescriptionGy);
      expect((itvDose.values as Record<string, number>).v95Pct).toBeGreaterThan(90);
      expect(s.patient.outcome).toMatchObject({
        localFailure: row.outcome.localFailure,
        died: row.outcome.died,
        lastFollowUpDays: row.outcome.lastFollowUpDays,
      });
    }
    // Imported in study-date order (the runs then finish in the order the control charts draw them).
    const byImport = await t.db.study.findMany({ orderBy: { importedAt: 'asc' }, select: { studyDate: true } });
    const dates = byImport.map((s) => s.studyDate!.toISOString());
    expect(dates).toEqual([...dates].sort());
    expect(manifest.cohort.map((r: { studyDate: string }) => r.studyDate)).not.toEqual(
      [...manifest.cohort.map((r: { studyDate: string }) => r.studyDate)].sort(),
    );
    // The demo's monitoring configuration is stored as version 1, by the seed, audited.
    const configs = await t.db.monitoringConfig.findMany();
    expect(configs).toHaveLength(1);
    expect(configs[0]).toMatchObject({ version: 1, config: DEMO_ALERT_CONFIG, createdByEmail: 'system:demo-seed' });
    expect(configs[0]!.note).toContain(`the first ${DEMO_ALERT_CONFIG.baselineN} studies`);
    expect(await t.db.auditEvent.count({ where: { action: 'monitoring.config.save', target: 'monitoring-config:v1' } })).toBe(1);
    const again = await seedDemoCohort(t.db, options);
    expect(again.seeded).toBe(false);
    expect(await t.db.monitoringConfig.count()).toBe(1);
    expect(await t.db.study.count()).toBe(3);
    expect(await t.db.demoSeed.findUnique({ where: { id: 1 } })).toMatchObject({ state: 'done', patients: 3, imported: 3 });
  }, 120_000);

  it('a seed stopped between patients (Ctrl-C) resumes on the next start where it stopped; a database with patients of its own is never seeded', async () => {
    const t2 = await createTestDatabase('seed-resume');
    const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-seed-'));
    try {
      const options = {
        dataDir: dir2,
        volumeDir: path.join(dir2, 'volumes'),
        patients: 3,
        dims: [32, 32, 16] as [number, number, number],
        spacingMm: [10, 10, 12] as [number, number, number],
      };
      const lines: string[] = [];
      const stopped = await seedDemoCohort(t2.db, { ...options, shouldStop: () => true, log: (l) => lines.push(l) });
      expect(stopped).toMatchObject({ seeded: false, patients: 1 });
      expect(lines.join('\n')).toContain('Stopped seeding the demo cohort at 1/3; the next start resumes it.');
      expect(await t2.db.demoSeed.findUnique({ where: { id: 1 } })).toMatchObject({ state: 'importing', patients: 3, imported: 1 });
      expect(await t2.db.study.count()).toBe(1);
      // The next start resumes, although the database now holds a patient.
      const resumed = await seedDemoCohort(t2.db, options);
      expect(resumed).toMatchObject({ seeded: true, patients: 3 });
      expect(await t2.db.study.count()).toBe(3);
      expect(await t2.db.outcome.count()).toBe(3);
      expect(await t2.db.demoSeed.findUnique({ where: { id: 1 } })).toMatchObject({ state: 'done', imported: 3 });
      // Stored once, by the first start; a configuration saved by someone else is never replaced.
      expect(await t2.db.monitoringConfig.count()).toBe(1);
    } finally {
      await t2.drop();
      fs.rmSync(dir2, { recursive: true, force: true });
    }
    // A department's database (patients, no seed row) is left alone.
    const t3 = await createTestDatabase('seed-existing');
    const dir3 = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-seed-'));
    try {
      const institution = await t3.db.institution.create({ data: { name: 'Existing' } });
      await t3.db.patient.create({ data: { pseudonym: 'PSEUDO-EXISTING', institutionId: institution.id } });
      const r = await seedDemoCohort(t3.db, { dataDir: dir3, volumeDir: path.join(dir3, 'volumes'), patients: 2, dims: [32, 32, 16], spacingMm: [10, 10, 12] });
      expect(r.seeded).toBe(false);
      expect(await t3.db.demoSeed.count()).toBe(0);
      expect(await t3.db.monitoringConfig.count()).toBe(0);
      expect(fs.existsSync(path.join(dir3, 'demo-cohort'))).toBe(false);
    } finally {
      await t3.drop();
      fs.rmSync(dir3, { recursive: true, force: true });
    }
  }, 240_000);
});
