/**
 * A physicist chooses which physician structure is the reference the machine contours are
 * measured against, when the ROI names do not say (a planning study with BODY, CTV, BrainStem…:
 * classify-structure.ts recognises no GTV or ITV) or say it wrongly.
 *
 * - `role: 'GTV'` makes the structure the reference GTV of its CT (phase): any other GTV on that
 *   series, or of that phase, becomes OTHER. `role: 'ITV'` makes it the study's reference ITV:
 *   any other ITV becomes OTHER. Every structure changed records when and by whom
 *   (kindChosenAt, kindChosenBy), in one transaction with the audit event
 *   `study.reference_chosen` (structure ids, role, the kinds before; never the ROI names, which
 *   are identified free text).
 * - Then the metrics are made: a run of the study is queued with the model of its latest run
 *   (or the configured default model when it has none), through createSegmentationRun, which
 *   returns the run already queued or running instead of starting a second one. The worker
 *   reads the reference structures when it reaches the metrics, so a queued or still-segmenting
 *   run uses the choice too.
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN (studies:choose-reference), NOT_FOUND (study or
 *   structure), INVALID_INPUT (a structure of another study, or one without a mask).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { env } from '../env';
import { findModelFolderForVersion } from '../models/find-model-folder';
import { createSegmentationRun, RUN_PRIORITY } from '../runs/create-segmentation-run';

export type ReferenceRole = 'GTV' | 'ITV';

export type ReferenceRequeue = { queued: true; runId: string; created: boolean; model: string } | { queued: false; reason: string };

export interface ChooseReferenceResult {
  /** False when the structure already was the reference in that role (nothing changed). */
  changed: boolean;
  /** Structures whose kind changed, with the kind before. */
  updated: { id: string; from: string; to: string }[];
  run: ReferenceRequeue;
}

export async function chooseReferenceStructure(
  db: Db,
  boss: PgBoss,
  { caller, studyId, structureId, role, modelsRoot }: { caller: Caller; studyId: string; structureId: string; role: ReferenceRole; modelsRoot?: string },
): Promise<ChooseReferenceResult> {
  const who = authorize(caller, 'studies:choose-reference');
  if (role !== 'GTV' && role !== 'ITV') throw new AppError('INVALID_INPUT', `The reference role must be GTV or ITV, not "${String(role)}".`);
  const study = await db.study.findUnique({
    where: { id: studyId },
    select: { id: true, patientId: true, physicianStructures: { select: { id: true, kind: true, seriesId: true, phaseIndex: true, maskKey: true } } },
  });
  if (!study) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const chosen = study.physicianStructures.find((s) => s.id === structureId);
  if (!chosen) {
    const elsewhere = await db.physicianStructure.count({ where: { id: structureId } });
    if (elsewhere) throw new AppError('INVALID_INPUT', `Structure ${structureId} belongs to another study, not to study ${studyId}.`);
    throw new AppError('NOT_FOUND', `Structure ${structureId} does not exist in study ${studyId}.`);
  }
  if (!chosen.maskKey)
    throw new AppError(
      'INVALID_INPUT',
      `Structure ${structureId} has no stored mask (its contours lay outside the CT?); it cannot be the reference. Re-import its RTSTRUCT.`,
    );

  const replaced = study.physicianStructures.filter(
    (s) =>
      s.id !== chosen.id &&
      s.kind === role &&
      (role === 'ITV' || s.seriesId === chosen.seriesId || (chosen.phaseIndex !== null && s.phaseIndex === chosen.phaseIndex)),
  );
  const updated = [
    ...(chosen.kind !== role ? [{ id: chosen.id, from: chosen.kind, to: role }] : []),
    ...replaced.map((s) => ({ id: s.id, from: s.kind, to: 'OTHER' })),
  ];
  if (updated.length > 0) {
    const now = new Date();
    await db.$transaction(async (tx) => {
      for (const u of updated)
        await tx.physicianStructure.update({
          where: { id: u.id },
          data: { kind: u.to as ReferenceRole | 'OTHER', kindChosenAt: now, kindChosenBy: who.userId },
        });
      await tx.auditEvent.create({
        data: {
          action: 'study.reference_chosen',
          userId: who.userId,
          userEmail: who.email,
          role: who.role,
          patientId: study.patientId,
          target: `study:${study.id}`,
          ip: who.ip ?? null,
          userAgent: who.userAgent ?? null,
          details: { structureId: chosen.id, role, changes: updated },
        },
      });
    });
  }
  // Choosing the reference it already is re-queues only when no metrics against it exist yet.
  if (updated.length === 0 && (await db.metricResult.count({ where: { referenceStructureId: chosen.id } })) > 0)
    return { changed: false, updated, run: { queued: false, reason: 'The metrics against this reference exist already.' } };
  return { changed: updated.length > 0, updated, run: await requeue(db, boss, { caller: who, studyId, modelsRoot }) };
}

/** Queue a run so the metrics against the (new) reference are made; see the module comment. */
async function requeue(
  db: Db,
  boss: PgBoss,
  { caller, studyId, modelsRoot }: { caller: Caller; studyId: string; modelsRoot?: string },
): Promise<ReferenceRequeue> {
  const latest = await db.segmentationRun.findFirst({ where: { studyId }, orderBy: [{ queuedAt: 'desc' }, { id: 'desc' }], include: { modelVersion: true } });
  let modelDir: string;
  let model: string;
  if (latest) {
    const mv = latest.modelVersion;
    const folder = await findModelFolderForVersion(mv, { modelsRoot });
    if (!folder)
      return {
        queued: false,
        reason: `Model ${mv.name} ${mv.version} of the last run is not installed with a matching file any more: install it (the models page says why it does not verify), then segment the study again.`,
      };
    modelDir = folder.dir;
    model = `${mv.name} ${mv.version}`;
  } else {
    modelDir = path.join(/*turbopackIgnore: true*/ modelsRoot ?? env().modelsDir, env().ISEG_MODEL);
    if (!fs.existsSync(path.join(modelDir, 'manifest.json')))
      return { queued: false, reason: `No model "${env().ISEG_MODEL}" is installed to segment the study (see the models page).` };
    model = env().ISEG_MODEL;
  }
  const r = await createSegmentationRun(db, boss, { caller, studyId, modelDir, priority: RUN_PRIORITY.interactive });
  return { queued: true, runId: r.runId, created: r.created, model };
}
