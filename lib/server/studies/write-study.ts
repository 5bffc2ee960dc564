/**
 * The database half of the importer: ONE transaction that writes the patient (found or
 * created), identity, study, series, structures, findings and the audit event. Any error rolls
 * all of it back. Pseudonyms are an HMAC of the PatientID with a per-install secret, so the same
 * patient gets the same pseudonym on every import and the pseudonym reveals nothing without the
 * secret (lib/server/deid/get-pseudonym-secret.ts).
 */
import { createHmac, randomInt } from 'node:crypto';
import type { Db } from '../db/client';
import type { Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { getPseudonymSecret } from '../deid/get-pseudonym-secret';
import type { ImportStudyResult, InImportTransaction, PreparedStudy } from './import-study.types';
import { writeStudyDose } from './write-study-dose';

const UNASSIGNED_INSTITUTION = 'Unassigned';

/** "P-" + 12 base-32 characters of HMAC-SHA256(secret, institution NUL patient key). */
export function pseudonymFor(secret: string, institution: string, patientKey: string): string {
  const mac = createHmac('sha256', secret).update(`${institution}\0${patientKey}`).digest();
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (let n = 0; n < 12; n++) out += alphabet[mac[n] & 31];
  return `P-${out}`;
}

export function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: string }).code === 'P2002';
}

/** Summary of a stored study (new or existing). */
export async function summariseStudy(db: Db, studyId: string, alreadyImported: boolean): Promise<ImportStudyResult> {
  const study = await db.study.findUniqueOrThrow({
    where: { id: studyId },
    include: {
      patient: { select: { id: true, pseudonym: true } },
      series: { orderBy: [{ phaseIndex: 'asc' }, { seriesInstanceUid: 'asc' }] },
      physicianStructures: { orderBy: [{ kind: 'asc' }, { phaseIndex: 'asc' }, { name: 'asc' }] },
    },
  });
  return {
    studyId: study.id,
    patientId: study.patient.id,
    pseudonym: study.patient.pseudonym,
    alreadyImported,
    source: study.source === 'NIFTI' ? 'NIFTI' : 'DICOM',
    seriesCount: study.series.length,
    structureCount: study.physicianStructures.length,
    series: study.series.map((s) => ({
      seriesInstanceUid: s.seriesInstanceUid,
      description: s.description,
      phaseIndex: s.phaseIndex,
      phasePercent: s.phasePercent,
      dims: s.dims,
    })),
    structures: study.physicianStructures.map((p) => ({
      name: p.name,
      kind: p.kind,
      phaseIndex: p.phaseIndex,
      phasePercent: p.phasePercent,
      voxelCount: p.voxelCount,
      volumeCc: p.volumeCc,
    })),
    findings: study.findings as unknown as ImportStudyResult['findings'],
  };
}

/**
 * Write a prepared study. @returns the new study's id.
 * @throws AppError CONFLICT when a row it needs to create exists already (a concurrent import of
 *   the same study, or a series UID stored under another study); nothing is written then.
 */
export async function writeStudy(options: {
  db: Db;
  caller: Caller;
  prepared: PreparedStudy;
  patientKey?: string;
  inTransaction?: InImportTransaction;
}): Promise<string> {
  const { db, caller, prepared: p } = options;
  const secret = await getPseudonymSecret(db);
  const institutionName = p.patient.institutionName ?? UNASSIGNED_INSTITUTION;
  // Without a PatientID the study is its own patient: nothing links it to another import.
  const patientKey = options.patientKey ?? p.patient.patientId ?? `study:${p.studyInstanceUid}`;
  const pseudonym = pseudonymFor(secret, institutionName, patientKey);
  try {
    return await db.$transaction(
      async (tx) => {
        const institution = await tx.institution.upsert({ where: { name: institutionName }, create: { name: institutionName }, update: {} });
        let patient = await tx.patient.findUnique({ where: { pseudonym } });
        if (!patient) {
          patient = await tx.patient.create({
            data: {
              pseudonym,
              institutionId: institution.id,
              identity: {
                create: {
                  name: p.patient.name,
                  mrn: p.patient.patientId,
                  birthDate: p.patient.birthDate,
                  // Shifts researcher-visible dates by −365…−1 days, fixed per patient.
                  dateShiftDays: -randomInt(1, 366),
                },
              },
            },
          });
        }
        const study = await tx.study.create({
          data: {
            patientId: patient.id,
            studyInstanceUid: p.studyInstanceUid,
            studyDate: p.studyDate,
            description: p.description,
            physician: p.physician,
            scanner: p.scanner,
            contentHash: p.contentHash,
            findings: p.findings as object[],
            source: p.source,
            fileCount: p.fileCount,
          },
        });
        const seriesIds = new Map<string, string>();
        for (const s of p.series) {
          const row = await tx.imageSeries.create({
            data: {
              studyId: study.id,
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
          seriesIds.set(s.key, row.id);
        }
        if (p.structures.length > 0)
          await tx.physicianStructure.createMany({
            data: p.structures.map((x) => ({
              studyId: study.id,
              seriesId: seriesIds.get(x.seriesKey)!,
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
              referenceObserver: x.referenceObserver ?? true,
            })),
          });
        await writeStudyDose(tx, study.id, p, seriesIds);
        const bySeverity = (s: string) => p.findings.filter((f) => f.severity === s).length;
        await recordAuditEvent(tx, {
          action: 'study.import',
          caller,
          patientId: patient.id,
          target: `study:${study.id}`,
          details: {
            source: p.source,
            files: p.fileCount,
            series: p.series.length,
            structures: p.structures.length,
            ...(p.doseGrids?.length || p.plans?.length ? { doseGrids: p.doseGrids?.length ?? 0, plans: p.plans?.length ?? 0 } : {}),
            findings: { error: bySeverity('error'), warning: bySeverity('warning'), info: bySeverity('info') },
            contentHash: p.contentHash,
          },
        });
        await options.inTransaction?.(tx, study.id);
        return study.id;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  } catch (e) {
    if (isUniqueViolation(e)) {
      const target = JSON.stringify((e as { meta?: unknown }).meta ?? {});
      throw new AppError(
        'CONFLICT',
        `Study ${p.studyInstanceUid} could not be stored: a row with the same unique key exists (${target}), e.g. one of its series is already stored under another study. Nothing was written.`,
      );
    }
    throw e;
  }
}
