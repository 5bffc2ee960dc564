/**
 * The study page's first image inline in its HTML (issue #19; getStudyFirstImage, called by
 * app/(study)/studies/[id]/page.tsx), on real Postgres and a real volume store with a CT imported
 * from real DICOM:
 * - with the series' slice store built, the middle axial slice in the lung window comes as a PNG
 *   data: URI, byte for byte the PNG GET …/volume/image serves for that slice (whose pixels
 *   slice-store.test.ts checks against the volume), also when the caller is still a promise;
 * - without a store, no inline image (the page must not wait for the whole volume) and its build
 *   is started, so the next view has one;
 * - an anonymous caller and a role without studies:view get an error and no image, whether the
 *   caller is given or still being looked up;
 * - a changed slice file is not inlined (the page still opens; the route reports the file).
 * Only the route's session lookup is replaced (getCaller needs Next's request context).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { getStudyFirstImage } from '@/lib/server/studies/get-study-first-image';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { sliceStoreDir } from '@/lib/server/storage/slice-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const who = (role: string): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@example.org`, name: `Test ${role}`, role: role as Caller['role'] });
type Handler = (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
const later = <T>(v: T) => new Promise<T>((resolve) => setTimeout(() => resolve(v), 20));

describe('getStudyFirstImage: the first image inline in the study page', () => {
  let t: TestDatabase;
  let tmp: string;
  let IMAGE: Handler;
  let studyId: string;
  let seriesId: string;
  let volumeKey: string;
  const store = () => createVolumeStore({ dir: join(tmp, 'volumes') });
  const routePng = async (k: number) => {
    session.caller = who('PHYSICIST');
    const res = await IMAGE(new Request(`http://localhost/api/studies/${studyId}/volume/image?series=${seriesId}&axial=${k}&window=lung`), {
      params: Promise.resolve({ id: studyId }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  beforeAll(async () => {
    t = await createTestDatabase('first_image_inline');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-first-image-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ GET: IMAGE } = (await import('@/app/api/studies/[id]/volume/image/route')) as unknown as { GET: Handler });
    const a = await writePhantomStudy(join(tmp, 'a'), { dims: [24, 20, 9], spacingMm: [4, 4.5, 5], phasePercents: [0], index: 1, seed: 'inline-a' });
    studyId = (await importStudy({ db: t.db, caller: who('PHYSICIST'), dir: a.dicomDir, store: store() })).studyId;
    const s = await t.db.imageSeries.findFirstOrThrow({ where: { studyId }, select: { id: true, volumeKey: true } });
    seriesId = s.id;
    volumeKey = s.volumeKey!;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('without a slice store: the slice named but not inlined (no wait for the volume), and the store’s build started', async () => {
    expect((await t.db.imageSeries.findUniqueOrThrow({ where: { id: seriesId } })).sliceManifestSha256).toBeNull();
    const first = await getStudyFirstImage(t.db, store(), { caller: who('RESEARCHER'), studyId });
    expect(first).toMatchObject({ seriesId, index: 4, nz: 9, width: 24, height: 20, lungSrc: null });
    expect(first!.aspect).toBeCloseTo((24 * 4) / (20 * 4.5), 9);
    await vi.waitFor(
      async () => expect((await t.db.imageSeries.findUniqueOrThrow({ where: { id: seriesId } })).sliceManifestSha256).toMatch(/^[0-9a-f]{64}$/),
      { timeout: 30_000, interval: 50 },
    );
  });

  it('with the store: the lung-window PNG of the middle slice as a data: URI, the image route’s bytes; also for a caller still being looked up', async () => {
    const png = await routePng(4);
    for (const caller of [who('REVIEWER'), later(who('PHYSICIST'))]) {
      const first = await getStudyFirstImage(t.db, store(), { caller, studyId });
      expect(first?.lungSrc).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      const inline = Buffer.from(first!.lungSrc!.slice('data:image/png;base64,'.length), 'base64');
      expect(inline.equals(png)).toBe(true);
    }
  });

  it('an anonymous caller and a role without studies:view get an error and no image, given or still looked up', async () => {
    for (const caller of [null, later(null)]) {
      await expect(getStudyFirstImage(t.db, store(), { caller, studyId })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    for (const caller of [who('VISITOR'), later(who('VISITOR'))]) {
      await expect(getStudyFirstImage(t.db, store(), { caller, studyId })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('a study without a CT volume, or no such study: null', async () => {
    expect(await getStudyFirstImage(t.db, store(), { caller: who('PHYSICIST'), studyId: 'no-such-study' })).toBeNull();
  });

  it('a changed slice file is not inlined: the page still gets the slice’s place, none of its bytes', async () => {
    const file = join(sliceStoreDir(store(), volumeKey), '4.i16.gz');
    const original = readFileSync(file);
    writeFileSync(file, Buffer.from('not the slice'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const first = await getStudyFirstImage(t.db, store(), { caller: who('PHYSICIST'), studyId });
      expect(first).toMatchObject({ seriesId, index: 4, lungSrc: null });
      expect(String(warn.mock.calls[0]?.[0])).toContain('4.i16.gz');
    } finally {
      warn.mockRestore();
      writeFileSync(file, original);
    }
  });
});
