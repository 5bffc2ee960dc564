/**
 * The Tries column of the study page's send panel (find-run-sends.ts describeSendTries): the
 * attempt of N while a try runs, the next try and its time while pg-boss waits to retry, the final
 * count once finished. N comes from DICOM_SEND_JOB's retry policy.
 */
import { describe, expect, it } from 'vitest';
import { DICOM_SEND_MAX_ATTEMPTS, describeSendTries } from '@/lib/server/dicom-send/find-run-sends';
import { DICOM_SEND_JOB } from '@/lib/server/jobs/job-definitions';

describe('describeSendTries', () => {
  it('takes N from the send job policy: the first try plus its retries', () => {
    expect(DICOM_SEND_MAX_ATTEMPTS).toBe(1 + DICOM_SEND_JOB.policy.retryLimit!);
  });

  it('says which attempt of N runs, is waiting (with the time of the next), or ended the send', () => {
    const at = new Date('2026-12-06T14:05:31.400Z');
    const d = (state: 'QUEUED' | 'SENDING' | 'SENT' | 'FAILED', attempts: number, extra: { error?: string; nextTryAt?: Date } = {}) =>
      describeSendTries({ state, attempts, error: extra.error ?? null, nextTryAt: extra.nextTryAt ?? null, maxAttempts: 5 });
    expect(d('QUEUED', 0)).toBe('waiting for attempt 1 of 5');
    expect(d('SENDING', 2)).toBe('attempt 2 of 5');
    expect(d('QUEUED', 1, { nextTryAt: at })).toBe('attempt 1 of 5 failed; attempt 2 of 5 at 14:05:31 UTC');
    expect(d('QUEUED', 3)).toBe('attempt 3 of 5 failed; attempt 4 of 5 soon');
    expect(d('SENT', 1)).toBe('sent on attempt 1 of 5');
    expect(d('FAILED', 5, { error: 'Failed after 5 attempts: refused' })).toBe('failed after 5 of 5 attempts');
    expect(d('FAILED', 1, { error: 'Failed, not retried (…): rejected' })).toBe('failed on attempt 1 of 5, not retried');
  });
});
