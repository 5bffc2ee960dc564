/**
 * First-run demo cohort: synthetic 4D CT lung patients (lib/core/phantom) written as real DICOM
 * (one CT series per respiratory phase plus the physician's RTSTRUCTs) under
 * `<data dir>/demo-cohort`, then imported through the same import service a department uses,
 * with simulated local-failure outcomes (write-phantom-cohort.ts OUTCOME_MODEL: hazard
 * ×1.01 per tumour voxel the physician ITV missed). Deterministic for a seed. Runs only when the
 * database holds no patients. When a model is configured, each study gets a segmentation run.
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
}

export async function seedDemoCohort(db: Db, o: SeedDemoCohortOptions): Promise<{ seeded: boolean; patients: number; runsQueued: number }> {
  if ((await db.patient.count()) > 0) return { seeded: false, patients: 0, runsQueued: 0 };
  const log = o.log ?? (() => {});
  const dir = path.join(o.dataDir, 'demo-cohort');
  const manifestPath = path.join(dir, 'cohort.json');
  type Row = { folder: string; patientId: string; outcome: SimulatedOutcome };
  let manifest: { patients: number; cohort: Row[] } | null = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : null;
  if (!manifest || manifest.patients !== o.patients) {
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
  const store = createVolumeStore({ dir: o.volumeDir });
  let runsQueued = 0;
  let n = 0;
  for (const row of manifest.cohort) {
    n++;
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
    if (n % 10 === 0 || n === manifest.cohort.length) log(`Imported ${n}/${manifest.cohort.length} demo patients.`);
  }
  return { seeded: true, patients: manifest.cohort.length, runsQueued };
}
