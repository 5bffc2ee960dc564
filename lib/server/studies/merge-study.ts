/**
 * Write a re-import that adds to a stored study (plan-study-merge.ts decides what): ONE
 * transaction that locks the study row, re-reads what is stored, plans, then adds the new series
 * and structures, renumbers phases if needed, appends the findings, updates the content hash and
 * records the audit event. Any error (a conflict found under the lock, a unique key taken
 * meanwhile) rolls all of it back.
 *
 * Series and structures are compared by content hash (sha256 of the uncompressed NIfTI). Rows
 * stored before content hashes were kept have none: the stored file is read (its key checked),
 * decompressed and hashed before the transaction (stored files never change), and the hash is
 * written to the row in the transaction, so each old row is read once (docs/migrations.md).
 */
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import type { ImportFinding, InImportTransaction, PreparedStudy } from './import-study.types';
import { planStudyMerge, type StudyMergePlan } from './plan-study-merge';
import { getPseudonymSecret } from '../deid/get-pseudonym-secret';
import { isUniqueViolation, pseudonymFor } from './write-study';
import { storedContentSha256, volumeStore, type VolumeStore } from '../storage/volume-store';
import { newStudyDose, writeStudyDose } from './write-study-dose';

const UNASSIGNED_INSTITUTION = 'Unassigned';

/** Which structures are the reference: only the latest such finding holds (classify-structure.ts). */
const REFERENCE_CODES = new Set(['REFERENCE_STRUCTURES', 'NO_REFERENCE_STRUCTURE']);

/**
 * Stored findings plus the new ones, without repeating one already stored (same files again);
 * a new reference-structure finding replaces the stored one.
 */
function appendFindings(stored: ImportFinding[], added: ImportFinding[]): ImportFinding[] {
  const key = (f: ImportFinding) => `${f.code}\0${f.file ?? ''}\0${f.message}`;
  const replacesReference = added.some((f) => REFERENCE_CODES.has(f.code));
  const kept = replacesReference ? stored.filter((f) => !REFERENCE_CODES.has(f.code)) : stored;
  const seen = new Set(kept.map(key));
  return [...kept, ...added.filter((f) => !seen.has(key(f)))];
}

export interface MergeStudyResult {
  /** False when the import added nothing (every series and structure was stored already). */
  changed: boolean;
  plan: StudyMergePlan;
}

/**
 * @param patientChecked true when the caller already checked the patient (structure sets alone,
 *   which carry no InstitutionName to derive the pseudonym from).
 */
