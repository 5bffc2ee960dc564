/**
 * A study as a de-identified DICOM zip, for researchers (permission studies:export-deid).
 *
 * The original DICOM files are not kept, so the export is re-written from what is stored: each CT
 * series (planning CT or 4D CT phase) from its volume as a CT Image Storage series
 * (lib/dicom encodeCtSeries), and the physician structures of each series as one RT Structure Set
 * (lib/dicom writeRtStruct; masks → contours by marching squares). Every file then goes through
 * lib/dicom deidentifyDicom (PS3.15 Basic profile): PatientName/ID = pseudonym, no birth date,
 * dates shifted by the patient's dateShiftDays, UIDs replaced by a keyed hash that is the same
 * in the CT and the RTSTRUCT (so the contours still attach), PatientIdentityRemoved = YES.
 * PatientIdentity is read for its dateShiftDays only; names and MRNs never reach this code.
 * Free text from the original DICOM never reaches the files either: series are described by
 * their phase ("4D CT phase 30%", "CT") and ROIs named by their role ("GTV 30%", "ITV", "BODY")
 * through lib/server/deid/present-free-text.ts; the study description and the physician are not
 * written at all.
 *
 * The zip is produced as a stream, file by file (memory ~ one series, not the study): each file
 * is deflated (level 1) by native zlib on its thread pool while the next ones are de-identified
 * (create-zip-stream.ts). The CT slices come de-identified from lib/dicom encodeDeidentifiedCtSeries
 * (a de-identified template header, the per-slice attributes re-encoded, the pixels copied: the
 * bytes deidentifyDicom(encodeCtSeries(…)) gives); the RTSTRUCT is de-identified as writeRtStruct
 * writes it (its `deidentify`: the bytes deidentifyDicom makes of the plain file). Each series' structure set is written on this thread while its
 * CT slices deflate on the pool; stored volumes inflate on the pool too. `openDeidStudyExport` authorises, checks and audits before the first byte, so
 * errors that a caller can act on still become HTTP errors; `exportDeidStudy` collects the
 * stream (tests, CLI). The study page's prepared export (lib/server/exports/execute-deid-export.ts)
 * writes the same stream to a file, with progress from `onFile` (files placed / `filesTotal`).
 * Timing on a 177-slice planning study: docs/benchmarks.md, "Exports".
 * Each export is audited ('study.export.deid').
 * @throws AppError UNAUTHORIZED / FORBIDDEN, NOT_FOUND (no study, or no stored CT volume).
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { recordAuditEvent } from '../audit/record-audit-event';
import { volumeStore, type VolumeStore } from '../storage/volume-store';
import { getPseudonymSecret } from './get-pseudonym-secret';
import { parseNifti } from '@/lib/nifti';
import { writeRtStruct, type CtSeries, type ImageSliceHeader, type MachineStructure } from '@/lib/dicom';
import { encodeDeidentifiedCtSeries } from '@/lib/dicom/deid-ct-series';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { binaryMaskData, indexToPatientMm, sameGrid, type Grid, type Vec3, type VoxelArray } from '@/lib/core/volume';
import { createUidRemapper } from './remap-uid';
import { createZipStream, type PreparedZipEntry } from './create-zip-stream';
import { normalisedInterpretedType, normalisedSeriesDescription, normalisedStructureNames, physicianPseudonym } from './present-free-text';

export interface DeidExportStats {
  /** DICOM files in the zip (CT slices + RTSTRUCTs). */
  dicomFiles: number;
  series: number;
  structures: number;
  /** CT voxels below −1024 HU (outside-field padding) written as −1024, the lowest storable value. */
  clampedVoxels: number;
}

export interface DeidExport extends DeidExportStats {
  fileName: string;
  bytes: Uint8Array;
}

export interface DeidExportStream {
  fileName: string;
  /** Files the zip will hold (CT slices, RTSTRUCTs, README), known before the first byte. */
  filesTotal: number;
  /** The zip, in chunks; `stats` is complete once it is exhausted. */
  chunks: AsyncGenerator<Uint8Array>;
  stats: DeidExportStats;
}

/** DICOM DA of a stored date. */
function da(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 10).replace(/-/g, '') : '';
}

const LOWEST_HU = -1024;
const HIGHEST_HU = 64511;

