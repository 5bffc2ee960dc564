/** Request schema of POST /api/studies (multipart form): the zip plus optional fields. */
import { z } from 'zod';

export const ImportUploadFields = z.object({
  /** 4D CT phases by hand: "SERIES_UID=percent,…" (see lib/server/studies/parse-phase-map.ts). */
  phaseMap: z.string().max(20_000).optional(),
  /** NIfTI uploads only: the patient's ID, so studies of one patient share a pseudonym. */
  patientId: z.string().trim().min(1).max(64).optional(),
  /** Who drew the structures (as `iseg-qa import --observer`; checked by importStudy: checkObserverName). */
  observer: z.string().max(1000).optional(),
});
export type ImportUploadFields = z.infer<typeof ImportUploadFields>;
