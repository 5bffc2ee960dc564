/**
 * A fingerprint of every row the cohort page reads (studies, patients, identities,
 * institutions, runs, model versions): per table the row count and the sum of the rows'
 * transaction ids (xmin). Any insert, update or delete changes it, so the page can reuse its
 * statistics while the fingerprint is unchanged. A few ms at 5,000 studies (six sequential
 * scans of narrow system columns), against hundreds of ms for the statistics on a busy machine.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';

export async function getCohortDataVersion(db: Db, { caller }: { caller: Caller }): Promise<string> {
  authorize(caller, 'cohort:view');
  const [{ v }] = await db.$queryRaw<{ v: string }[]>`
    SELECT concat_ws('/',
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "Study"),
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "SegmentationRun"),
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "Patient"),
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "PatientIdentity"),
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "Institution"),
      (SELECT count(*) || '.' || coalesce(sum(xmin::text::bigint), 0) FROM "ModelVersion")) AS v`;
  return v;
}