/**
 * The CT values as DICOM can store them (−1024…64511 HU, whole numbers): the stored array itself
 * when every voxel already is (the usual Int16 volume), else a clamped copy; and how many voxels
 * were below −1024. A plain function with a typed loop: V8 optimises it, the generator's loop
 * it did not (≈ 2 µs a voxel, 2 min for a 177-slice study).
 */
export function storableHu(data: VoxelArray): { data: VoxelArray; clamped: number } {
  let clamped = 0;
  // The stored Int16 volume holds whole numbers below 64511: only −1024 needs checking.
  if (data instanceof Int16Array && int16AtLeast(data, LOWEST_HU)) return { data, clamped };
  let copy = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < LOWEST_HU - 0.5 || v >= HIGHEST_HU + 0.5 || v !== Math.round(v)) {
      copy = true;
      break;
    }
  }
  if (!copy) return { data, clamped };
  const hu = new Float32Array(data.length);
  for (let i = 0; i < hu.length; i++) {
    const v = Math.round(data[i]);
    if (v < LOWEST_HU) clamped++;
    hu[i] = v < LOWEST_HU ? LOWEST_HU : v > HIGHEST_HU ? HIGHEST_HU : v;
  }
  return { data: hu, clamped };
}

const gunzipAsync = promisify(gunzip);

/**
 * A stored NIfTI volume, inflated on zlib's thread pool (parseNifti would inflate it on this
 * thread, 1.3 s of a 177-slice study's CT and masks), so several inflate while this thread works.
 */
async function readStoredVolume(store: VolumeStore, key: string, source: string) {
  const bytes = await store.getVolume(key);
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return parseNifti(bytes, { source });
  // The gzip trailer holds the inflated size (mod 2^32): one output chunk of that size.
  const isize = new DataView(bytes.buffer, bytes.byteOffset + bytes.length - 4, 4).getUint32(0, true);
  let raw: Uint8Array;
  try {
    raw = await gunzipAsync(bytes, isize > 1024 ? { chunkSize: Math.min(isize + 64, 0x7fffffff) } : {});
  } catch {
    return parseNifti(bytes, { source }); // its error names the corrupt file
  }
  return parseNifti(raw, { source });
}

function int16AtLeast(data: Int16Array, lowest: number): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] < lowest) return false;
  return true;
}

interface ExportOptions {
  caller: Caller | null | undefined;
  studyId: string;
  store?: VolumeStore;
  now?: Date;
  /** Called after each file is placed in the zip (the README last), with files placed so far. */
  onFile?: (filesDone: number, filesTotal: number) => void | Promise<void>;
  /** Extra details for the 'study.export.deid' audit event (a prepared export's id). */
  auditDetails?: Record<string, unknown>;
}

/** The whole zip in memory (tests, small studies). */
export async function exportDeidStudy(db: Db, options: ExportOptions): Promise<DeidExport> {
  const out = await openDeidStudyExport(db, options);
  const parts: Uint8Array[] = [];
  for await (const c of out.chunks) parts.push(c);
  const bytes = new Uint8Array(parts.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of parts) {
    bytes.set(c, at);
    at += c.length;
  }
  return { fileName: out.fileName, bytes, ...out.stats };
}

