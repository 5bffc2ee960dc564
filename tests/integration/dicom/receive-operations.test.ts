/**
 * The Receive page's operations on a real database: the allow-list (admin only, audited, checked
 * at association), "import now" (physicist or admin, audited, only for a study that waits), and
 * the overview (no researcher; pseudonyms only).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { setDicomAllowedAe } from '@/lib/server/dicom-receive/set-dicom-allowed-ae';
import { findDicomAllowedAes } from '@/lib/server/dicom-receive/find-dicom-allowed-aes';
import { decideDicomAssociation } from '@/lib/server/dicom-receive/decide-dicom-association';
import { requestDicomStudyImport } from '@/lib/server/dicom-receive/request-dicom-study-import';
import { findDicomReceiveOverview } from '@/lib/server/dicom-receive/find-dicom-receive-overview';
import { importDueDicomStudies } from '@/lib/server/dicom-receive/import-due-dicom-studies';

const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };
const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };

describe('DICOM receive operations', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('dicom_receive_ops');
  });
  afterAll(async () => {
    await t?.drop();
  });

  const decide = (callingAeTitle: string, envAllowed: string[] = []) =>
    decideDicomAssociation({ db: t.db, callingAeTitle, calledAeTitle: 'ISEG_QA', remoteAddress: '127.0.0.1', ourAeTitle: 'ISEG_QA', envAllowed });

  it('the allow-list: only an admin edits it, each change is audited, and it decides associations', async () => {
    expect((await decide('ECLIPSE_01')).accept).toBe(false);
    await expect(setDicomAllowedAe(t.db, { caller: physicist, aeTitle: 'ECLIPSE_01', allowed: true })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(setDicomAllowedAe(t.db, { caller: admin, aeTitle: 'BAD\\AE', allowed: true })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(setDicomAllowedAe(t.db, { caller: admin, aeTitle: 'A_TITLE_LONGER_THAN_16', allowed: true })).rejects.toThrow(/1-16 printable ASCII/);
    await setDicomAllowedAe(t.db, { caller: admin, aeTitle: ' ECLIPSE_01 ', allowed: true, note: 'Planning, room 2' });
    expect((await decide('ECLIPSE_01')).accept).toBe(true);
    expect((await findDicomAllowedAes(t.db, { caller: physicist, envAllowed: ['FROM_ENV'] })).fromAdmin.map((a) => a.aeTitle)).toEqual(['ECLIPSE_01']);
    expect((await decide('FROM_ENV', ['FROM_ENV'])).accept).toBe(true);
    await setDicomAllowedAe(t.db, { caller: admin, aeTitle: 'ECLIPSE_01', allowed: false });
    expect((await decide('ECLIPSE_01')).accept).toBe(false);
    await expect(setDicomAllowedAe(t.db, { caller: admin, aeTitle: 'ECLIPSE_01', allowed: false })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const audit = await t.db.auditEvent.findMany({ where: { action: { startsWith: 'dicom.allowed-ae' } }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.userEmail, a.target])).toEqual([
      ['dicom.allowed-ae.add', 'admin@example.org', 'ae:ECLIPSE_01'],
      ['dicom.allowed-ae.remove', 'admin@example.org', 'ae:ECLIPSE_01'],
    ]);
    // A called AE title that is not ours is rejected whatever the caller.
    const wrong = await decideDicomAssociation({
      db: t.db,
      callingAeTitle: 'FROM_ENV',
      calledAeTitle: 'OTHER',
      remoteAddress: null,
      ourAeTitle: 'ISEG_QA',
      envAllowed: ['FROM_ENV'],
    });
    expect(wrong).toMatchObject({ accept: false, calledAeUnknown: true });
  });

  it('"import now": physicist or admin, audited, only for a study that waits; the next import step takes it', async () => {
    const waiting = await t.db.dicomReceivedStudy.create({
      data: {
        studyInstanceUid: '1.2.826.0.1.99.1',
        callingAeTitle: 'TPS',
        interrupted: true,
        instanceCount: 3,
        instancesReceived: 3,
        patientPseudonym: 'P-TEST',
      },
    });
    await expect(requestDicomStudyImport(t.db, { caller: researcher, receivedStudyId: waiting.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(requestDicomStudyImport(t.db, { caller: physicist, receivedStudyId: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await requestDicomStudyImport(t.db, { caller: physicist, receivedStudyId: waiting.id });
    const row = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { id: waiting.id } });
    expect(row.importRequestedAt).not.toBeNull();
    expect(row.importRequestedBy).toBe('phys@example.org');
    expect(await t.db.auditEvent.count({ where: { action: 'dicom.import.requested', target: `dicom-received-study:${waiting.id}` } })).toBe(1);
    // Interrupted, not quiet for long: imported anyway because it was asked for. Its spool folder
    // is missing here, so the import fails and says so.
    const [r] = await importDueDicomStudies({ db: t.db, spoolDir: '/nonexistent-spool', quietSeconds: 3600, boss: null });
    expect(r).toMatchObject({ studyInstanceUid: '1.2.826.0.1.99.1', state: 'FAILED' });
    const failed = await t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { id: waiting.id } });
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(/has no files/);
    const imported = await t.db.dicomReceivedStudy.create({ data: { studyInstanceUid: '1.2.826.0.1.99.2', callingAeTitle: 'TPS', state: 'IMPORTED' } });
    await expect(requestDicomStudyImport(t.db, { caller: admin, receivedStudyId: imported.id })).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('the overview: not for a researcher; patients by pseudonym only', async () => {
    await expect(findDicomReceiveOverview(t.db, { caller: researcher, quietSeconds: 30 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const o = await findDicomReceiveOverview(t.db, { caller: admin, quietSeconds: 30 });
    expect(o.studies.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(o.studies)).not.toContain('1.2.826.0.1.99');
    expect(o.studies.find((s) => s.patientPseudonym === 'P-TEST')?.state).toBe('FAILED');
    expect(o.associations.some((a) => !a.accepted && a.callingAeTitle === 'ECLIPSE_01')).toBe(true);
  });
});
