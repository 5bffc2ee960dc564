/**
 * The viewer's slice store (lib/server/storage/slice-store.ts; issue #19) behind
 * GET /api/studies/[id]/volume?series=…&axial=k and GET /api/studies/[id]/volume/image, called
 * in-process on real Postgres and a real volume store with a CT imported from real DICOM (only the
 * session lookup is replaced: getCaller needs Next's request context).
 *
 * - A study imported without a store (as every study before it existed) is served from its
 *   volume on the first view, which builds the store; after that each slice comes from the store
 *   and equals the volume's slice voxel for voxel.
 * - A slice file or a manifest changed on disk gives a clear 500 naming the file and what to do,
 *   and none of its bytes (no voxel response, no PNG); a removed store falls back to the volume
 *   and is built again.
 * - The PNG is the slice in the viewer's window, pixel for pixel, anterior at the top; the
 *   route's checks are those of the slice route (401, 403, 404, 400).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { ensureSeriesSliceStore, sliceStoreDir } from '@/lib/server/storage/slice-store';
import { parseVolumeResponse, type LoadedVolume } from '@/components/viewer/load-volume';
import { WINDOW_PRESETS, windowGrey } from '@/lib/core/viewer';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const who = (role: string): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role}`, role: role as Caller['role'] });
type Handler = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;

/** Width, height and grey values of an 8-bit greyscale PNG (filter 0 rows, as encodeGreyPng writes). */
function readGreyPng(png: Buffer): { width: number; height: number; grey: Uint8Array } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect([data[8], data[9]]).toEqual([8, 0]);
    } else if (type === 'IDAT') idat.push(data);
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const grey = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width + 1)]).toBe(0);
    grey.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, grey };
}

