/**
 * Import one study from a folder (or a list of files): DICOM (CT / 4D CT phases + RTSTRUCT) or
 * NIfTI (image + masks), with the RTDOSE / RTPLAN of a DICOM study (prepare-study-dose.ts:
 * stored in the same transaction; the dose metrics are computed after the commit).
 *
 * parse (lib/dicom or lib/nifti) → validate → rasterise ROIs on their referenced CT grid →
 * classify GTV/ITV/OTHER (classify-structure.ts: the site's structure rules, then the built-in
 * ones; the STRUCTURE_ROLES finding says which structure became which role) → volumes and masks
 * into the content-addressed volume store → ONE transaction: patient (pseudonym), identity,
 * study, series, structures, findings, audit event (write-study.ts), and what the caller adds
 * with `inTransaction` (the default segmentation run and its pg-boss job, import-study-and-queue.ts).
 *
 * - Atomic: any error leaves the database as it was. Files already put in the volume store stay
 *   (content-addressed and unreferenced, so harmless; a re-import reuses them).
 * - Idempotent: Study.contentHash is sha256 over the sorted sha256 of the files the study is
 *   made of (CT slices and used structure sets for DICOM; every NIfTI file), so junk files,
 *   duplicate copies and file order do not change it. The same content again returns the stored
 *   study with `alreadyImported: true` and writes nothing.
 * - Re-import with added files (merge-study.ts, plan-study-merge.ts): the same StudyInstanceUID
 *   with other DICOM content adds its new series and structures to the stored study, in one
 *   transaction, when every stored series and structure it contains is unchanged (`merged: true`;
 *   a subset of what is stored is a no-op). If a stored series or structure would change, or the
 *   patient differs, it is a CONFLICT that names it and nothing is written. Structure sets alone
 *   (no CT in the input) are rasterised on the stored CT they reference and merged the same way
 *   (prepare-structure-only-study.ts).
 * - Bad files are findings, not failures (stored with the study); what makes the import
 *   impossible (no CT, no usable CT, several studies, ambiguous phases) is AppError
 *   INVALID_INPUT with a message that names the file and what to check.
 *
 * @throws AppError UNAUTHORIZED / FORBIDDEN (permission studies:import), INVALID_INPUT, CONFLICT.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import { volumeStore, type VolumeStore } from '../storage/volume-store';
import type { ImportFinding, ImportProgress, ImportStudyResult, InImportTransaction, PreparedStudy } from './import-study.types';
import { materialiseDicomStudy, readDicomInput, scanDicomStudy, type PreparedVolumeLookup } from './prepare-dicom-study';
import { materialiseStructureOnlyStudy, scanStructureOnlyStudy } from './prepare-structure-only-study';
import { NIFTI_FILE, materialiseNiftiStudy, scanNiftiStudy } from './prepare-nifti-study';
import { relativePath } from './relative-paths';
import { mergeStudy } from './merge-study';
import { isUniqueViolation, summariseStudy, writeStudy } from './write-study';
import { classifyStructure, referenceStructureFinding, structureRolesFinding } from './classify-structure';
import { applyExplicitObserver, checkObserverName, observerSuffix } from '../observers/identify-observers';
import { recordAuditEvent } from '../audit/record-audit-event';
import { loadStructureRules } from '../structure-roles/load-structure-rules';
import { computeStudyDoseMetrics } from '../dose/compute-study-dose-metrics';
import { materialiseDoseOnlyStudy, scanDoseOnlyStudy } from './prepare-dose-only-study';
import { codeVersion } from '../code-version';

export interface ImportStudyOptions {
  db: Db;
  caller: Caller | null | undefined;
  /** A folder (walked recursively). Give this or `files`. */
  dir?: string;
  files?: string[];
  /** 4D CT phases by hand: SeriesInstanceUID (or lib/dicom series key) → percent (0 ≤ p < 100). */
  phaseMapping?: Record<string, number>;
  /** NIfTI only: the patient's ID (MRN), so several NIfTI studies of one patient share a pseudonym. */
  patientId?: string;
  /** How messages name the input (e.g. 'upload "x.zip"'); default the folder path. */
  label?: string;
  /** Default: volumeStore() (ISEG_VOLUME_DIR). */
  store?: VolumeStore;
  onProgress?: (p: ImportProgress) => void;
  /** Work that commits with the study's rows or not at all (import-study.types.ts). */
  inTransaction?: InImportTransaction;
  /** CT volumes decoded and stored ahead (the DICOM node's received series; prepare-dicom-study.ts). */
  preparedVolumes?: PreparedVolumeLookup;
  /** Who drew this import's structures (docs/observers.md), instead of the RTSTRUCTs' OperatorsName. */
  observer?: string;
}

export type { ImportFinding, ImportProgress, ImportStudyResult };

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      // Symbolic links are not followed: an import reads only what is inside its folder.
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await visit(dir);
  return out.sort();
}