export async function openDeidStudyExport(
  db: Db,
  { caller, studyId, store = volumeStore(), now = new Date(), onFile, auditDetails }: ExportOptions,
): Promise<DeidExportStream> {
  const who = authorize(caller, 'studies:export-deid');
  const found = await db.study.findUnique({
    where: { id: studyId },
    include: {
      patient: { select: { id: true, pseudonym: true, identity: { select: { dateShiftDays: true } } } },
      series: { orderBy: [{ phaseIndex: 'asc' }, { seriesInstanceUid: 'asc' }] },
      // The reference observer's structures first, so they keep the plain names.
      physicianStructures: { orderBy: [{ seriesId: 'asc' }, { referenceObserver: 'desc' }, { name: 'asc' }] },
    },
  });
  if (!found) throw new AppError('NOT_FOUND', `Study ${studyId} does not exist (deleted, or a wrong link).`);
  const study = found; // a const the generator below can close over
  const pseudonym = study.patient.pseudonym;
  const shift = study.patient.identity?.dateShiftDays ?? null;
  const secret = await getPseudonymSecret(db);
  const remapUid = createUidRemapper(secret);
  // Another observer's structures are named with the observer's keyed pseudonym (docs/observers.md).
  const observerLabel = (observer: string) => physicianPseudonym(secret, observer);
  // Without a per-patient shift the real dates cannot be hidden consistently: leave them out.
  const studyDate = shift === null ? '' : da(study.studyDate);
  const deid = { pseudonym, dateShiftDays: shift ?? 0, remapUid };

  const ctSeries = study.series.filter((s) => s.volumeKey && s.modality === 'CT');
  if (ctSeries.length === 0) throw new AppError('NOT_FOUND', `Study ${studyId} has no stored CT volume to export; re-import it.`);
  const phases = ctSeries.filter((s) => s.phaseIndex !== null).length;
  const stats: DeidExportStats = { dicomFiles: 0, series: ctSeries.length, structures: 0, clampedVoxels: 0 };
  const [manufacturer, ...model] = (study.scanner ?? 'unknown').split(' ');
  await recordAuditEvent(db, {
    action: 'study.export.deid',
    caller: who,
    patientId: study.patientId,
    target: `study:${study.id}`,
    details: { series: ctSeries.length, structures: study.physicianStructures.length, ...auditDetails },
  });
  const withStructures = new Set(study.physicianStructures.filter((p) => p.maskKey).map((p) => p.seriesId));
  const filesTotal = ctSeries.reduce((n, s) => n + (s.dims as number[])[2]! + (withStructures.has(s.id) ? 1 : 0), 0) + 1;
  let filesDone = 0;
  const placed = async () => {
    filesDone++;
    await onFile?.(filesDone, filesTotal);
  };

  const zip = createZipStream({ level: 1 });
  const add = (name: string, bytes: Uint8Array) => {
    const ready = zip.prepare(name, bytes);
    ready.catch(() => undefined); // awaited in order below; a failure there ends the stream
    return ready;
  };

  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const [n, s] of ctSeries.entries()) {
      const own = study.physicianStructures.filter((p) => p.seriesId === s.id && p.maskKey);
      // The masks inflate on the thread pool while the CT is read and written.
      const maskReads = own.map((p) => readStoredVolume(store, p.maskKey!, `structure ${p.id}`));
      for (const m of maskReads) m.catch(() => undefined); // awaited below
      const ct = await readStoredVolume(store, s.volumeKey!, `CT series ${s.id}`);
      const grid: Grid = ct.grid;
      const dbGrid: Grid = { dims: s.dims as Vec3, spacingMm: s.spacingMm as Vec3, originMm: s.originMm as Vec3, direction: s.direction };
      if (!sameGrid(grid, dbGrid))
        throw new AppError('INTERNAL', `CT volume ${s.volumeKey} does not match the grid recorded for series ${s.id}; the volume store is inconsistent.`);
      const hu = storableHu(ct.data);
      stats.clampedVoxels += hu.clamped;
      const label = s.phaseIndex !== null ? `phase${String(s.phaseIndex).padStart(2, '0')}` : `ct${n + 1}`;
      const description = normalisedSeriesDescription(s);
      const seriesNumber = s.phaseIndex !== null ? 100 + s.phaseIndex : n + 1;
      const frameOfReferenceUid = s.frameOfReferenceUid ?? `${study.studyInstanceUid}/frame-of-reference`;
      // Encoded with the stored (real) UIDs and dates, then de-identified as any incoming file
      // would be: one code path decides what leaves (encodeDeidentifiedCtSeries gives the bytes
      // deidentifyDicom(encodeCtSeries(…)) would, writing only the attributes that vary per slice).
      const slices = encodeDeidentifiedCtSeries(
        { grid, data: hu.data },
        {
          patientName: pseudonym,
          patientId: pseudonym,
          studyInstanceUid: study.studyInstanceUid,
          seriesInstanceUid: s.seriesInstanceUid,
          frameOfReferenceUid,
          studyDate,
          seriesNumber,
          seriesDescription: description,
          manufacturer: manufacturer || 'unknown',
          manufacturerModelName: model.join(' '),
          temporalPositionIndex: s.phaseIndex !== null ? s.phaseIndex + 1 : undefined,
          numberOfTemporalPositions: s.phaseIndex !== null ? phases : undefined,
        },
        deid,
      );
      // Compression starts now, on the thread pool; the files are placed in order as they finish.
      const ready: Promise<PreparedZipEntry>[] = [];
      for (const f of slices) {
        ready.push(add(`${pseudonym}/${label}/${f.fileName}`, f.bytes));
        stats.dicomFiles++;
      }
      // The structure set is written while the slices compress (this thread: marching squares
      // and dcmjs; the pool: deflate), then placed after them.
      const rtEntry = own.length === 0 ? null : await structureSet();
      for (const r of ready) {
        yield* zip.place(await r);
        await placed();
      }
      if (rtEntry) {
        yield* zip.place(rtEntry);
        await placed();
        stats.dicomFiles++;
        stats.structures += own.length;
      }

      async function structureSet(): Promise<PreparedZipEntry> {
        const masks: MachineStructure[] = [];
        const roiNames = normalisedStructureNames(own, { observerLabel });
        for (const [k, p] of own.entries()) {
          const m = await maskReads[k]!;
          if (!sameGrid(m.grid, grid)) throw new AppError('INTERNAL', `Mask of structure ${p.id} is not on its CT grid; the volume store is inconsistent.`);
          masks.push({
            name: roiNames[k],
            interpretedType: normalisedInterpretedType(p),
            color: p.kind === 'ITV' ? [213, 94, 0] : p.kind === 'GTV' ? [0, 114, 178] : [0, 158, 115],
            // The contours take any non-zero voxel as inside: a stored Uint8Array mask is used as
            // it is (binaryMaskData's scan for values above 1 cost 0.2 s a 512×512×177 mask).
            mask: { grid, data: m.data instanceof Uint8Array ? m.data : binaryMaskData(m.data) },
          });
        }
        const iop: ImageSliceHeader['imageOrientation'] = [
          grid.direction[0],
          grid.direction[3],
          grid.direction[6],
          grid.direction[1],
          grid.direction[4],
          grid.direction[7],
        ];
        const headers: ImageSliceHeader[] = slices.map((f, k) => ({
          file: f.fileName,
          transferSyntaxUid: '1.2.840.10008.1.2.1',
          sopInstanceUid: f.sopInstanceUid,
          sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
          modality: 'CT',
          patientId: pseudonym,
          patientName: pseudonym,
          studyDate,
          studyInstanceUid: study.studyInstanceUid,
          seriesInstanceUid: s.seriesInstanceUid,
          frameOfReferenceUid,
          rows: grid.dims[1],
          columns: grid.dims[0],
          pixelSpacingMm: [grid.spacingMm[1], grid.spacingMm[0]],
          imagePositionMm: indexToPatientMm(grid, 0, 0, k),
          imageOrientation: iop,
          rescaleSlope: 1,
          rescaleIntercept: -1024,
          bitsAllocated: 16,
          bitsStored: 16,
          pixelRepresentation: 0,
          samplesPerPixel: 1,
          numberOfFrames: 1,
          pixelDataEncapsulated: false,
        }));
        const series: CtSeries = {
          key: s.seriesInstanceUid,
          seriesInstanceUid: s.seriesInstanceUid,
          studyInstanceUid: study.studyInstanceUid,
          frameOfReferenceUid,
          modality: 'CT',
          slices: headers,
          slicePositionsMm: headers.map((_, k) => k * grid.spacingMm[2]),
          grid,
          maxSliceResidualMm: 0,
          phase: null,
          loadable: true,
          findings: [],
        };
        const rt = writeRtStruct({
          series,
          structures: masks,
          label: 'Physician',
          seriesDescription: `Physician structures ${description}`,
          seriesNumber: 900 + seriesNumber,
          algorithmName: 'iSeg QA export',
          now,
          // De-identified in its one write: the bytes deidentifyDicom makes of the plain file.
          deidentify: deid,
        });
        return add(`${pseudonym}/${label}/RS_${label}.dcm`, rt.bytes);
      }
    }

    const readme = await add(
      `${pseudonym}/README.txt`,
      new TextEncoder().encode(
        [
          `De-identified export of one study of patient ${pseudonym} (iSeg QA).`,
          'PS3.15 Basic Application Level Confidentiality Profile; Clean Descriptors; Retain Longitudinal',
          'Temporal Information with Modified Dates: names and IDs are the pseudonym, dates are shifted by',
          'a fixed per-patient offset, UIDs are replaced consistently (RTSTRUCTs reference their CT).',
          'CT images are re-written from the stored volumes (HU, 16-bit, intercept -1024).',
          '',
        ].join('\n'),
      ),
    );
    yield* zip.place(readme);
    await placed();
    yield zip.end();
  }

  return { fileName: `${pseudonym}-deid.zip`, filesTotal, chunks: chunks(), stats };
}
