/**
 * The `dicom.send` job: one try of a DicomSend (lib/server/dicom-send/execute-dicom-send.ts).
 * A failed try throws, so pg-boss retries it with backoff (DICOM_SEND_JOB's policy); the last
 * failure leaves the send FAILED with the reason.
 */
import type { JobWithMetadata } from 'pg-boss';
import type { Db } from '../../lib/server/db/client';
import type { DicomSendJobData } from '../../lib/server/jobs/job-definitions';
import type { VolumeStore } from '../../lib/server/storage/volume-store';
import { executeDicomSend } from '../../lib/server/dicom-send/execute-dicom-send';

function log(msg: string): void {
  console.log(`[worker ${process.pid}] ${msg}`);
}

export async function runDicomSendJob(job: JobWithMetadata<DicomSendJobData>, { db, store }: { db: Db; store: VolumeStore }): Promise<void> {
  const attempt = job.retryCount + 1;
  const maxAttempts = job.retryLimit + 1;
  try {
    const r = await executeDicomSend({ db, store, sendId: job.data.sendId, attempt, maxAttempts });
    log(`dicom send ${job.data.sendId}: ${r}`);
  } catch (e) {
    log(`dicom send ${job.data.sendId}: attempt ${attempt} of ${maxAttempts} failed: ${(e as Error).message}`);
    throw e;
  }
}
