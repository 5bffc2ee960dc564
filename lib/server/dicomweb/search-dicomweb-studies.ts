/**
 * QIDO-RS study search (PS3.18 §10.6, `GET {base}/studies?…`) by patient ID, study date range
 * and modality, and the series of one study (`GET {base}/studies/{uid}/series`).
 *
 * The query is validated first (a clear INVALID_INPUT naming the field); the PACS's failures are
 * AppErrors naming it (dicomweb-request.ts). At most `limit` studies are asked for; `truncated`
 * says when the PACS had more (one more than the limit is asked for to know).
 */
import { z } from 'zod';
import { AppError } from '../errors';
import { dicomWebGet, type DicomWebTarget } from './dicomweb-request';
import { jsonNumber, jsonString, jsonStrings, parseDicomJsonList } from './dicom-json';

export const STUDY_SEARCH_LIMIT = 100;

const dateField = (name: string) =>
  z
    .string()
    .trim()
    .regex(/^\d{4}-?\d{2}-?\d{2}$/, `${name} must be a date such as 2024-03-15`)
    .transform((s) => s.replace(/-/g, ''))
    .optional();

export const StudySearchSchema = z
  .object({
    patientId: z
      .string()
      .trim()
      .max(64, 'Patient ID is at most 64 characters (DICOM LO)')
      .refine((s) => !/[\\\u0000-\u001f]/.test(s), 'Patient ID may not contain a backslash or control characters')
      .optional(),
    dateFrom: dateField('The "from" date'),
    dateTo: dateField('The "to" date'),
    modality: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z0-9]{1,16}$/, 'Modality is a DICOM modality code such as CT or RTSTRUCT')
      .optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  })
  .transform((q) => ({ ...q, patientId: q.patientId || undefined }))
  .refine((q) => q.patientId || q.dateFrom || q.dateTo, { message: 'Give a patient ID or a date range: a search of the whole PACS is not allowed.' })
  .refine((q) => !q.dateFrom || !q.dateTo || q.dateFrom <= q.dateTo, { message: 'The "from" date is after the "to" date.' });

export type StudySearch = z.input<typeof StudySearchSchema>;

export interface DicomWebStudy {
  studyInstanceUid: string;
  patientId: string;
  patientName: string;
  patientBirthDate: string;
  /** YYYYMMDD as the PACS gave it ('' when absent). */
  studyDate: string;
  studyTime: string;
  accessionNumber: string;
  studyDescription: string;
  modalities: string[];
  seriesCount: number | null;
  instanceCount: number | null;
}

export interface DicomWebSeries {
  seriesInstanceUid: string;
  modality: string;
  seriesNumber: number | null;
  seriesDescription: string;
  instanceCount: number | null;
}

const ACCEPT_JSON = 'application/dicom+json, application/json;q=0.9';

/** The search as validated QIDO parameters, or AppError INVALID_INPUT naming the field. */
export function studySearchQuery(search: StudySearch): { query: URLSearchParams; limit: number } {
  const r = StudySearchSchema.safeParse(search);
  if (!r.success) throw new AppError('INVALID_INPUT', r.error.issues.map((i) => i.message).join(' '));
  const q = r.data;
  const query = new URLSearchParams();
  if (q.patientId) query.set('PatientID', q.patientId);
  if (q.dateFrom || q.dateTo) query.set('StudyDate', q.dateFrom && q.dateFrom === q.dateTo ? q.dateFrom : `${q.dateFrom ?? ''}-${q.dateTo ?? ''}`);
  if (q.modality) query.set('ModalitiesInStudy', q.modality);
  // Attributes a PACS need not return by default (PS3.18 Table 10.6.1-5): ask for them.
  for (const tag of ['00081030', '00080061', '00201206', '00201208', '00100030']) query.append('includefield', tag);
  const limit = q.limit ?? STUDY_SEARCH_LIMIT;
  query.set('limit', String(limit + 1));
  return { query, limit };
}

