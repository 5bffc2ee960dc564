/**
 * The UIDs of the RTSTRUCT a run is sent as: derived from the run id and whether the contours
 * are approved (nameBasedUid), so every send of one run in one approval state is the same DICOM
 * instance and a peer keeps one copy of it. The approved file (ApprovalStatus APPROVED) is a
 * different instance from the unapproved one an automatic send delivers.
 */
import { nameBasedUid } from '@/lib/dicom';

export function runRtStructUids(runId: string, approved: boolean): { sopInstanceUid: string; seriesInstanceUid: string } {
  const state = approved ? 'approved' : 'unapproved';
  return {
    sopInstanceUid: nameBasedUid(`iseg-qa:rtstruct:${runId}:${state}:sop`),
    seriesInstanceUid: nameBasedUid(`iseg-qa:rtstruct:${runId}:${state}:series`),
  };
}
