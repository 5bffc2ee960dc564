/**
 * A merge after the volume store's compressor changed, on real Postgres: studies stored before
 * content hashes were kept have gzipped files written by fflate level 6 and no content hash. A
 * later export of the same study (other files, same series) must merge as before: the stored
 * series and structures are compared by the content hash of their stored files (sha256 of the
 * uncompressed NIfTI), not by the file keys, which another compressor changes.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDicomBytes } from '@/lib/dicom/parse-file';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const small = { dims: [32, 32, 12] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 20, 50] };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('merge after the volume compressor changed', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  const subset = (p: PhantomStudy, name: string, parts: string[], rtstructPercents: number[] = []) => {
    const dir = join(tmp, name);
    for (const part of parts) cpSync(join(p.dicomDir, part), join(dir, part), { recursive: true });
    if (rtstructPercents.length) mkdirSync(join(dir, 'rtstruct'), { recursive: true });
    for (const pc of rtstructPercents) cpSync(p.rtstructs[pc], join(dir, 'rtstruct', `rs_${pc}.dcm`));
    return dir;
  };
  /** The stored file re-written as the store wrote it before (fflate level 6, MTIME 0): its new key. */
  const oldEncoding = async (key: string) => {
    const old = gzipSync(gunzipSync(await store.getVolume(key)), { level: 6 });
    old[4] = old[5] = old[6] = old[7] = 0;
    const stored = await store.putVolume(old);
    expect(stored.key).not.toBe(key);
    return stored;
  };
  /** Turn a stored study into one stored before content hashes: old files, old keys, no content hash. */
  const storeAsBefore = async (studyId: string) => {
    for (const s of await t.db.imageSeries.findMany({ where: { studyId } })) {
      const o = await oldEncoding(s.volumeKey!);
      await t.db.imageSeries.update({ where: { id: s.id }, data: { volumeKey: o.key, volumeSha256: o.sha256, volumeContentSha256: null } });
    }
    for (const x of await t.db.physicianStructure.findMany({ where: { studyId } })) {
      const o = await oldEncoding(x.maskKey!);
      await t.db.physicianStructure.update({ where: { id: x.id }, data: { maskKey: o.key, maskSha256: o.sha256, maskContentSha256: null } });
    }
  };
  const rows = async (studyId: string) => ({
    series: await t.db.imageSeries.findMany({
      where: { studyId },
      orderBy: { phasePercent: 'asc' },
      select: { id: true, phasePercent: true, phaseIndex: true, volumeKey: true, volumeSha256: true, volumeContentSha256: true },
    }),
    structures: await t.db.physicianStructure.findMany({
      where: { studyId },
      orderBy: { name: 'asc' },
      select: { id: true, name: true, maskKey: true, maskSha256: true, maskContentSha256: true },
    }),
  });
  const contentOf = async (key: string) => sha256(gunzipSync(await store.getVolume(key)));

  beforeAll(async () => {
    t = await createTestDatabase('import_merge_compressor');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-merge-compressor-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a study stored with the old encoding: the same series in another export merge as a no-op, then new phases are added, not a CONFLICT', async () => {
    const p = await writePhantomStudy(join(tmp, 'p1'), { ...small, index: 21 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p1-first', ['phase_00', 'phase_50'], [0, 50]), store });
    expect(first).toMatchObject({ alreadyImported: false, seriesCount: 2, structureCount: 3 });
    // What this version stores: a content hash on every row, equal to the file's uncompressed sha256.
    const fresh = await rows(first.studyId);
    for (const s of fresh.series) expect(s.volumeContentSha256).toBe(await contentOf(s.volumeKey!));
    for (const x of fresh.structures) expect(x.maskContentSha256).toBe(await contentOf(x.maskKey!));

    await storeAsBefore(first.studyId);
    const before = await rows(first.studyId);
    expect(before.series.every((s) => s.volumeContentSha256 === null && s.volumeKey !== fresh.series.find((f) => f.id === s.id)!.volumeKey)).toBe(true);

    // Another export of the same series (only the 0% phase and its RTSTRUCT): other files, so it
    // goes through the merge; nothing is new, nothing changed.
    const again = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p1-again', ['phase_00'], [0]), store });
    expect(again).toMatchObject({ studyId: first.studyId, alreadyImported: true, seriesCount: 2, structureCount: 3 });
    expect(again.merged).toBeUndefined();
    const after = await rows(first.studyId);
    // The old files stay (keys unchanged); the rows the merge compared got their content hash,
    // the same as this version computes; the row it did not compare (50%) is left as it was.
    expect(after.series.map((s) => [s.id, s.volumeKey, s.volumeSha256])).toEqual(before.series.map((s) => [s.id, s.volumeKey, s.volumeSha256]));
    expect(after.series.map((s) => s.volumeContentSha256)).toEqual([fresh.series[0].volumeContentSha256, null]);
    // The 0% RTSTRUCT holds GTV_0% and the ITV.
    expect(after.structures.map((x) => x.name)).toEqual(['GTV_0%', 'GTV_50%', 'ITV']);
    expect(after.structures.map((x) => x.maskKey)).toEqual(before.structures.map((x) => x.maskKey));
    // (GTV_50% may share its file with one of those: a file's hash is kept for every row naming it.)
    expect(after.structures[0].maskContentSha256).toBe(fresh.structures[0].maskContentSha256);
    expect(after.structures[2].maskContentSha256).toBe(fresh.structures[2].maskContentSha256);
    expect([null, fresh.structures[1].maskContentSha256]).toContain(after.structures[1].maskContentSha256);

    // The full export: the 20% phase and its GTV are added; the stored series are unchanged rows.
    const full = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(full).toMatchObject({ studyId: first.studyId, alreadyImported: false, merged: true, seriesCount: 3, structureCount: 4 });
    const merged = await rows(first.studyId);
    expect(merged.series.map((s) => [s.phasePercent, s.phaseIndex])).toEqual([
      [0, 0],
      [20, 1],
      [50, 2],
    ]);
    expect([merged.series[0], merged.series[2]].map((s) => [s.id, s.volumeKey])).toEqual(before.series.map((s) => [s.id, s.volumeKey]));
    expect(merged.series.map((s) => s.volumeContentSha256)).toEqual(await Promise.all(merged.series.map((s) => contentOf(s.volumeKey!))));
    expect(merged.structures.map((x) => x.maskContentSha256)).toEqual(await Promise.all(merged.structures.map((x) => contentOf(x.maskKey!))));
  });

  it('with the old encoding, a stored series whose voxels changed is still a CONFLICT naming it; nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p2'), { ...small, index: 22 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p2-ct', ['phase_00']), store });
    await storeAsBefore(first.studyId);
    const before = await rows(first.studyId);
    const dir = subset(p, 'p2-changed', ['phase_00', 'phase_20']);
    const sliceFile = join(dir, 'phase_00', readdirSync(join(dir, 'phase_00')).sort()[5]);
    const bytes = new Uint8Array(readFileSync(sliceFile));
    const px = parseDicomBytes(bytes, sliceFile).parsed!.dataSet.elements.x7fe00010;
    bytes[px.dataOffset + 2 * (32 * 16 + 16)] ^= 0x40;
    writeFileSync(sliceFile, bytes);
    const err = await importStudy({ db: t.db, caller: physicist, dir, store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect(err.message).toContain(`series ${p.written.phases[0].seriesInstanceUid}`);
    expect(err.message).toMatch(/other voxels than the stored one/);
    expect(await rows(first.studyId)).toEqual(before);
  });

  it('with the old encoding, a stored series whose file is gone: NOT_FOUND naming the volume and the store, nothing written', async () => {
    const p = await writePhantomStudy(join(tmp, 'p3'), { ...small, index: 23 });
    const first = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p3-ct', ['phase_00']), store });
    await storeAsBefore(first.studyId);
    const before = await rows(first.studyId);
    const key = before.series[0].volumeKey!;
    rmSync(join(store.root, key.slice(0, 2), key.slice(2, 4), key));
    const err = await importStudy({ db: t.db, caller: physicist, dir: subset(p, 'p3-more', ['phase_00', 'phase_20']), store }).catch((e) => e);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    expect(err.message).toContain(`Volume ${key} is not in the volume store`);
    expect(await rows(first.studyId)).toEqual(before);
  });
});