/** QIDO-RS studies search. @throws AppError INVALID_INPUT (the query), UNAVAILABLE (the PACS). */
export async function searchDicomWebStudies(options: {
  target: DicomWebTarget;
  search: StudySearch;
  timeoutMs?: number;
}): Promise<{ studies: DicomWebStudy[]; truncated: boolean }> {
  const { query, limit } = studySearchQuery(options.search);
  const what = 'the study search (QIDO-RS)';
  const res = await dicomWebGet({ target: options.target, path: 'studies', query, accept: ACCEPT_JSON, what, timeoutMs: options.timeoutMs });
  const text = res.status === 204 ? '' : await res.text();
  let list;
  try {
    list = parseDicomJsonList(text, what);
  } catch (e) {
    throw new AppError(
      'UNAVAILABLE',
      `PACS "${options.target.name}" (${options.target.baseUrl}) answered ${(e as Error).message}: check that the base URL is a DICOMweb root.`,
    );
  }
  const studies = list
    .map((ds) => ({
      studyInstanceUid: jsonString(ds, '0020000D'),
      patientId: jsonString(ds, '00100020'),
      patientName: jsonString(ds, '00100010'),
      patientBirthDate: jsonString(ds, '00100030'),
      studyDate: jsonString(ds, '00080020'),
      studyTime: jsonString(ds, '00080030'),
      accessionNumber: jsonString(ds, '00080050'),
      studyDescription: jsonString(ds, '00081030'),
      modalities: jsonStrings(ds, '00080061'),
      seriesCount: jsonNumber(ds, '00201206'),
      instanceCount: jsonNumber(ds, '00201208'),
    }))
    .filter((s) => s.studyInstanceUid !== '');
  studies.sort((a, b) => (b.studyDate + b.studyTime).localeCompare(a.studyDate + a.studyTime) || a.studyInstanceUid.localeCompare(b.studyInstanceUid));
  return { studies: studies.slice(0, limit), truncated: studies.length > limit };
}

const UID = /^[0-9]+(\.[0-9]+)*$/;

/** Refuses anything but a DICOM UID (it goes into a URL path). */
export function checkUid(uid: string, what: string): string {
  if (!UID.test(uid) || uid.length > 64)
    throw new AppError('INVALID_INPUT', `${what} "${uid.slice(0, 80)}" is not a DICOM UID (digits and dots, at most 64 characters).`);
  return uid;
}

/** QIDO-RS series of one study. @throws AppError INVALID_INPUT (the UID), UNAVAILABLE (the PACS). */
export async function listDicomWebSeries(options: { target: DicomWebTarget; studyInstanceUid: string; timeoutMs?: number }): Promise<DicomWebSeries[]> {
  const uid = checkUid(options.studyInstanceUid, 'StudyInstanceUID');
  const query = new URLSearchParams();
  for (const tag of ['0008103E', '00201209']) query.append('includefield', tag);
  const what = `the series search of study ${uid} (QIDO-RS)`;
  const res = await dicomWebGet({ target: options.target, path: `studies/${uid}/series`, query, accept: ACCEPT_JSON, what, timeoutMs: options.timeoutMs });
  const text = res.status === 204 ? '' : await res.text();
  let list;
  try {
    list = parseDicomJsonList(text, what);
  } catch (e) {
    throw new AppError('UNAVAILABLE', `PACS "${options.target.name}" (${options.target.baseUrl}) answered ${(e as Error).message}.`);
  }
  return list
    .map((ds) => ({
      seriesInstanceUid: jsonString(ds, '0020000E'),
      modality: jsonString(ds, '00080060'),
      seriesNumber: jsonNumber(ds, '00200011'),
      seriesDescription: jsonString(ds, '0008103E'),
      instanceCount: jsonNumber(ds, '00201209'),
    }))
    .filter((s) => s.seriesInstanceUid !== '')
    .sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
}