describe('slice store behind the first image (GET …/volume?axial=k, GET …/volume/image)', () => {
  let t: TestDatabase;
  let tmp: string;
  let VOLUME: Handler;
  let IMAGE: Handler;
  let studyId: string;
  let seriesId: string;
  let otherStudyId: string;
  let volumeKey: string;
  let whole: LoadedVolume;
  const store = () => createVolumeStore({ dir: join(tmp, 'volumes') });
  const get = (h: Handler, path: string, id: string, query: string) =>
    h(new Request(`http://localhost/api/studies/${id}/${path}?${query}`), { params: Promise.resolve({ id }) });
  const slice = (k: number, id = studyId) => get(VOLUME, 'volume', id, `series=${seriesId}&axial=${k}`);
  const image = (query: string, id = studyId) => get(IMAGE, 'volume/image', id, query);
  const expectSliceOfVolume = async (res: Response, k: number) => {
    expect(res.status, await res.clone().text()).toBe(200);
    const s = await parseVolumeResponse(res);
    const [nx, ny] = whole.dims;
    expect(s.dims).toEqual([nx, ny, 1]);
    const d = whole.direction;
    const expected = [0, 1, 2].map((r) => whole.originMm[r]! + d[3 * r + 2]! * k * whole.spacingMm[2]);
    s.originMm.forEach((v, r) => expect(v).toBeCloseTo(expected[r]!, 4));
    expect(Array.from(s.data)).toEqual(Array.from(whole.data.subarray(k * nx * ny, (k + 1) * nx * ny)));
  };

  beforeAll(async () => {
    t = await createTestDatabase('slice_store');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-slice-store-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ GET: VOLUME } = (await import('@/app/api/studies/[id]/volume/route')) as unknown as { GET: Handler });
    ({ GET: IMAGE } = (await import('@/app/api/studies/[id]/volume/image/route')) as unknown as { GET: Handler });
    const a = await writePhantomStudy(join(tmp, 'a'), { dims: [24, 20, 9], spacingMm: [4, 4.5, 5], phasePercents: [0], index: 1, seed: 'store-a' });
    studyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: a.dicomDir, store: store() })).studyId;
    const s = await t.db.imageSeries.findFirstOrThrow({ where: { studyId }, select: { id: true, volumeKey: true } });
    seriesId = s.id;
    volumeKey = s.volumeKey!;
    const b = await writePhantomStudy(join(tmp, 'b'), { dims: [16, 16, 6], spacingMm: [5, 5, 5], phasePercents: [0], index: 2, seed: 'store-b' });
    otherStudyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: b.dicomDir, store: store() })).studyId;
    session.caller = who('RESEARCHER');
    whole = await parseVolumeResponse(await get(VOLUME, 'volume', studyId, `series=${seriesId}`));
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a study without a store: the first view is served from the volume and builds the store; then every slice comes from it, equal to the volume’s', async () => {
    session.caller = who('RESEARCHER');
    const dir = sliceStoreDir(store(), volumeKey);
    expect((await t.db.imageSeries.findUniqueOrThrow({ where: { id: seriesId } })).sliceManifestSha256).toBeNull();
    expect(existsSync(dir)).toBe(false);
    await expectSliceOfVolume(await slice(4), 4);
    // The build the view started (the same promise: one build per series at a time).
    const sha = await ensureSeriesSliceStore(t.db, store(), { seriesId });
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    expect((await t.db.imageSeries.findUniqueOrThrow({ where: { id: seriesId } })).sliceManifestSha256).toBe(sha);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', ...Array.from({ length: 9 }, (_, k) => `${k}.i16.gz`)].sort());
    for (let k = 0; k < 9; k++) await expectSliceOfVolume(await slice(k), k);
    // From the store, not the volume: with the volume file unreadable the slices still come.
    const file = join(store().root, volumeKey.slice(0, 2), volumeKey.slice(2, 4), volumeKey);
    const original = readFileSync(file);
    writeFileSync(file, Buffer.from('not the volume'));
    try {
      await expectSliceOfVolume(await slice(7), 7);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('a changed slice file gives a 500 naming the file and what to do, with none of its bytes; so does its PNG', async () => {
    session.caller = who('PHYSICIST');
    await ensureSeriesSliceStore(t.db, store(), { seriesId });
    const file = join(sliceStoreDir(store(), volumeKey), '3.i16.gz');
    const original = readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 12]! ^= 0xff;
    writeFileSync(file, tampered);
    try {
      const res = await slice(3);
      expect(res.status).toBe(500);
      expect(res.headers.get('content-type')).toContain('application/json');
      const msg = (await res.json()).error.message as string;
      expect(msg).toContain(`Slice 3 of CT series ${seriesId} is corrupt in the slice store`);
      expect(msg).toContain(file);
      expect(msg).toMatch(/Nothing of it is shown; remove the folder .* builds it again/);
      const png = await image(`series=${seriesId}&axial=3`);
      expect(png.status).toBe(500);
      expect(png.headers.get('content-type')).not.toContain('image/png');
      // The other slices are unaffected.
      await expectSliceOfVolume(await slice(2), 2);
    } finally {
      writeFileSync(file, original);
    }
    await expectSliceOfVolume(await slice(3), 3);
  });

  it('a changed manifest gives a 500 naming it; a removed store falls back to the volume and is built again', async () => {
    session.caller = who('PHYSICIST');
    const sha = await ensureSeriesSliceStore(t.db, store(), { seriesId });
    const dir = sliceStoreDir(store(), volumeKey);
    const manifest = join(dir, 'manifest.json');
    const original = readFileSync(manifest);
    writeFileSync(manifest, original.toString('utf8').replace('"slices":[{"sha256":"', '"slices":[{"sha256":"0'));
    try {
      const res = await slice(0);
      expect(res.status).toBe(500);
      const msg = (await res.json()).error.message as string;
      expect(msg).toContain(`The slice store of CT series ${seriesId} is corrupt: ${manifest}`);
      expect(msg).toContain(`the database expects ${sha}`);
    } finally {
      writeFileSync(manifest, original);
    }
    rmSync(dir, { recursive: true });
    await expectSliceOfVolume(await slice(5), 5);
    await expect(ensureSeriesSliceStore(t.db, store(), { seriesId })).resolves.toBe(sha);
    // The rebuild the fallback started puts the same manifest back.
    for (let n = 0; n < 100 && !existsSync(manifest); n++) await new Promise((r) => setTimeout(r, 50));
    expect(readFileSync(manifest)).toEqual(original);
    await expectSliceOfVolume(await slice(5), 5);
  });

  it('the PNG is the slice in the viewer window, pixel for pixel (anterior at the top), lung by default', async () => {
    session.caller = who('REVIEWER');
    const [nx, ny] = whole.dims;
    const k = 4;
    for (const w of ['lung', 'mediastinum'] as const) {
      const res = await image(`series=${seriesId}&axial=${k}${w === 'lung' ? '' : '&window=mediastinum'}`);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      const etag = res.headers.get('etag');
      expect(etag).toContain(w);
      const png = readGreyPng(Buffer.from(await res.arrayBuffer()));
      expect([png.width, png.height]).toEqual([nx, ny]);
      const expected = new Uint8Array(nx * ny);
      for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) expected[j * nx + i] = windowGrey(whole.data[k * nx * ny + j * nx + i]!, WINDOW_PRESETS[w]);
      expect(Array.from(png.grey)).toEqual(Array.from(expected));
      expect(new Set(png.grey).size).toBeGreaterThan(2);
      const again = await IMAGE(
        new Request(`http://localhost/api/studies/${studyId}/volume/image?series=${seriesId}&axial=${k}&window=${w}`, { headers: { 'if-none-match': etag! } }),
        {
          params: Promise.resolve({ id: studyId }),
        },
      );
      expect(again.status).toBe(304);
    }
  });

  it('PNG route: 401 without a session, 403 without studies:view, 404 for another study’s series, 400 for a bad slice, series or window', async () => {
    session.caller = null;
    expect((await image(`series=${seriesId}&axial=0`)).status).toBe(401);
    session.caller = who('VISITOR');
    expect((await image(`series=${seriesId}&axial=0`)).status).toBe(403);
    session.caller = who('PHYSICIST');
    const other = await image(`series=${seriesId}&axial=0`, otherStudyId);
    expect(other.status).toBe(404);
    expect((await other.json()).error.message).toContain(`Series ${seriesId} is not part of study ${otherStudyId}`);
    const outside = await image(`series=${seriesId}&axial=9`);
    expect(outside.status).toBe(400);
    expect((await outside.json()).error.message).toMatch(/slice 9 is outside .*slices 0–8/);
    for (const [q, m] of [
      [`series=${seriesId}&axial=x`, /not a slice number/],
      [`series=${seriesId}`, /not a slice number/],
      [`axial=0`, /Name the CT series/],
      [`series=${seriesId}&axial=0&window=bone`, /not a viewer window: lung or mediastinum/],
    ] as const) {
      const res = await image(q);
      expect(res.status, q).toBe(400);
      expect((await res.json()).error.message).toMatch(m);
    }
  });
});
