/**
 * DICOM destinations (lib/server/dicom-send/save-dicom-destination.ts) in a real Postgres: only an
 * admin edits them; every field is checked with a message naming it and the destination; a
 * name is unique; each save is audited with the values before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { saveDicomDestination, type DicomDestinationInput } from '@/lib/server/dicom-send/save-dicom-destination';
import { findDicomDestinations } from '@/lib/server/dicom-send/find-dicom-destinations';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const good: DicomDestinationInput = {
  name: 'Eclipse',
  aeTitle: 'ECLIPSE_IMPORT',
  host: '10.0.0.12',
  port: '104',
  callingAeTitle: 'ISEG_QA',
  enabled: true,
  autoSend: false,
};

describe('DICOM destinations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('dicom_destinations');
  });
  afterAll(async () => {
    await t.drop();
  });

  it('a physicist may not edit them; bad fields are named; nothing is written', async () => {
    await expect(saveDicomDestination(t.db, { caller: physicist, input: good })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const bad = (patch: Partial<DicomDestinationInput>) => saveDicomDestination(t.db, { caller: admin, input: { ...good, ...patch } });
    await expect(bad({ aeTitle: 'A_TITLE_LONGER_THAN_16' })).rejects.toThrow(
      'AE title of destination "Eclipse" "A_TITLE_LONGER_THAN_16" is 22 characters long: an AE title has at most 16.',
    );
    await expect(bad({ callingAeTitle: 'ISEG\\QA' })).rejects.toThrow(
      /Calling AE title for destination "Eclipse" "ISEG\\QA" has a character an AE title may not hold/,
    );
    await expect(bad({ aeTitle: '  ' })).rejects.toThrow(/AE title of destination "Eclipse" is empty/);
    await expect(bad({ port: '70000' })).rejects.toThrow(
      'Port "70000" of destination "Eclipse" is not a TCP port (1 to 65535; DICOM often uses 104 or 11112).',
    );
    await expect(bad({ host: 'pacs host' })).rejects.toThrow(/Host "pacs host" of destination "Eclipse" is not a host name or IP address/);
    await expect(bad({ name: '' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await t.db.dicomDestination.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: { startsWith: 'dicom.destination' } } })).toBe(0);
  });

  it('create, change, a taken name refused; each save audited with before and after', async () => {
    const d = await saveDicomDestination(t.db, { caller: admin, input: good });
    expect([d.aeTitle, d.port, d.enabled, d.autoSend]).toEqual(['ECLIPSE_IMPORT', 104, true, false]);
    const other = await saveDicomDestination(t.db, { caller: admin, input: { ...good, name: 'PACS', aeTitle: 'PACS' } });
    await expect(saveDicomDestination(t.db, { caller: admin, id: other.id, input: { ...good, name: 'Eclipse' } })).rejects.toThrow(
      'A destination named "Eclipse" already exists: choose another name or edit that one.',
    );
    const changed = await saveDicomDestination(t.db, { caller: admin, id: d.id, input: { ...good, port: 11112, enabled: false, autoSend: true } });
    expect([changed.id, changed.port, changed.enabled, changed.autoSend]).toEqual([d.id, 11112, false, true]);
    const audit = await t.db.auditEvent.findMany({ where: { action: { startsWith: 'dicom.destination' } }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.userEmail, a.target])).toEqual([
      ['dicom.destination.create', admin.email, `dicom-destination:${d.id}`],
      ['dicom.destination.create', admin.email, `dicom-destination:${other.id}`],
      ['dicom.destination.update', admin.email, `dicom-destination:${d.id}`],
    ]);
    expect(audit[2].details).toMatchObject({ before: { port: 104, enabled: true, autoSend: false }, after: { port: 11112, enabled: false, autoSend: true } });
    // The send form lists enabled destinations only, for those who may send.
    expect((await findDicomDestinations(t.db, { caller: physicist, enabledOnly: true })).map((x) => x.name)).toEqual(['PACS']);
    await expect(findDicomDestinations(t.db, { caller: physicist })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
