/**
 * What the Receive page shows: the latest associations (calling AE title, address, time,
 * accepted or rejected and why, instance counts, how they ended) and the received studies with
 * their state, counts, findings and the imported study. Patients appear by pseudonym only, for
 * every role (no names, MRNs or UIDs on this page: UID-like text in errors and findings, such as
 * spool file names, is masked); the study link leads to the study page, which applies its own
 * identifier rules.
 */
import { authorize, type Caller } from '../auth/roles';
import type { Db } from '../db/client';
import type { ImportFinding } from '../studies/import-study.types';
import { measureSpool, type SpoolUsage } from '@/lib/dicom/net/spool-capacity';

export interface DicomReceiveOverview {
  /** The spool's size against its limits (null when not asked): `fullReason` set = new instances are refused. */
  spool: SpoolUsage | null;
  associations: {
    id: string;
    callingAeTitle: string;
    calledAeTitle: string;
    remoteAddress: string | null;
    accepted: boolean;
    rejectReason: string | null;
    startedAt: Date;
    endedAt: Date | null;
    endState: string | null;
    instancesReceived: number;
    instancesFailed: number;
  }[];
  studies: {
    id: string;
    state: 'RECEIVING' | 'WAITING_QUIET' | 'INTERRUPTED' | 'IMPORT_REQUESTED' | 'IMPORTING' | 'IMPORTED' | 'FAILED';
    callingAeTitle: string;
    patientPseudonym: string | null;
    modalities: string[];
    instanceCount: number;
    instancesReceived: number;
    firstReceivedAt: Date;
    lastReceivedAt: Date;
    importedAt: Date | null;
    /** When the quiet-time import is due (waiting studies only). */
    importDueAt: Date | null;
    studyId: string | null;
    error: string | null;
    findings: ImportFinding[];
  }[];
}

const UID_IN_TEXT = /\b\d+(\.\d+){3,}\b/g;
const maskUids = (text: string) => text.replace(UID_IN_TEXT, '[uid]');

export async function findDicomReceiveOverview(
  db: Db,
  options: {
    caller: Caller | null | undefined;
    quietSeconds: number;
    limit?: number;
    now?: Date;
    /** The listener's spool and its limits (ISEG_DICOM_SPOOL_MAX_GB, ISEG_DICOM_SPOOL_MIN_FREE_GB), measured for the banner. */
    spool?: { dir: string; maxBytes: number; minFreeBytes: number };
  },
): Promise<DicomReceiveOverview> {
  authorize(options.caller, 'dicom-receive:view');
  const limit = options.limit ?? 100;
  const now = options.now ?? new Date();
  const [associations, studies, spool] = await Promise.all([
    db.dicomAssociation.findMany({ orderBy: { startedAt: 'desc' }, take: limit }),
    db.dicomReceivedStudy.findMany({ orderBy: { lastReceivedAt: 'desc' }, take: limit }),
    options.spool ? measureSpool(options.spool.dir, options.spool) : null,
  ]);
  return {
    spool,
    associations,
    studies: studies.map((s) => {
      let state: DicomReceiveOverview['studies'][number]['state'] = s.state;
      if (s.state === 'RECEIVING') {
        if (s.importRequestedAt) state = 'IMPORT_REQUESTED';
        else if (s.interrupted) state = 'INTERRUPTED';
        else if (now.getTime() - s.lastReceivedAt.getTime() > 3000) state = 'WAITING_QUIET';
      }
      return {
        id: s.id,
        state,
        callingAeTitle: s.callingAeTitle,
        patientPseudonym: s.patientPseudonym,
        modalities: s.modalities,
        instanceCount: s.instanceCount,
        instancesReceived: s.instancesReceived,
        firstReceivedAt: s.firstReceivedAt,
        lastReceivedAt: s.lastReceivedAt,
        importedAt: s.importedAt,
        importDueAt:
          s.state === 'RECEIVING' && !s.interrupted && !s.importRequestedAt ? new Date(s.lastReceivedAt.getTime() + options.quietSeconds * 1000) : null,
        studyId: s.studyId,
        error: s.error === null ? null : maskUids(s.error),
        findings: ((s.findings as unknown as ImportFinding[]) ?? []).map((f) => ({
          code: f.code,
          severity: f.severity,
          message: maskUids(f.message),
          ...(f.file ? { file: maskUids(f.file) } : {}),
        })),
      };
    }),
  };
}
