/**
 * First-run demo cohort: synthetic 4D CT lung patients (lib/core/phantom) written as real DICOM
 * (one CT series per respiratory phase, the physician's RTSTRUCTs, an RTPLAN and its RTDOSE) under
 * `<data dir>/demo-cohort`, then imported through the same import service a department uses,
 * with simulated local-failure outcomes (write-phantom-cohort.ts OUTCOME_MODEL: hazard ×2 per cc
 * of missed tumour the plan gives < 95 % of its prescription). Deterministic for a seed. When a model is
 * configured, each study gets a segmentation run. Patients are imported in study-date order (so
 * their runs finish roughly in that order and the drift alerts, evaluated as each run finishes,
 * see each series grow as a department's would), and before the first import the seed stores the
 * demo's monitoring configuration (DEMO_ALERT_CONFIG: a baseline short enough for the demo's
 * scanner change to be watched; docs/monitoring.md) unless one was saved already.
 *
 * Runs on a database that holds no patients, and resumes one it started and did not finish: its
 * progress is the DemoSeed row (the cohort page shows it while `npm start` seeds in the
 * background), and every import is idempotent, so a seed cut by Ctrl-C or kill -9 picks up where
 * it stopped on the next start. A database with patients and no DemoSeed row is never seeded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import type { Vec3 } from '../../core/volume';
import type { SimulatedOutcome } from '../../core/phantom';
import { generatePhantomCohort } from './write-phantom-cohort';
import { createVolumeStore } from '../storage/volume-store';
import { importStudyAndQueue } from '../studies/import-study-and-queue';
import { DEMO_ALERT_CONFIG } from '../../core/phantom/scanner';
import { loadMonitoringConfig } from '../monitoring/load-monitoring-config';
import { saveMonitoringConfig } from '../monitoring/save-monitoring-config';
import { AppError } from '../errors';

const SEED_CALLER: Caller = { userId: 'system:demo-seed', email: 'system:demo-seed', name: 'demo seed', role: 'PHYSICIST', userAgent: 'npm start' };

export interface SeedDemoCohortOptions {
  dataDir: string;
  volumeDir: string;
  patients: number;
  dims: Vec3;
  spacingMm: Vec3;
  seed?: string;
  boss?: PgBoss;
  log?: (line: string) => void;
  /** Checked between patients: true stops the seed (it resumes on the next start). */
  shouldStop?: () => boolean;
}

export async function seedDemoCohort(db: Db, o: SeedDemoCohortOptions): Promise<{ seeded: boolean; patients: number; runsQueued: number }> {
  const progress = await db.demoSeed.findUnique({ where: { id: 1 } });
  if (progress?.state === 'done') return { seeded: false, patients: 0, runsQueued: 0 };
  if (!progress && (await db.patient.count()) > 0) return { seeded: false, patients: 0, runsQueued: 0 };
  const log = o.log ?? (() => {});
  const dir = path.join(o.dataDir, 'demo-cohort');
  const manifestPath = path.join(dir, 'cohort.json');
  type Row = { folder: string; patientId: string; studyDate: string; outcome: SimulatedOutcome };
  let manifest: { patients: number; cohort: Row[] } | null = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null;
  if (!manifest || manifest.patients !== o.patients) {
    await db.demoSeed.upsert({
      where: { id: 1 },
      create: { state: 'writing', patients: o.patients },
      update: { state: 'writing', patients: o.patients, imported: 0, error: null, finishedAt: null },
    });
    log(`Writing ${o.patients} synthetic 4D CT patients as DICOM to ${dir} (first start only)…`);
    fs.rmSync(dir, { recursive: true, force: true });
    manifest = (await generatePhantomCohort({
      out: dir,
      patients: o.patients,
      seed: o.seed ?? 'iseg-demo',
      dims: o.dims,
      spacingMm: o.spacingMm,
      rtstruct: true,
    })) as unknown as { patients: number; cohort: Row[] };
  }
  await db.demoSeed.upsert({
    where: { id: 1 },
    create: { state: 'importing', patients: manifest.cohort.length },
    update: { state: 'importing', patients: manifest.cohort.length, error: null, finishedAt: null },
  });
  if ((await loadMonitoringConfig(db)).version === 0) {
    try {
      await saveMonitoringConfig(db, {
        caller: SEED_CALLER,
        input: DEMO_ALERT_CONFIG,
        basedOnVersion: 0,
        note: `Demo cohort: baseline the first ${DEMO_ALERT_CONFIG.baselineN} studies of each series (the default is 20), so that the demo's scanner change is watched.`,
      });
    } catch (e) {
      // Someone saved a configuration meanwhile: theirs stands.
      if (!(e instanceof AppError && e.code === 'CONFLICT')) throw e;
    }
  }
  const store = createVolumeStore({ dir: o.volumeDir });
  // In study-date order (ties by patient): the runs then finish roughly in the order the charts draw them.
  const rows = [...manifest.cohort].sort((a, b) => a.studyDate.localeCompare(b.studyDate) || a.patientId.localeCompare(b.patientId));
  let runsQueued = 0;
  // Resuming: the patients before `imported` are in (each import is idempotent anyway).
  const done = progress?.state === 'importing' && progress.patients === manifest.cohort.length ? progress.imported : 0;
  let n = 0;
  for (const row of rows) {
    n++;
    if (n <= done) continue;
    const r = await importStudyAndQueue({
      db,
      boss: o.boss ?? null,
      caller: SEED_CALLER,
      dir: path.join(dir, row.folder, 'dicom'),
      store,
      label: `demo patient ${row.patientId}`,
    });
    const oc = row.outcome;
    const outcome = {
      localFailure: oc.localFailure,
      localFailureDays: oc.localFailureDays,
      died: oc.died,
      deathDays: oc.deathDays,
      lastFollowUpDays: oc.lastFollowUpDays,
      source: 'demo-seed (simulated)',
    };
    await db.outcome.upsert({ where: { patientId: r.patientId }, create: { patientId: r.patientId, ...outcome }, update: outcome });
    if (r.segmentation?.queued) runsQueued++;
    await db.demoSeed.update({ where: { id: 1 }, data: { imported: n } });
    if (n % 10 === 0 || n === manifest.cohort.length) log(`Imported ${n}/${manifest.cohort.length} demo patients.`);
    if (o.shouldStop?.() && n < manifest.cohort.length) {
      log(`Stopped seeding the demo cohort at ${n}/${manifest.cohort.length}; the next start resumes it.`);
      return { seeded: false, patients: n, runsQueued };
    }
  }
  await db.demoSeed.update({ where: { id: 1 }, data: { state: 'done', imported: manifest.cohort.length, finishedAt: new Date() } });
  return { seeded: true, patients: manifest.cohort.length, runsQueued };
}
