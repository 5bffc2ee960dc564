/**
 * The listener's import step, run every second or so: imports (one at a time, oldest first) each
 * received study that is due —
 * - quiet: RECEIVING, no instance for `quietSeconds`, and its last association was not aborted
 *   (an interrupted transfer waits for the rest, or for "import now");
 * - asked for: "import now" on the Receive page (RECEIVING or FAILED).
 */
import { importReceivedDicomStudy, type ImportReceivedDicomStudyOptions, type ImportReceivedDicomStudyResult } from './import-received-dicom-study';

export interface ImportDueDicomStudiesOptions extends Omit<ImportReceivedDicomStudyOptions, 'studyInstanceUid'> {
  quietSeconds: number;
  now?: Date;
}

export async function importDueDicomStudies(options: ImportDueDicomStudiesOptions): Promise<(ImportReceivedDicomStudyResult & { studyInstanceUid: string })[]> {
  const { db, quietSeconds } = options;
  const now = options.now ?? new Date();
  const quietSince = new Date(now.getTime() - quietSeconds * 1000);
  const due = await db.dicomReceivedStudy.findMany({
    where: {
      OR: [
        { state: 'RECEIVING', interrupted: false, lastReceivedAt: { lte: quietSince } },
        { state: { in: ['RECEIVING', 'FAILED'] }, importRequestedAt: { not: null } },
      ],
    },
    orderBy: { lastReceivedAt: 'asc' },
    select: { studyInstanceUid: true },
  });
  const out: (ImportReceivedDicomStudyResult & { studyInstanceUid: string })[] = [];
  for (const d of due)
    out.push({ studyInstanceUid: d.studyInstanceUid, ...(await importReceivedDicomStudy({ ...options, studyInstanceUid: d.studyInstanceUid })) });
  return out;
}