export async function mergeStudy(options: {
  db: Db;
  caller: Caller;
  studyId: string;
  prepared: PreparedStudy;
  label: string;
  patientChecked?: boolean;
  inTransaction?: InImportTransaction;
  /** Where the stored study's volumes are (default: this process's store). */
  store?: VolumeStore;
}): Promise<MergeStudyResult> {
  const { db, caller, studyId, prepared: p, label } = options;
  const legacy = await legacyContentHashes(db, options.store ?? volumeStore(), studyId, p);
  const secret = await getPseudonymSecret(db);
  const pseudonym = options.patientChecked
    ? null
    : pseudonymFor(secret, p.patient.institutionName ?? UNASSIGNED_INSTITUTION, p.patient.patientId ?? `study:${p.studyInstanceUid}`);
  try {
    return await db.$transaction(
      async (tx) => {
        // Two merges of one study at once: the second waits here and plans against the first's result.
        await tx.$queryRaw`SELECT id FROM "Study" WHERE id = ${studyId} FOR UPDATE`;
        const study = await tx.study.findUniqueOrThrow({
          where: { id: studyId },
          include: {
            patient: { select: { pseudonym: true } },
            series: {
              select: {
                id: true,
                seriesInstanceUid: true,
                description: true,
                phaseIndex: true,
                phasePercent: true,
                volumeKey: true,
                volumeContentSha256: true,
              },
            },
            physicianStructures: {
              select: {
                id: true,
                seriesId: true,
                name: true,
                kind: true,
                phaseIndex: true,
                phasePercent: true,
                maskKey: true,
                maskContentSha256: true,
                observer: true,
                referenceObserver: true,
              },
            },
            _count: { select: { runs: true } },
          },
        });
        const plan = planStudyMerge(
          {
            id: study.id,
            studyInstanceUid: study.studyInstanceUid,
            patientPseudonym: study.patient.pseudonym,
            importedAt: study.importedAt,
            series: study.series.map((s) => ({ ...s, volumeContentSha256: s.volumeContentSha256 ?? legacy.get(s.volumeKey ?? '') ?? null })),
            structures: study.physicianStructures.map((x) => ({ ...x, maskContentSha256: x.maskContentSha256 ?? legacy.get(x.maskKey ?? '') ?? null })),
            segmentationRuns: study._count.runs,
          },
          p,
          pseudonym,
          label,
        );
        // Keep the hashes computed from old rows' files, so they are read only once.
        for (const s of study.series)
          if (s.volumeContentSha256 === null && s.volumeKey && legacy.has(s.volumeKey))
            await tx.imageSeries.update({ where: { id: s.id }, data: { volumeContentSha256: legacy.get(s.volumeKey) } });
        for (const x of study.physicianStructures)
          if (x.maskContentSha256 === null && x.maskKey && legacy.has(x.maskKey))
            await tx.physicianStructure.update({ where: { id: x.id }, data: { maskContentSha256: legacy.get(x.maskKey) } });
        const dose = await newStudyDose(tx, studyId, p);
        if (plan.addSeries.length === 0 && plan.addStructures.length === 0 && dose.doseGrids.length === 0 && dose.plans.length === 0)
          return { changed: false, plan };

        const seriesIds = new Map(study.series.map((s) => [s.seriesInstanceUid, s.id]));
        for (const r of plan.renumberSeries) await tx.imageSeries.update({ where: { id: r.id }, data: { phaseIndex: r.phaseIndex } });
        for (const r of plan.renumberStructures) await tx.physicianStructure.update({ where: { id: r.id }, data: { phaseIndex: r.phaseIndex } });
        for (const s of plan.addSeries) {
          const row = await tx.imageSeries.create({
            data: {
              studyId,
              seriesInstanceUid: s.seriesInstanceUid,
              frameOfReferenceUid: s.frameOfReferenceUid,
              modality: s.modality,
              description: s.description,
              phaseIndex: s.phaseIndex,
              phasePercent: s.phasePercent,
              dims: [...s.grid.dims],
              spacingMm: [...s.grid.spacingMm],
              originMm: [...s.grid.originMm],
              direction: [...s.grid.direction],
              volumeKey: s.volumeKey,
              volumeSha256: s.volumeSha256,
              volumeContentSha256: s.volumeContentSha256,
              sliceSopInstanceUids: s.sliceSopInstanceUids,
              sopClassUid: s.sopClassUid,
            },
          });
          seriesIds.set(s.seriesInstanceUid, row.id);
        }
        const uidOfKey = new Map(p.series.map((s) => [s.key, s.seriesInstanceUid]));
        // A later structure set by another named observer than the stored reference one is that observer's (docs/observers.md).
        const storedReference = study.physicianStructures.filter((x) => x.referenceObserver && x.kind !== 'OTHER').map((x) => x.observer);
        const isReference = (x: { observer?: string | null; referenceObserver?: boolean }) =>
          (x.referenceObserver ?? true) && (storedReference.length === 0 || storedReference.includes(null) || storedReference.includes(x.observer ?? null));
        if (plan.addStructures.length > 0)
          await tx.physicianStructure.createMany({
            data: plan.addStructures.map((x) => ({
              studyId,
              seriesId: seriesIds.get(uidOfKey.get(x.seriesKey) ?? x.seriesKey)!,
              roiNumber: x.roiNumber,
              name: x.name,
              kind: x.kind,
              phaseIndex: x.phaseIndex,
              phasePercent: x.phasePercent,
              interpretedType: x.interpretedType,
              maskKey: x.maskKey,
              maskSha256: x.maskSha256,
              maskContentSha256: x.maskContentSha256,
              voxelCount: x.voxelCount,
              volumeCc: x.volumeCc,
              observer: x.observer ?? null,
              referenceObserver: isReference(x),
            })),
          });
        await writeStudyDose(tx, studyId, dose, seriesIds);
        const today = new Date().toISOString().slice(0, 10);
        const merged: ImportFinding = {
          code: 'STUDY_MERGED',
          severity: 'info',
          message:
            `Re-import on ${today} (${label}) added ${plan.addSeries.length} series${plan.addSeries.length ? ` (${plan.addSeries.map((s) => s.description ?? s.seriesInstanceUid).join(', ')})` : ''}` +
            ` and ${plan.addStructures.length} structure(s)${plan.addStructures.length ? ` (${plan.addStructures.map((x) => x.name).join(', ')})` : ''}` +
            `${dose.doseGrids.length || dose.plans.length ? `, ${dose.doseGrids.length} dose grid(s) and ${dose.plans.length} plan(s)` : ''};` +
            ` ${plan.unchangedSeries.length} stored series and ${plan.unchangedStructures} stored structure(s) were in it unchanged` +
            `${plan.renumberSeries.length ? `; ${plan.renumberSeries.length} stored phase(s) renumbered` : ''}.`,
        };
        const newFiles = p.fileCount;
        await tx.study.update({
          where: { id: studyId },
          data: {
            // The latest import's files: importing them again is then a no-op by hash.
            contentHash: p.contentHash,
            findings: appendFindings((study.findings as unknown as ImportFinding[]) ?? [], [merged, ...p.findings]) as object[],
            fileCount: Math.max(study.fileCount ?? 0, newFiles),
          },
        });
        await recordAuditEvent(tx, {
          action: 'study.import',
          caller,
          patientId: study.patientId,
          target: `study:${studyId}`,
          details: {
            source: p.source,
            merged: true,
            files: p.fileCount,
            addedSeries: plan.addSeries.map((s) => s.seriesInstanceUid),
            addedStructures: plan.addStructures.length,
            ...(dose.doseGrids.length || dose.plans.length ? { addedDoseGrids: dose.doseGrids.length, addedPlans: dose.plans.length } : {}),
            unchangedSeries: plan.unchangedSeries.length,
            renumberedPhases: plan.renumberSeries.length,
            contentHash: p.contentHash,
          },
        });
        await options.inTransaction?.(tx, studyId);
        return { changed: true, plan };
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  } catch (e) {
    if (isUniqueViolation(e)) {
      const target = JSON.stringify((e as { meta?: unknown }).meta ?? {});
      throw new AppError(
        'CONFLICT',
        `Study ${p.studyInstanceUid}: the added files could not be stored: a row with the same unique key exists (${target}), e.g. one of the new series is already stored under another study. Nothing was written.`,
      );
    }
    throw e;
  }
}

/**
 * Content hashes (by volume key) of the stored series and structures that the new import names
 * (same SeriesInstanceUID; same structure name) but that were stored before content hashes were
 * kept: computed from their stored files.
 * @throws AppError NOT_FOUND when such a file is missing from the store, INTERNAL when it is corrupt.
 */
async function legacyContentHashes(db: Db, store: VolumeStore, studyId: string, p: PreparedStudy): Promise<Map<string, string>> {
  const uids = [...new Set([...p.series.map((s) => s.seriesInstanceUid), ...p.structures.map((x) => x.seriesKey)])];
  const names = [...new Set(p.structures.map((x) => x.name))];
  const [series, structures] = await Promise.all([
    db.imageSeries.findMany({
      where: { studyId, volumeContentSha256: null, volumeKey: { not: null }, seriesInstanceUid: { in: uids } },
      select: { volumeKey: true },
    }),
    names.length === 0
      ? []
      : db.physicianStructure.findMany({ where: { studyId, maskContentSha256: null, maskKey: { not: null }, name: { in: names } }, select: { maskKey: true } }),
  ]);
  const keys = [...new Set([...series.map((s) => s.volumeKey!), ...structures.map((x) => x.maskKey!)])];
  const out = new Map<string, string>();
  for (const key of keys) out.set(key, await storedContentSha256(store, key));
  return out;
}
