/**
 * The studies a control chart is drawn from (read-monitored-runs.ts, the same rows the drift
 * alerts evaluate): the three monitored metrics are the cohort page's default convention (voxel
 * overlap on the native CT grid; HD95 by the voxel-surface convention). Studies without a study date cannot be placed in time
 * and are only counted.
 *
 * Physicists and admins only (monitoring:view). As on the cohort page, roles without
 * identifiers:view see study dates shifted by the patient's dateShiftDays (no date when the
 * patient has no identity row) and physicians as keyed pseudonyms; the order is still the real
 * study-date order, which is what a control chart needs. Names and MRNs are never read here.
 */
import type { Db } from '../db/client';
import { authorize, can, type Caller } from '../auth/roles';
import { freeTextPresenter } from '../deid/present-free-text';
import { readMonitoredRuns } from './read-monitored-runs';

export interface MonitoringStudy {
  studyId: string;
  pseudonym: string;
  /** The date the caller sees (YYYY-MM-DD; shifted without identifiers:view; null when unknown). */
  studyDate: string | null;
  institutionId: string;
  institution: string;
  scanner: string | null;
  modelVersionId: string;
  /** "name version". */
  model: string;
  /** As stored for identifiers:view, else the keyed pseudonym. */
  physician: string | null;
  runId: string;
  itvDice: number | null;
  itvFpCc: number | null;
  itvHd95Mm: number | null;
}

export interface MonitoringStudies {
  studies: MonitoringStudy[];
  /** Studies with a summarised current run but no study date: not charted. */
  withoutDate: number;
  datesShifted: boolean;
}

export async function findMonitoringStudies(db: Db, { caller }: { caller: Caller }): Promise<MonitoringStudies> {
  authorize(caller, 'monitoring:view');
  const shifted = !can(caller.role, 'identifiers:view');
  const freeText = await freeTextPresenter(db, caller);
  const rows = await readMonitoredRuns(db, { shiftDates: shifted });
  const studies: MonitoringStudy[] = [];
  let withoutDate = 0;
  for (const { hasDate, ...r } of rows) {
    if (!hasDate) {
      withoutDate++;
      continue;
    }
    studies.push({ ...r, physician: freeText.physician(r.physician) });
  }
  return { studies, withoutDate, datesShifted: shifted };
}
