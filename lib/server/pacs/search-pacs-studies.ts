/**
 * Search a configured PACS for studies (QIDO-RS; permission studies:import) and present them by
 * role (docs/security.md): roles with identifiers:view see the patient ID and name, the study
 * date and description as the PACS gives them; every other role sees none of them (the year of
 * the study only). Each study carries an opaque `ref` (the UID and instance count sealed under the
 * install's credentials key) that request-pacs-retrieval.ts accepts, so a page never has to hand
 * a real StudyInstanceUID to a role that may not see it, and a browser cannot forge one.
 *
 * Audited as `pacs.query` (the PACS, the fields used, how many studies, whether identifiers
 * were shown; not the patient ID searched for).
 */
import { recordAuditEvent } from '../audit/record-audit-event';
import { authorize, can, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import { searchDicomWebStudies, type StudySearch } from '../dicomweb/search-dicomweb-studies';
import { credentialsKey, sealText } from './credentials-key';
import { pacsTarget } from './pacs-target';

export interface PacsStudyRow {
  /** Opaque handle for request-pacs-retrieval.ts. */
  ref: string;
  identified: boolean;
  /** Null unless the caller may see identifiers. */
  patientId: string | null;
  patientName: string | null;
  studyInstanceUid: string | null;
  /** YYYY-MM-DD, or the year alone without identifiers:view ('' when the PACS did not say). */
  studyDate: string;
  studyDescription: string | null;
  accessionNumber: string | null;
  modalities: string[];
  seriesCount: number | null;
  instanceCount: number | null;
}

export interface SealedStudyRef {
  uid: string;
  /** NumberOfStudyRelatedInstances from the search, for progress. */
  n: number | null;
  /** The endpoint searched: a ref is valid only for it. */
  e: string;
}

function isoDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
}

export async function searchPacsStudies(
  db: Db,
  options: { caller: Caller | null | undefined; endpointId: string; search: StudySearch; dataDir?: string; timeoutMs?: number },
): Promise<{ endpoint: { id: string; name: string }; studies: PacsStudyRow[]; truncated: boolean }> {
  const caller = authorize(options.caller, 'studies:import');
  const target = await pacsTarget(db, options.endpointId, { dataDir: options.dataDir });
  const identified = can(caller.role, 'identifiers:view');
  const { studies, truncated } = await searchDicomWebStudies({ target, search: options.search, timeoutMs: options.timeoutMs });
  const key = credentialsKey(options.dataDir);
  const rows = studies.map((s) => ({
    ref: sealText(key, JSON.stringify({ uid: s.studyInstanceUid, n: s.instanceCount, e: target.id } satisfies SealedStudyRef)),
    identified,
    patientId: identified ? s.patientId : null,
    patientName: identified ? s.patientName.replace(/\^+/g, ' ').trim() : null,
    studyInstanceUid: identified ? s.studyInstanceUid : null,
    studyDate: identified ? isoDate(s.studyDate) : s.studyDate.slice(0, 4),
    studyDescription: identified ? s.studyDescription : null,
    accessionNumber: identified ? s.accessionNumber : null,
    modalities: s.modalities,
    seriesCount: s.seriesCount,
    instanceCount: s.instanceCount,
  }));
  const search = options.search;
  await recordAuditEvent(db, {
    action: 'pacs.query',
    caller,
    target: `pacs:${target.id}`,
    details: {
      pacs: target.name,
      byPatientId: Boolean(search.patientId?.trim()),
      dateFrom: search.dateFrom ?? null,
      dateTo: search.dateTo ?? null,
      modality: search.modality ?? null,
      studies: rows.length,
      truncated,
      identified,
    },
  });
  return { endpoint: { id: target.id, name: target.name }, studies: rows, truncated };
}
