/**
 * A deleted study's slice store goes with its volumes (lib/server/storage/find-orphan-volumes.ts,
 * remove-orphan-volumes.ts; `npm start` runs the clean-up): on real Postgres and a real volume
 * store with two CTs imported from real DICOM, each with its slice store built:
 * - deleting one study (its rows cascade) and running the clean-up past the grace period removes
 *   its slice-store folder with its volume files, and nothing of the other study;
 * - within the grace period nothing is removed; a build folder left by a killed process
 *   (`slices/.tmp-*`) older than the grace period is removed, a younger one kept.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { buildStudySliceStore } from '@/lib/server/studies/build-study-slice-store';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { sliceStoreDir } from '@/lib/server/storage/slice-store';
import { findOrphanVolumes } from '@/lib/server/storage/find-orphan-volumes';
import { removeOrphanVolumes } from '@/lib/server/storage/remove-orphan-volumes';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const physicist: Caller = { userId: 'u-physicist', email: 'physicist@example.org', name: 'Test physicist', role: 'PHYSICIST' };
const HOUR = 60 * 60 * 1000;

/** Every file under `dir`, relative to it, sorted. */
function listAll(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listAll(dir, join(at, e.name)) : [join(at, e.name)]))
    .sort();
}

describe('the orphan clean-up removes a deleted study’s slice store with its volumes', () => {
  let t: TestDatabase;
  let tmp: string;
  const store = () => createVolumeStore({ dir: join(tmp, 'volumes') });
  const studies: { studyId: string; keys: string[]; sliceDir: string }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('slice_store_sweep');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-slice-sweep-'));
    for (const [n, seed] of ['sweep-a', 'sweep-b'].entries()) {
      const p = await writePhantomStudy(join(tmp, seed), { dims: [20, 18, 7], spacingMm: [5, 5, 5], phasePercents: [0], index: n + 1, seed });
      const { studyId } = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store: store() });
      const built = await buildStudySliceStore(t.db, store(), { studyId });
      expect(built).not.toBeNull();
      const series = await t.db.imageSeries.findMany({ where: { studyId }, select: { volumeKey: true } });
      const masks = await t.db.physicianStructure.findMany({ where: { studyId }, select: { maskKey: true } });
      const keys = [...series.map((s) => s.volumeKey!), ...masks.map((m) => m.maskKey).filter((k): k is string => !!k)];
      const ct = (await t.db.imageSeries.findUniqueOrThrow({ where: { id: built!.seriesId } })).volumeKey!;
      studies.push({ studyId, keys, sliceDir: sliceStoreDir(store(), ct) });
    }
  }, 180_000);
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('within the grace period nothing goes; past it the deleted study’s slice folder and volumes go, the other study keeps every file', async () => {
    const [gone, kept] = studies as [(typeof studies)[number], (typeof studies)[number]];
    expect(existsSync(join(gone.sliceDir, 'manifest.json'))).toBe(true);
    const before = listAll(store().root);
    await t.db.study.delete({ where: { id: gone.studyId } });

    // Just written: within the hour's grace nothing is an orphan.
    expect(await removeOrphanVolumes(t.db, { store: store() })).toMatchObject({ removed: [], removedSliceStores: [] });
    expect(listAll(store().root)).toEqual(before);

    const later = new Date(Date.now() + 2 * HOUR);
    const found = await findOrphanVolumes(t.db, { store: store(), now: later });
    expect(found.sliceStores.map((s) => s.dir)).toEqual([gone.sliceDir]);
    expect(found.sliceStoreBytes).toBeGreaterThan(0);

    const r = await removeOrphanVolumes(t.db, { store: store(), now: later });
    expect(r.removedSliceStores.map((s) => s.dir)).toEqual([gone.sliceDir]);
    expect(existsSync(gone.sliceDir)).toBe(false);
    // Content-addressed: a file both studies hold (the same bytes) stays with the other one.
    const goneKeys = [...new Set(gone.keys)].filter((k) => !kept.keys.includes(k));
    expect(r.removed.map((o) => o.key).sort()).toEqual(goneKeys.sort());
    // Nothing else: exactly the deleted study's volume files and its slice folder are missing.
    const rel = (abs: string) => abs.slice(store().root.length + 1);
    const goneFiles = new Set([...goneKeys.map((k) => join(k.slice(0, 2), k.slice(2, 4), k)), ...before.filter((f) => f.startsWith(`${rel(gone.sliceDir)}/`))]);
    expect(listAll(store().root)).toEqual(before.filter((f) => !goneFiles.has(f)));
    expect(existsSync(join(kept.sliceDir, 'manifest.json'))).toBe(true);
    expect((await findOrphanVolumes(t.db, { store: store(), now: later })).sliceStores).toEqual([]);
  });

  it('a build folder left by a killed process: removed past the grace period, kept within it', async () => {
    const slices = join(store().root, 'slices');
    const old = join(slices, `.tmp-${'a'.repeat(64)}-4242-0123456789ab`);
    const young = join(slices, `.tmp-${'b'.repeat(64)}-4243-0123456789ab`);
    for (const d of [old, young]) {
      mkdirSync(d);
      writeFileSync(join(d, '0.i16.gz'), Buffer.from('partial'));
    }
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR);
    utimesSync(old, twoHoursAgo, twoHoursAgo);
    const r = await removeOrphanVolumes(t.db, { store: store() });
    expect(r.removedSliceStores).toEqual([expect.objectContaining({ dir: old, key: null, bytes: 7 })]);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(young)).toBe(true);
  });
});
