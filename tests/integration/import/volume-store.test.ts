/**
 * The content-addressed volume store and the structure-name rules (no database needed; they live
 * here with the importer they serve).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNifti } from '@/lib/nifti';
import type { Grid } from '@/lib/core/volume';
import { createVolumeStore, putNiftiVolume } from '@/lib/server/storage/volume-store';
import { classifyStructure } from '@/lib/server/studies/classify-structure';
import { parsePhaseMap } from '@/lib/server/studies/parse-phase-map';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('volume store', () => {
  const store = createVolumeStore({ dir: join(tmp, 'v') });
  const grid: Grid = { dims: [5, 4, 3], spacingMm: [1, 2, 3], originMm: [-10, 5, 30], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const data = Int16Array.from({ length: 60 }, (_, n) => n * 7 - 200);

  it('stores .nii.gz under its sha256, once, readable back as the same volume', async () => {
    const a = await putNiftiVolume(store, { grid, data }, { intent: 'image' });
    expect(a.key).toBe(`${a.sha256}.nii.gz`);
    const bytes = await store.getVolume(a.key);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
    const back = parseNifti(bytes);
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(back.grid.dims).toEqual([5, 4, 3]);
    const b = await putNiftiVolume(store, { grid, data }, { intent: 'image' });
    expect(b).toEqual(a);
    expect(await store.has(a.key)).toBe(true);
    expect(existsSync(join(store.root, a.key.slice(0, 2), a.key.slice(2, 4), a.key))).toBe(true);
    // Atomic writes leave no temp files behind.
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('refuses keys that are not exactly <sha256>.nii.gz, so no path reaches the file system', async () => {
    for (const key of ['../../etc/passwd', `${'a'.repeat(64)}.nii.gz/../x`, `${'A'.repeat(64)}.nii.gz`, `${'a'.repeat(63)}.nii.gz`, '/abs.nii.gz', ''])
      await expect(store.getVolume(key)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(store.has('../x')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(store.getVolume(`${'b'.repeat(64)}.nii.gz`)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.putVolume(new Uint8Array([1, 2, 3]))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('detects a corrupted file', async () => {
    const a = await putNiftiVolume(store, { grid, data: new Uint8Array(60).fill(1) }, { intent: 'mask' });
    writeFileSync(join(store.root, a.key.slice(0, 2), a.key.slice(2, 4), a.key), new Uint8Array([0x1f, 0x8b, 0]));
    await expect(store.getVolume(a.key)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('corrupt') });
  });
});

describe('structure classification by name', () => {
  it.each([
    ['GTV', 'GTV', null],
    ['GTVp', 'GTV', null],
    ['GTV_20%', 'GTV', 20],
    ['GTV 20 %', 'GTV', 20],
    ['GTV-1', 'GTV', null],
    ['physician_gtv_phase_20', 'GTV', 20],
    ['truth_gtv_phase_00', 'GTV', 0],
    ['GTV phase 3', 'GTV', null],
    ['ITV', 'ITV', null],
    ['iGTV', 'ITV', null],
    ['IGTV_phys', 'ITV', null],
    ['GTV+5mm', 'OTHER', null],
    ['GTV_5mm', 'OTHER', null],
    ['zGTV', 'OTHER', null],
    ['z_ITV', 'OTHER', null],
    ['PTV', 'OTHER', null],
    ['CTV_GTV', 'OTHER', null],
    ['GTV_opt', 'OTHER', null],
    ['BODY', 'OTHER', null],
    ['Lt Lung', 'OTHER', null],
  ])('%s → %s (phase %s)', (name, kind, phasePercent) => {
    expect(classifyStructure(name)).toMatchObject({ kind, phasePercent });
  });
});

describe('phase map parsing', () => {
  it('reads UID=percent lists and refuses anything else, naming the item', () => {
    expect(parsePhaseMap('1.2.3=0, 1.2.4=10%,1.2.5#2=50')).toEqual({ '1.2.3': 0, '1.2.4': 10, '1.2.5#2': 50 });
    expect(parsePhaseMap('')).toBeUndefined();
    expect(() => parsePhaseMap('1.2.3=100')).toThrow(/"1\.2\.3=100" is not SERIES_UID=percent/);
    expect(() => parsePhaseMap('../x=10')).toThrow(/not SERIES_UID=percent/);
    expect(() => parsePhaseMap('1.2.3=10,1.2.3=20')).toThrow(/twice/);
  });
});
