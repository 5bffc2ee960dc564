/**
 * The viewer's dose data (issue #15 item 3), on real Postgres with real DICOM written by our
 * writers (lib/dicom/dose-phantom.ts): GET /api/studies/[id]/dose called in-process (only the
 * session lookup is replaced: getCaller needs Next's request context) serves the dose grid the
 * metrics use as float32 values that decode to the stored grid (its maximum equals DoseGrid.maxDose),
 * to every role holding studies:view, with no UIDs; 401 without a session, 404 with a message for a
 * study without dose, 304 for the same ETag. getStudyDvh gives one cumulative DVH per region.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { writeDosePhantom } from '@/lib/dicom';
import { ROLES, type Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { getStudyDvh } from '@/lib/server/dose/get-study-dvh';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role}`, role });

describe('GET /api/studies/[id]/dose and the study DVHs', () => {
  let t: TestDatabase;
  let tmp: string;
  let GET: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  let studyId: string;
  let noDoseStudyId: string;
  const get = (id: string, headers: Record<string, string> = {}) =>
    GET(new Request(`http://localhost/api/studies/${id}/dose`, { headers }), { params: Promise.resolve({ id }) });

  beforeAll(async () => {
    t = await createTestDatabase('dose_viewer_routes');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-dose-viewer-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ GET } = (await import('@/app/api/studies/[id]/dose/route')) as unknown as { GET: typeof GET });
    const store = createVolumeStore({ dir: join(tmp, 'volumes') });
    const dir = join(tmp, 'dose');
    await writeDosePhantom(dir, {
      ctDims: [40, 40, 20],
      ctSpacingMm: [2, 2, 2.5],
      doseSpacingMm: [3, 3, 3],
      structures: [
        { name: 'ITV', centreMm: [2, -1, 0], radiiMm: [14, 13, 12], interpretedType: 'GTV' },
        { name: 'GTV', centreMm: [2, -1, 0], radiiMm: [8, 9, 7], interpretedType: 'GTV' },
      ],
      target: { centreMm: [2, -1, 0], radiusMm: 15, falloffMm: 3 },
      prescriptionGy: 60,
      fractions: 30,
      seed: 'dose-viewer-routes',
    });
    studyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir, store })).studyId;
    const plain = await writePhantomStudy(join(tmp, 'plain'), { dims: [16, 16, 8], spacingMm: [4, 4, 5], phasePercents: [0, 50], index: 1, seed: 'no-dose' });
    noDoseStudyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: plain.dicomDir, store })).studyId;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('401 without a session', async () => {
    session.caller = null;
    expect((await get(studyId)).status).toBe(401);
  });

  for (const role of ROLES)
    it(`${role}: the dose grid as float32 values equal to the stored grid, no UIDs`, async () => {
      session.caller = who(role);
      const res = await get(studyId);
      expect(res.status, await res.clone().text()).toBe(200);
      const grid = await t.db.doseGrid.findFirstOrThrow({ where: { studyId } });
      expect(res.headers.get('X-Volume-Type')).toBe('float32');
      expect(res.headers.get('X-Volume-Dims')).toBe(grid.dims.join(','));
      expect(res.headers.get('X-Volume-Encoding')).toBe('gzip');
      const bytes = gunzipSync(Buffer.from(await res.arrayBuffer()));
      const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      expect(values.length).toBe(grid.dims[0]! * grid.dims[1]! * grid.dims[2]!);
      expect(Math.max(...values)).toBeCloseTo(grid.maxDose, 3);
      const headers = JSON.stringify([...res.headers.entries()]);
      for (const uid of [grid.sopInstanceUid, grid.frameOfReferenceUid]) expect(headers).not.toContain(uid);
      // Fetched once: the same ETag answers 304 without a body.
      expect((await get(studyId, { 'if-none-match': res.headers.get('ETag')! })).status).toBe(304);
    });

  it('404 naming what to import for a study without dose', async () => {
    session.caller = who('RESEARCHER');
    const res = await get(noDoseStudyId);
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toMatch(/no dose grid.*RTDOSE/);
  });

  it('getStudyDvh: one cumulative DVH per physician region (100 % at 0 Gy, non-increasing); none without dose; refuses no caller', async () => {
    const curves = await getStudyDvh(t.db, { caller: who('RESEARCHER'), studyId });
    expect(curves.map((c) => c.region)).toEqual(['PHYSICIAN_ITV', 'PHYSICIAN_GTV']);
    for (const c of curves) {
      expect(c.dvh.volumePct[0]).toBeCloseTo(100, 6);
      expect(c.dvh.volumePct.every((v, n) => n === 0 || v <= c.dvh.volumePct[n - 1]!)).toBe(true);
      expect(c.volumeCc).toBeGreaterThan(0);
    }
    expect(await getStudyDvh(t.db, { caller: who('RESEARCHER'), studyId: noDoseStudyId })).toEqual([]);
    await expect(getStudyDvh(t.db, { caller: null, studyId })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