/** True when the file has the DICM preamble or a .dcm name. */
export async function looksLikeDicom(file: string): Promise<boolean> {
  if (/\.dcm$/i.test(file)) return true;
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(132);
    const { bytesRead } = await fh.read(b, 0, 132, 0);
    return bytesRead === 132 && b.toString('latin1', 128, 132) === 'DICM';
  } finally {
    await fh.close();
  }
}

function commonDir(files: string[]): string {
  let dir = path.dirname(path.resolve(files[0]));
  for (const f of files) while (!path.resolve(f).startsWith(dir + path.sep) && dir !== path.dirname(dir)) dir = path.dirname(dir);
  return dir;
}

/**
 * The dose metrics of a study that now has a dose or plan (lib/server/dose): its physician regions, and
 * its latest succeeded run's, if any. After the commit: the study is stored whatever happens here;
 * a failure is logged and the metrics come with the next run or prescription entry.
 */
async function measureImportedDose(db: Db, store: VolumeStore, studyId: string): Promise<void> {
  try {
    await computeStudyDoseMetrics({ db, store, studyId, codeVersion: codeVersion() });
  } catch (e) {
    console.error(`Study ${studyId}: the dose metrics could not be computed after the import: ${(e as Error).message}`);
  }
}

export async function importStudy(options: ImportStudyOptions): Promise<ImportStudyResult> {
  const caller = authorize(options.caller, 'studies:import');
  const { db } = options;
  // The observer named at import: checked before anything is read, audited with the write (docs/observers.md).
  const checkedObserver = checkObserverName(options.observer);
  if ('error' in checkedObserver) throw new AppError('INVALID_INPUT', checkedObserver.error);
  const observer = checkedObserver.name;
  const inTransaction: InImportTransaction | undefined = observer
    ? async (tx, studyId) => {
        const st = await tx.study.findUnique({ where: { id: studyId }, select: { patientId: true } });
        await recordAuditEvent(tx, {
          action: 'study.import.observer',
          caller,
          patientId: st?.patientId,
          target: `study:${studyId}`,
          details: { observer, label: options.label ?? options.dir ?? null },
        });
        await options.inTransaction?.(tx, studyId);
      }
    : options.inTransaction;
  const store = options.store ?? volumeStore();
  let files: string[];
  let root: string;
  if (options.dir) {
    root = path.resolve(options.dir);
    const st = await stat(root).catch(() => null);
    if (!st?.isDirectory()) throw new AppError('INVALID_INPUT', `${options.dir} is not a folder: give the folder the DICOM export was copied to.`);
    files = await walk(root);
  } else if (options.files && options.files.length > 0) {
    files = options.files.map((f) => path.resolve(f));
    root = commonDir(files);
  } else throw new AppError('INVALID_INPUT', 'Nothing to import: give a folder or a list of files.');
  const label = options.label ?? options.dir ?? `${files.length} file(s) under ${root}`;
  if (files.length === 0) throw new AppError('INVALID_INPUT', `${label} is empty: copy the DICOM export (or NIfTI files) into it.`);
  options.onProgress?.({ stage: 'scanning', done: 0, total: files.length, message: `${files.length} files` });

  const nifti = files.filter((f) => NIFTI_FILE.test(f));
  const others = files.filter((f) => !NIFTI_FILE.test(f));
  let anyDicom = false;
  for (const f of others) if ((anyDicom = await looksLikeDicom(f))) break;
  const useNifti = !anyDicom && nifti.length > 0;
  // The site's structure rules as they are now; the STRUCTURE_ROLES finding names the version.
  // Asked for now and awaited once the files are read: in a fresh process (the CLI) this is the
  // database client's first query, whose cold start (the Prisma client instantiating its
  // WebAssembly query compiler, connecting) then overlaps the reading instead of preceding it.
  const siteRulesQuery = loadStructureRules(db);
  siteRulesQuery.catch(() => undefined); // awaited below; a read error first is the one reported

  let prepared: PreparedStudy;
  let contentHash: string;
  let studyInstanceUid: string;
  let materialise: () => Promise<PreparedStudy>;
  let patientChecked = false;
  const extraFindings: ImportFinding[] = [];
  if (useNifti) {
    const scan = await scanNiftiStudy({ files: nifti, label, root });
    ({ contentHash, studyInstanceUid } = scan);
    for (const f of others)
      extraFindings.push({
        code: 'IGNORED_FILE',
        severity: 'info',
        message: `${relativePath(root, f)} is neither DICOM nor NIfTI; ignored.`,
        file: relativePath(root, f),
      });
    materialise = () => materialiseNiftiStudy(scan, store, options.onProgress, siteRules);
  } else {
    const read = await readDicomInput(others, options.phaseMapping, options.onProgress);
    // Structure sets without any CT: added to the stored study whose CT they reference, if any.
    const structureOnly = read.series.length === 0 && read.structureSets.length > 0 ? await scanStructureOnlyStudy({ db, read, root, label }) : null;
    // RTDOSE / RTPLAN without any CT or structure set: added to the stored study whose CT shares their frame of reference.
    const doseOnly = read.series.length === 0 && read.structureSets.length === 0 ? await scanDoseOnlyStudy({ db, files: others, read, root, label }) : null;
    if (structureOnly) {
      ({ contentHash, studyInstanceUid } = structureOnly);
      patientChecked = true;
      materialise = () => materialiseStructureOnlyStudy(structureOnly, store, options.onProgress, siteRules);
    } else if (doseOnly) {
      ({ contentHash, studyInstanceUid } = doseOnly);
      patientChecked = true;
      materialise = () => materialiseDoseOnlyStudy(doseOnly, store);
    } else {
      const scan = await scanDicomStudy({ files: others, label, root, phaseMapping: options.phaseMapping, onProgress: options.onProgress, read });
      ({ contentHash, studyInstanceUid } = scan);
      materialise = () => materialiseDicomStudy(scan, store, options.onProgress, siteRules, options.preparedVolumes);
    }
    if (nifti.length > 0)
      extraFindings.push({
        code: 'IGNORED_FILE',
        severity: 'info',
        message: `${nifti.length} NIfTI file(s) (e.g. ${relativePath(root, nifti[0])}) ignored: the folder holds DICOM, which is imported instead. Import NIfTI files from a folder of their own.`,
        file: relativePath(root, nifti[0]),
      });
  }

  const siteRules = await siteRulesQuery;
  const existing = await db.study.findFirst({
    where: { OR: [{ contentHash }, { studyInstanceUid }] },
    select: { id: true, contentHash: true, studyInstanceUid: true, importedAt: true },
  });
  if (existing) {
    if (existing.contentHash === contentHash) {
      options.onProgress?.({ stage: 'done', done: 1, total: 1, message: 'already imported' });
      return summariseStudy(db, existing.id, true);
    }
    if (useNifti || existing.studyInstanceUid !== studyInstanceUid)
      throw new AppError(
        'CONFLICT',
        `Study ${studyInstanceUid} was imported on ${existing.importedAt.toISOString().slice(0, 10)} (study ${existing.id}) from different files: ${label} adds, lacks or changes some. Nothing was written; delete the stored study first to replace it.`,
      );
    // The same study with other files: merge what it adds, if nothing stored would change.
    prepared = await materialise();
    applyExplicitObserver(prepared.structures, observer, (n) => observerSuffix(n, (x) => classifyStructure(x, siteRules).kind) !== null);
    prepared.findings.push(...extraFindings);
    // Which structures are the reference now, counting the stored ones (classify-structure.ts).
    if (prepared.structures.length > 0) {
      prepared.findings.push(
        structureRolesFinding(
          prepared.structures.map((s) => s.name),
          siteRules,
        ),
      );
      const stored = await db.physicianStructure.findMany({
        where: { studyId: existing.id, referenceObserver: true },
        select: { name: true, kind: true, phasePercent: true },
      });
      prepared.findings.push(referenceStructureFinding([...stored, ...prepared.structures.filter((x) => x.referenceObserver !== false)]));
    }
    options.onProgress?.({ stage: 'writing', done: 0, total: 1, message: 'adding to the stored study' });
    const { changed } = await mergeStudy({ db, caller, studyId: existing.id, prepared, label, patientChecked, inTransaction, store });
    if (changed && (prepared.doseGrids?.length || prepared.plans?.length)) await measureImportedDose(db, store, existing.id);
    options.onProgress?.({ stage: 'done', done: 1, total: 1, message: changed ? 'added to the stored study' : 'already imported' });
    return { ...(await summariseStudy(db, existing.id, !changed)), ...(changed ? { merged: true } : {}) };
  }

  prepared = await materialise();
  applyExplicitObserver(prepared.structures, observer, (n) => observerSuffix(n, (x) => classifyStructure(x, siteRules).kind) !== null);
  prepared.findings.push(...extraFindings);
  // Which structure became which role (and by which rule), then which physician structure is the
  // reference GTV/ITV, or that none is recognised.
  if (prepared.structures.length > 0)
    prepared.findings.push(
      structureRolesFinding(
        prepared.structures.map((s) => s.name),
        siteRules,
      ),
    );
  prepared.findings.push(referenceStructureFinding(prepared.structures.filter((x) => x.referenceObserver !== false)));
  if (useNifti && options.patientId) prepared.patient.patientId = options.patientId;
  options.onProgress?.({ stage: 'writing', done: 0, total: 1 });
  let studyId: string;
  try {
    studyId = await writeStudy({ db, caller, prepared, inTransaction });
  } catch (e) {
    // A concurrent import of the same content won the race: same outcome as a re-import.
    if (e instanceof AppError && e.code === 'CONFLICT') {
      const winner = await db.study.findUnique({ where: { contentHash }, select: { id: true } });
      if (winner) return summariseStudy(db, winner.id, true);
    }
    if (isUniqueViolation(e)) throw new AppError('CONFLICT', `Study ${studyInstanceUid} conflicts with stored data; nothing was written.`);
    throw e;
  }
  if (prepared.doseGrids?.length || prepared.plans?.length) await measureImportedDose(db, store, studyId);
  options.onProgress?.({ stage: 'done', done: 1, total: 1 });
  return summariseStudy(db, studyId, false);
}
