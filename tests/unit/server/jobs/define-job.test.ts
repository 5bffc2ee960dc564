/**
 * Job definitions: a payload that fails its job's schema is refused at send (before pg-boss is
 * touched) and at receipt, with a message naming the job and the field.
 */
import { describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { JobPayloadError, maxAttempts, parseJobPayload } from '../../../../lib/server/jobs/define-job';
import { JOBS, SEGMENTATION_RUN_JOB, WORKER_SELF_TEST_JOB } from '../../../../lib/server/jobs/job-definitions';
import { sendJob } from '../../../../lib/server/jobs/send-job';

describe('job definitions', () => {
  it('parses a valid payload and strips unknown fields', () => {
    expect(parseJobPayload(SEGMENTATION_RUN_JOB, { runId: 'r1', extra: 1 })).toEqual({ runId: 'r1' });
    expect(parseJobPayload(WORKER_SELF_TEST_JOB, {})).toEqual({});
  });

  it('refuses a payload that fails the schema, naming the job and the field', () => {
    const e = (() => {
      try {
        parseJobPayload(SEGMENTATION_RUN_JOB, { runId: 42 }, 'abc received');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(JobPayloadError);
    expect((e as Error).message).toMatch(/^Job "segmentation\.run" abc received has an invalid payload: runId: /);
    expect(() => parseJobPayload(WORKER_SELF_TEST_JOB, { holdMs: -5 })).toThrow(/"worker\.selftest".*holdMs:/);
    expect(() => parseJobPayload(SEGMENTATION_RUN_JOB, null)).toThrow(/"segmentation\.run".*\(payload\):/);
  });

  it('sendJob refuses a bad payload before it reaches pg-boss', async () => {
    // pg-boss is never called: any use of this handle would throw a TypeError, not a JobPayloadError.
    const untouched = {} as PgBoss;
    await expect(sendJob(untouched, SEGMENTATION_RUN_JOB, { runId: '' })).rejects.toThrow(JobPayloadError);
    // @ts-expect-error: the payload type comes from the schema
    await expect(sendJob(untouched, WORKER_SELF_TEST_JOB, { holdMs: 'soon' })).rejects.toThrow(/"worker\.selftest" sent has an invalid payload: holdMs:/);
  });

  it('every definition has a unique queue name and a dead-letter policy', () => {
    expect(new Set(JOBS.map((j) => j.name)).size).toBe(JOBS.length);
    for (const j of JOBS) expect(j.policy.deadLetter).toBe('dead-letter');
    expect(maxAttempts(SEGMENTATION_RUN_JOB)).toBe(3);
  });
});
