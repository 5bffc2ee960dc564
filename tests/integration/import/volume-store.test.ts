/**
 * The content-addressed volume store and the structure-name rules (no database needed; they live
 * here with the importer they serve).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync as zlibGzipSync } from 'node:zlib';
import { gunzipSync, gzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeNifti, parseNifti } from '@/lib/nifti';
import type { Grid } from '@/lib/core/volume';
import { createVolumeStore, putNiftiVolume, storedContentSha256 } from '@/lib/server/storage/volume-store';
import { classifyStructure } from '@/lib/server/studies/classify-structure';
import { parsePhaseMap } from '@/lib/server/studies/parse-phase-map';

const tmp = mkdtempSync(join(tmpdir(), 'iseg-store-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Whether an independent reader is installed: a warning and false on a developer's machine,
 * a failure naming the Debian package under CI (.ci/run installs it).
 */
function haveReader(what: string, check: () => boolean, pkg: string): boolean {
  if (check()) return true;
  if (process.env.CI) throw new Error(`${what} is missing: install the Debian package ${pkg} (.ci/run installs it under CI).`);
  console.warn(`Skipping the ${what} check of the volume store's files: install the Debian package ${pkg}.`);
  return false;
}

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

  it('round-trips a CT volume bit-exactly; the content hash is the sha256 of the uncompressed NIfTI, whatever compressor wrote the file', async () => {
    // 64×48×7 of noisy HU, as CT is (compresses poorly) with an air border (compresses well).
    const g: Grid = { dims: [64, 48, 7], spacingMm: [0.98, 0.98, 2.5], originMm: [-250.5, -180, 12.5], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const ct = Int16Array.from({ length: 64 * 48 * 7 }, (_, n) => (n % 64 < 8 ? -1000 : ((n * 2654435761) % 2001) - 1000));
    const a = await putNiftiVolume(store, { grid: g, data: ct }, { intent: 'image' });
    const nifti = encodeNifti({ grid: g, data: ct }, { intent: 'image' });
    expect(a.contentSha256).toBe(sha256(nifti));
    const file = await store.getVolume(a.key);
    expect(Buffer.from(gunzipSync(file)).equals(Buffer.from(nifti))).toBe(true);
    const back = parseNifti(file);
    expect(back.data).toBeInstanceOf(Int16Array);
    expect(Buffer.from(new Uint8Array(back.data.buffer, back.data.byteOffset, back.data.byteLength)).equals(Buffer.from(ct.buffer))).toBe(true);
    expect(await storedContentSha256(store, a.key)).toBe(a.contentSha256);

    // The file the store wrote before (fflate level 6): another key, the same content hash.
    const old = gzipSync(nifti, { level: 6 });
    old[4] = old[5] = old[6] = old[7] = 0;
    const o = await store.putVolume(old);
    expect(o.key).not.toBe(a.key);
    expect(await storedContentSha256(store, o.key)).toBe(a.contentSha256);
    expect(parseNifti(await store.getVolume(o.key)).data).toEqual(back.data);

    // Independent readers read the store's gzip: nibabel (every voxel's sum) and plastimatch.
    const path = join(store.root, a.key.slice(0, 2), a.key.slice(2, 4), a.key);
    const sum = ct.reduce((t, v) => t + v, 0);
    const nibabel = () => spawnSync('/usr/bin/python3', ['-c', 'import nibabel'], { stdio: 'ignore' }).status === 0;
    if (haveReader('nibabel (/usr/bin/python3 -c "import nibabel")', nibabel, 'python3-nibabel')) {
      const out = execFileSync(
        '/usr/bin/python3',
        [
          '-c',
          'import sys, nibabel as nb, numpy as np; d = np.asanyarray(nb.load(sys.argv[1]).dataobj); print(d.shape, d.dtype, int(d.astype(np.int64).sum()))',
          path,
        ],
        { encoding: 'utf8' },
      );
      expect(out.trim()).toBe(`(64, 48, 7) int16 ${sum}`);
    }
    const plastimatch = () => spawnSync('plastimatch', ['--version'], { stdio: 'ignore' }).status === 0;
    if (haveReader('plastimatch', plastimatch, 'plastimatch')) {
      const out = execFileSync('plastimatch', ['stats', path], { encoding: 'utf8' });
      const m = /MIN (\S+) AVE (\S+) MAX (\S+) NONZERO \d+ NUMVOX (\d+)/.exec(out);
      expect(m, out).not.toBeNull();
      expect([Number(m![1]), Number(m![3]), Number(m![4])]).toEqual([Math.min(...ct), Math.max(...ct), ct.length]);
      expect(Number(m![2])).toBeCloseTo(sum / ct.length, 3);
    }
  });

  it('writes a mask with an output buffer sized to it, to the same bytes as a one-shot level-1 gzip', async () => {
    // 96×96×48 (a run's phase GTV): the output buffer is 0.4 MB rather than 8 MiB.
    const g: Grid = { dims: [96, 96, 48], spacingMm: [3.33, 3.33, 4], originMm: [-160, -160, -96], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
    const mask = new Uint8Array(96 * 96 * 48);
    for (let v = 0; v < mask.length; v++) if ((v % 96) - 48 < 20 && (v % 96) - 48 > -20 && ((v / 9216) | 0) % 7 < 5) mask[v] = 1;
    const a = await putNiftiVolume(store, { grid: g, data: mask }, { intent: 'mask' });
    const once = zlibGzipSync(encodeNifti({ grid: g, data: mask }, { intent: 'mask' }), { level: 1 });
    once[4] = once[5] = once[6] = once[7] = 0;
    expect(Buffer.from(await store.getVolume(a.key)).equals(once)).toBe(true);
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
