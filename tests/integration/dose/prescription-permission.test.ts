/**
 * Entering a prescription has its own permission, `dose:enter-prescription` (physicist only;
 * docs/security.md): the study page's server action, for each role, on a study whose plan states
 * none. Only the physicist's prescription is stored; every other role gets the role's "may not"
 * message and nothing changes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { deterministicUid, encodeRtPlan, writeDosePhantom } from '@/lib/dicom';
import { ROLES, PERMISSIONS, type Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { getStudyDose } from '@/lib/server/dose/get-study-dose';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));
// next/navigation's redirect throws NEXT_REDIRECT, which only Next.js catches; here it throws the URL.
class Redirected extends Error {}
vi.mock('next/navigation', () => ({
  redirect: (url: string) => {
    throw new Redirected(url);
  },
}));

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role}`, role });

describe('dose:enter-prescription', () => {
  let t: TestDatabase;
  let tmp: string;
  let studyId: string;
  let enterPrescriptionAction: (form: FormData) => Promise<void>;
  beforeAll(async () => {
    t = await createTestDatabase('dose_prescription_permission');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-rx-perm-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ enterPrescriptionAction } = await import('@/app/(study)/studies/[id]/dose-actions'));
    const seed = 'rx-permission';
    const dir = join(tmp, 'study');
    const files = await writeDosePhantom(dir, {
      ctDims: [32, 32, 16],
      ctSpacingMm: [2, 2, 2.5],
      doseSpacingMm: [3, 3, 3],
      structures: [{ name: 'ITV', centreMm: [0, 0, 0], radiiMm: [10, 10, 9], interpretedType: 'GTV' }],
      target: { centreMm: [0, 0, 0], radiusMm: 11, falloffMm: 3 },
      prescriptionGy: 60,
      fractions: 30,
      seed,
    });
    const meta = {
      patientName: 'DOSE^PHANTOM',
      patientId: seed,
      studyInstanceUid: deterministicUid(`${seed}/study`),
      frameOfReferenceUid: deterministicUid(`${seed}/for`),
      studyDate: '20261206',
      uidSeed: seed,
    };
    writeFileSync(files.rtplan, encodeRtPlan({ ...meta, label: 'NoRx', prescriptionGy: null, fractions: 30 }).bytes);
    studyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir, store: createVolumeStore({ dir: join(tmp, 'volumes') }) })).studyId;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  const submit = async (gy: string): Promise<string> => {
    const form = new FormData();
    form.set('studyId', studyId);
    form.set('prescriptionGy', gy);
    try {
      await enterPrescriptionAction(form);
    } catch (e) {
      if (e instanceof Redirected) return decodeURIComponent(e.message);
      throw e;
    }
    throw new Error('the action did not redirect');
  };

  it('is its own permission, held by the physicist only', () => {
    expect(PERMISSIONS['dose:enter-prescription']).toEqual(['PHYSICIST']);
  });

  for (const role of ROLES.filter((r) => r !== 'PHYSICIST'))
    it(`${role}: refused with the role's message; the plan keeps no prescription; the study page offers no form`, async () => {
      session.caller = who(role);
      const url = await submit('54');
      expect(url).toMatch(/doseError=/);
      expect(url).toMatch(/may not/i);
      expect((await t.db.treatmentPlan.findFirstOrThrow({ where: { studyId } })).prescriptionGy).toBeNull();
      expect(await getStudyDose(t.db, { caller: who(role), studyId })).toMatchObject({ canEnterPrescription: false });
    });

  it('PHYSICIST: the form is offered, the prescription is stored with its source and the V-metrics are recomputed', async () => {
    session.caller = who('PHYSICIST');
    expect(await getStudyDose(t.db, { caller: who('PHYSICIST'), studyId })).toMatchObject({ canEnterPrescription: true });
    const url = await submit('54');
    expect(url).toMatch(/doseDone=Prescription 54 Gy/);
    expect(await t.db.treatmentPlan.findFirstOrThrow({ where: { studyId } })).toMatchObject({ prescriptionGy: 54, source: 'entered by physicist@example.org' });
    const itv = await t.db.doseMetricResult.findFirstOrThrow({ where: { studyId, region: 'PHYSICIAN_ITV', componentIndex: null } });
    expect(itv.prescriptionGy).toBe(54);
    expect((itv.values as Record<string, unknown>).v95Pct).toEqual(expect.any(Number));
  });
});
