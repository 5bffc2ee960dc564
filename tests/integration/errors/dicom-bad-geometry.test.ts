/**
 * DICOM that made the importer crash with a 500 (issue 12 item 8), now a named finding or a 400:
 * - a CT series whose Rows = Columns = 65535 (the pixel data is the phantom's few KB): the
 *   importer allocated 65535 × 65535 × slices voxels and died with "Array buffer allocation
 *   failed". Now the series is refused with a VOLUME_TOO_LARGE finding naming it and its size;
 *   the rest of the study imports, and an upload of that series alone is a 400.
 * - an RTSTRUCT with NaN in one contour's ContourData: the rasteriser threw. Now that contour is
 *   skipped with a CONTOUR_INVALID_POINTS finding naming the ROI and the slice, and the ROI's
 *   other contours are rasterised.
 * Real DICOM (the phantom's files with the attribute bytes changed), real Postgres, the upload
 * route called in-process (only the session lookup replaced).
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { countVoxels, writePhantomStudy, type PhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const small = { dims: [32, 32, 16] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };

function indexOf(hay: Uint8Array, needle: number[], from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Rows (0028,0010) and Columns (0028,0011), explicit VR little endian US, set to `value` in place. */
function setRowsColumns(file: string, value: number): void {
  const b = new Uint8Array(readFileSync(file));
  for (const tag of [
    [0x28, 0x00, 0x10, 0x00],
    [0x28, 0x00, 0x11, 0x00],
  ]) {
    const at = indexOf(b, [...tag, 0x55, 0x53, 0x02, 0x00]); // "US", length 2
    if (at < 0) throw new Error(`no explicit-VR US (0028,00${tag[2].toString(16)}) in ${file}`);
    b[at + 8] = value & 0xff;
    b[at + 9] = value >> 8;
  }
  writeFileSync(file, b);
}

/** The first coordinate of the first ContourData (3006,0050) replaced by "NaN" (same length). */
function poisonFirstContour(file: string): void {
  const b = new Uint8Array(readFileSync(file));
  const at = indexOf(b, [0x06, 0x30, 0x50, 0x00, 0x44, 0x53]); // (3006,0050) "DS"
  if (at < 0) throw new Error(`no ContourData in ${file}`);
  const start = at + 8;
  let end = start;
  while (b[end] !== 0x5c) end++; // up to the first backslash
  const nan = 'NaN'.padEnd(end - start, ' ');
  if (end - start < 3) throw new Error(`first coordinate in ${file} is shorter than "NaN"`);
  for (let i = 0; i < nan.length; i++) b[start + i] = nan.charCodeAt(i);
  writeFileSync(file, b);
}

function zipDir(dir: string): Uint8Array {
  const files: Zippable = {};
  for (const d of readdirSync(dir, { recursive: true, withFileTypes: true }))
    if (d.isFile()) files[`export/${relative(dir, join(d.parentPath, d.name))}`] = readFileSync(join(d.parentPath, d.name));
  return zipSync(files, { level: 6 });
}

describe('DICOM that used to crash the importer', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let POST: (req: Request) => Promise<Response>;
  const counts = async () => ({ studies: await t.db.study.count(), series: await t.db.imageSeries.count(), structures: await t.db.physicianStructure.count() });

  const upload = (bytes: Uint8Array, name: string) => {
    const form = new FormData();
    form.set('file', new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/zip' }));
    return POST(new Request('http://localhost/api/studies', { method: 'POST', body: form }));
  };

  beforeAll(async () => {
    t = await createTestDatabase('errors_dicom');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-errors-dicom-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    const route = await import('@/app/api/studies/route');
    POST = (req) => route.POST(req, { params: Promise.resolve({}) });
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a series with Rows = Columns = 65535 with a VOLUME_TOO_LARGE finding and imports the other phase', async () => {
    const p: PhantomStudy = await writePhantomStudy(join(tmp, 'huge'), { ...small, index: 1, seed: 'huge' });
    const phase50 = join(p.dicomDir, 'phase_50');
    for (const f of readdirSync(phase50)) setRowsColumns(join(phase50, f), 65535);
    const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
    expect(r.seriesCount).toBe(1);
    const tooLarge = r.findings.filter((f) => f.code === 'VOLUME_TOO_LARGE');
    expect(tooLarge, JSON.stringify(r.findings)).toHaveLength(1);
    expect(tooLarge[0].severity).toBe('error');
    expect(tooLarge[0].message).toContain('65535×65535 pixels × 16 slices');
    expect(tooLarge[0].message).toMatch(/Rows\/Columns/);
    expect(r.findings.some((f) => f.code === 'SERIES_NOT_IMPORTED' && f.message.includes('65535'))).toBe(true);
  });

  it('answers an upload of only that series with 400 naming the series and its size, storing nothing', async () => {
    session.caller = physicist;
    const p = await writePhantomStudy(join(tmp, 'huge-alone'), { ...small, phasePercents: [0], index: 2, seed: 'huge-alone' });
    const only = join(tmp, 'huge-alone-ct');
    cpSync(join(p.dicomDir, 'phase_00'), only, { recursive: true });
    for (const f of readdirSync(only)) setRowsColumns(join(only, f), 65535);
    const before = await counts();
    const res = await upload(zipDir(only), 'huge.zip');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(body.error.code).toBe('INVALID_INPUT');
    expect(body.error.message).toContain('65535×65535 pixels × 16 slices');
    expect(await counts()).toEqual(before);
  });

  it('skips a contour with NaN coordinates with a finding naming the ROI and the slice, and rasterises the rest', async () => {
    const p = await writePhantomStudy(join(tmp, 'nan'), { ...small, phasePercents: [0], index: 3, seed: 'nan' });
    poisonFirstContour(p.rtstructs[0]);
    session.caller = physicist;
    const res = await upload(zipDir(p.dicomDir), 'nan.zip');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    const bad = body.findings.filter((f: { code: string }) => f.code === 'CONTOUR_INVALID_POINTS');
    expect(bad, JSON.stringify(body.findings)).toHaveLength(1);
    expect(bad[0].message).toMatch(/^ROI \d+ "[^"]+" \(/);
    expect(bad[0].message).toMatch(/slice \d+ \(z [-0-9.]+ mm\)/);
    expect(bad[0].message).toContain('NaN');
    // The poisoned contour's ROI is still stored, with fewer voxels than the phantom's mask (one contour short).
    const roiName = /^ROI \d+ "([^"]+)"/.exec(bad[0].message)![1];
    const structures = await t.db.physicianStructure.findMany({ where: { studyId: body.studyId } });
    const s = structures.find((x) => x.name === roiName);
    expect(s, structures.map((x) => x.name).join(', ')).toBeDefined();
    const full = countVoxels((roiName === 'ITV' ? p.patient.physicianItv : p.patient.phases[0].physicianGtv).data);
    expect(s!.voxelCount).toBeGreaterThan(0);
    expect(s!.voxelCount).toBeLessThan(full);
  });
});
