/** The DICOM node's limits in the configuration (lib/server/env.ts): defaults and clear errors. */
import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../lib/server/env';

describe('DICOM node limits in the configuration', () => {
  it('defaults: 60 s idle timeout, 20 GB spool, 1 GB free-disk floor', () => {
    const env = parseEnv({}, '/srv/iseg');
    expect([env.ISEG_DICOM_IDLE_TIMEOUT_S, env.ISEG_DICOM_SPOOL_MAX_GB, env.ISEG_DICOM_SPOOL_MIN_FREE_GB]).toEqual([60, 20, 1]);
  });

  it('takes decimals for sizes', () => {
    const env = parseEnv({ ISEG_DICOM_SPOOL_MAX_GB: '0.5', ISEG_DICOM_SPOOL_MIN_FREE_GB: '0', ISEG_DICOM_IDLE_TIMEOUT_S: '5' }, '/srv/iseg');
    expect([env.ISEG_DICOM_IDLE_TIMEOUT_S, env.ISEG_DICOM_SPOOL_MAX_GB, env.ISEG_DICOM_SPOOL_MIN_FREE_GB]).toEqual([5, 0.5, 0]);
  });

  it('prepares received CT series 3 s after their last instance by default; off or another time when set', () => {
    expect(parseEnv({}, '/srv/iseg').ISEG_DICOM_PREPARE_SECONDS).toBe('off');
    expect(parseEnv({ ISEG_DICOM_PREPARE_SECONDS: 'off' }, '/srv/iseg').ISEG_DICOM_PREPARE_SECONDS).toBe('off');
    expect(parseEnv({ ISEG_DICOM_PREPARE_SECONDS: '10' }, '/srv/iseg').ISEG_DICOM_PREPARE_SECONDS).toBe(10);
    expect(() => parseEnv({ ISEG_DICOM_PREPARE_SECONDS: 'soon' })).toThrow(/ISEG_DICOM_PREPARE_SECONDS="soon"/);
  });

  it('names each bad value and what to set', () => {
    expect(() => parseEnv({ ISEG_DICOM_SPOOL_MAX_GB: 'lots' })).toThrow(/ISEG_DICOM_SPOOL_MAX_GB="lots": must be a size in GB/);
    expect(() => parseEnv({ ISEG_DICOM_SPOOL_MAX_GB: '0' })).toThrow(/ISEG_DICOM_SPOOL_MAX_GB="0": must be more than 0 GB/);
    expect(() => parseEnv({ ISEG_DICOM_SPOOL_MIN_FREE_GB: '-1' })).toThrow(/ISEG_DICOM_SPOOL_MIN_FREE_GB="-1": must be 0 GB or more/);
    expect(() => parseEnv({ ISEG_DICOM_IDLE_TIMEOUT_S: '0' })).toThrow(/ISEG_DICOM_IDLE_TIMEOUT_S="0": must be at least 1 second/);
  });
});
