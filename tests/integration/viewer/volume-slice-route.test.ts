/**
 * GET /api/studies/[id]/volume?series=<id>&axial=<k> (issue #19: the viewer's first image before
 * the whole volume), called in-process on real Postgres and a real volume store with a CT imported
 * from real DICOM (only the session lookup is replaced: getCaller needs Next's request context).
 * The slice is the volume's slice k voxel for voxel, with the slice's grid; the checks are the
 * volume route's: 401 without a session, 403 for a role without studies:view, 404 for a series of
 * another study, 400 for a slice number outside the series or not a number.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { parseVolumeResponse } from '@/components/viewer/load-volume';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const who = (role: string): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role}`, role: role as Caller['role'] });

describe('GET /api/studies/[id]/volume?series=…&axial=k', () => {
  let t: TestDatabase;
  let tmp: string;
  let GET: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  let studyId: string;
  let seriesId: string;
  let otherStudyId: string;
  const get = (id: string, query: string) => GET(new Request(`http://localhost/api/studies/${id}/volume?${query}`), { params: Promise.resolve({ id }) });

  beforeAll(async () => {
    t = await createTestDatabase('volume_slice_route');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-volume-slice-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ GET } = (await import('@/app/api/studies/[id]/volume/route')) as unknown as { GET: typeof GET });
    const store = createVolumeStore({ dir: join(tmp, 'volumes') });
    const a = await writePhantomStudy(join(tmp, 'a'), { dims: [24, 20, 9], spacingMm: [4, 4.5, 5], phasePercents: [0], index: 1, seed: 'slice-a' });
    studyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: a.dicomDir, store })).studyId;
    seriesId = (await t.db.imageSeries.findFirstOrThrow({ where: { studyId }, select: { id: true } })).id;
    const b = await writePhantomStudy(join(tmp, 'b'), { dims: [16, 16, 6], spacingMm: [5, 5, 5], phasePercents: [0], index: 2, seed: 'slice-b' });
    otherStudyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: b.dicomDir, store })).studyId;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every slice equals that slice of the whole volume, with the slice’s grid (origin one slice further each step)', async () => {
    session.caller = who('RESEARCHER');
    const whole = await parseVolumeResponse(await get(studyId, `series=${seriesId}`));
    const [nx, ny, nz] = whole.dims;
    expect(nz).toBe(9);
    for (let k = 0; k < nz; k++) {
      const res = await get(studyId, `series=${seriesId}&axial=${k}`);
      expect(res.status, await res.clone().text()).toBe(200);
      const slice = await parseVolumeResponse(res);
      expect(slice.dims).toEqual([nx, ny, 1]);
      expect(slice.spacingMm).toEqual(whole.spacingMm);
      expect(slice.direction).toEqual(whole.direction);
      const d = whole.direction;
      const expected = [0, 1, 2].map((r) => whole.originMm[r]! + d[3 * r + 2]! * k * whole.spacingMm[2]);
      slice.originMm.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 4));
      expect(Array.from(slice.data)).toEqual(Array.from(whole.data.subarray(k * nx * ny, (k + 1) * nx * ny)));
    }
    // Not all air: the phantom's body crosses the middle slice.
    const mid = await parseVolumeResponse(await get(studyId, `series=${seriesId}&axial=4`));
    expect(new Set(mid.data).size).toBeGreaterThan(2);
  });

  it('401 without a session', async () => {
    session.caller = null;
    expect((await get(studyId, `series=${seriesId}&axial=0`)).status).toBe(401);
  });

  it('403 for a role without studies:view', async () => {
    session.caller = who('VISITOR');
    const res = await get(studyId, `series=${seriesId}&axial=0`);
    expect(res.status).toBe(403);
  });

  it('404 for a series of another study, naming both', async () => {
    session.caller = who('REVIEWER');
    const res = await get(otherStudyId, `series=${seriesId}&axial=0`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toContain(`Series ${seriesId} is not part of study ${otherStudyId}`);
  });

  it('400 for a slice outside the series or not a number, saying what to give', async () => {
    session.caller = who('PHYSICIST');
    const outside = await get(studyId, `series=${seriesId}&axial=9`);
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.message).toMatch(/slice 9 is outside .*slices 0–8/);
    for (const bad of ['-1', '1.5', 'abc', '']) {
      const res = await get(studyId, `series=${seriesId}&axial=${bad}`);
      expect(res.status, bad).toBe(400);
      expect((await res.json()).error.message).toMatch(/not a slice number|slice number from 0/);
    }
    const noSeries = await get(studyId, `axial=0`);
    expect(noSeries.status).toBe(400);
    expect((await noSeries.json()).error.message).toContain('?series=<CT series id>&axial=');
  });
});
