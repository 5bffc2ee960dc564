/**
 * recordReceivedInstance on a real database: the received study's row and the association's count
 * after each C-STORE, on the first instance (the row is created) and on later ones (one UPDATE
 * statement): counts, repeated SOP Instance UIDs, modalities merged and sorted, the receipt time,
 * the pseudonym kept, and the state (an imported or failed study receives again → RECEIVING, the
 * error cleared; an import in progress stays IMPORTING).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { pseudonymForReceived, recordReceivedInstance } from '@/lib/server/dicom-receive/record-received-instance';

describe('recordReceivedInstance', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('dicom_record_instance');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('creates the row on the first instance, then counts, merges modalities and moves the state on each later one', async () => {
    const study = '1.2.826.0.1.3680043.8.498.1';
    const assoc = await t.db.dicomAssociation.create({
      data: { callingAeTitle: 'SCANNER_1', calledAeTitle: 'ISEG_QA', remoteAddress: '127.0.0.1', accepted: true },
    });
    const record = (o: { modality: string | null; replaced?: boolean; callingAeTitle?: string; patientId?: string | null }) =>
      recordReceivedInstance({
        db: t.db,
        associationId: assoc.id,
        callingAeTitle: o.callingAeTitle ?? 'SCANNER_1',
        studyInstanceUid: study,
        modality: o.modality,
        patientId: o.patientId === undefined ? 'PAT-1' : o.patientId,
        institutionName: 'Clinic A',
        replaced: o.replaced ?? false,
      });
    const row = () => t.db.dicomReceivedStudy.findUniqueOrThrow({ where: { studyInstanceUid: study } });
    const pseudonym = await pseudonymForReceived(t.db, { patientId: 'PAT-1', institutionName: 'Clinic A', studyInstanceUid: study });

    const before = Date.now();
    await record({ modality: 'RTSTRUCT' });
    expect(await row()).toMatchObject({ state: 'RECEIVING', instanceCount: 1, instancesReceived: 1, modalities: ['RTSTRUCT'], patientPseudonym: pseudonym });
    await record({ modality: 'CT' });
    await record({ modality: 'CT', replaced: true });
    await record({ modality: null, callingAeTitle: 'SCANNER_2', patientId: 'SOMEONE-ELSE' });
    const after = Date.now();
    const r = await row();
    // Sorted as the create path sorts them; a repeat (replaced) is received but not counted again.
    expect(r).toMatchObject({ instanceCount: 3, instancesReceived: 4, modalities: ['CT', 'RTSTRUCT'], callingAeTitle: 'SCANNER_2' });
    // The first pseudonym stays.
    expect(r.patientPseudonym).toBe(pseudonym);
    // The receipt time is the node's clock, stored as the create path stores it (not shifted by a time zone).
    expect(r.lastReceivedAt.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(r.lastReceivedAt.getTime()).toBeLessThanOrEqual(after + 1);
    expect((await t.db.dicomAssociation.findUniqueOrThrow({ where: { id: assoc.id } })).instancesReceived).toBe(4);

    // A failed study that receives more goes back to RECEIVING without its error.
    await t.db.dicomReceivedStudy.update({ where: { studyInstanceUid: study }, data: { state: 'FAILED', error: 'INVALID_INPUT: no CT' } });
    await record({ modality: 'RTDOSE' });
    expect(await row()).toMatchObject({ state: 'RECEIVING', error: null, modalities: ['CT', 'RTDOSE', 'RTSTRUCT'], instanceCount: 4 });
    // An imported one too; one being imported stays IMPORTING (the import sees the later receipt).
    await t.db.dicomReceivedStudy.update({ where: { studyInstanceUid: study }, data: { state: 'IMPORTED' } });
    await record({ modality: 'CT' });
    expect((await row()).state).toBe('RECEIVING');
    await t.db.dicomReceivedStudy.update({ where: { studyInstanceUid: study }, data: { state: 'IMPORTING' } });
    await record({ modality: 'CT' });
    expect(await row()).toMatchObject({ state: 'IMPORTING', instanceCount: 6, instancesReceived: 7 });
    expect((await t.db.dicomAssociation.findUniqueOrThrow({ where: { id: assoc.id } })).instancesReceived).toBe(7);
  });
});
