/**
 * Which C-STORE failures are permanent (not retried) and how full the spool is
 * (lib/dicom/net/store-scu.ts, spool-capacity.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPermanentStoreStatus } from '@/lib/dicom/net/store-scu';
import { SpoolCapacity, measureSpool } from '@/lib/dicom/net/spool-capacity';

describe('permanent C-STORE statuses', () => {
  it('does not retry statuses that will not change, retries the others', () => {
    for (const s of [0x0122, 0x0124, 0x0111, 0x0117, 0xa900, 0xa9ff, 0xc000, 0xcfff]) expect(isPermanentStoreStatus(s), s.toString(16)).toBe(true);
    for (const s of [0xa700, 0xa7ff, 0x0110, 0xfe00, 0xa800]) expect(isPermanentStoreStatus(s), s.toString(16)).toBe(false);
  });
});

describe('spool capacity', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'iseg-spool-capacity-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts every file under the spool, .incoming included, and says which limit is crossed', async () => {
    mkdirSync(path.join(dir, '1.2.3'), { recursive: true });
    mkdirSync(path.join(dir, '.incoming'), { recursive: true });
    writeFileSync(path.join(dir, '1.2.3', '1.2.3.4.dcm'), Buffer.alloc(600));
    writeFileSync(path.join(dir, '.incoming', 'x.part'), Buffer.alloc(400));
    const roomy = await measureSpool(dir, { maxBytes: 2000, minFreeBytes: 0 });
    expect([roomy.usedBytes, roomy.fullReason]).toEqual([1000, null]);
    expect((await measureSpool(dir, { maxBytes: 1000, minFreeBytes: 0 })).fullReason).toMatch(/at its limit of 1000 bytes \(ISEG_DICOM_SPOOL_MAX_GB\)/);
    expect((await measureSpool(dir, { maxBytes: 2000, minFreeBytes: Number.MAX_SAFE_INTEGER })).fullReason).toMatch(/ISEG_DICOM_SPOOL_MIN_FREE_GB/);
  });

  it('adds stored instances between measures', async () => {
    const c = new SpoolCapacity(dir, { maxBytes: 1500, minFreeBytes: 0 });
    await c.measure();
    expect(c.current().fullReason).toBeNull();
    c.add(600);
    expect(c.current().fullReason).toMatch(/at its limit/);
    await c.measure();
    expect(c.current().usedBytes).toBe(1000);
  });
});
