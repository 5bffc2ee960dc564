/**
 * A malformed-DICOM corpus, generated here from one valid CT slice: truncated files, wrong and
 * odd element lengths, huge declared lengths, undefined length on a non-sequence, random bytes
 * with and without the DICM preamble, a valid preamble followed by garbage, and sequences nested
 * 20 000 deep. Each file is imported
 * (a) next to a valid study: the study imports, the file gets a finding that names it;
 * (b) alone: a clear INVALID_INPUT, and the database is exactly as before;
 * (c) zipped and posted to POST /api/studies (in-process, only the session lookup replaced):
 *     a 4xx with a message, never a 5xx, nothing stored.
 * Every case has its own test timeout, so a hang fails the case instead of the run.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

/** Deterministic bytes (xorshift32), so a failing case can be reproduced. */
function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function indexOfBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Preamble + DICM + the file meta group of `valid` (explicit VR little endian). */
function headerOf(valid: Uint8Array): Uint8Array {
  const dv = new DataView(valid.buffer, valid.byteOffset, valid.byteLength);
  const groupLength = dv.getUint32(132 + 8, true);
  return valid.slice(0, 132 + 12 + groupLength);
}

/** An explicit-VR dataset of `depth` nested sequences, each with one undefined-length item. */
function deepSequences(depth: number): Uint8Array {
  const open = [0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff];
  const close = [0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0, 0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
  const out = new Uint8Array(depth * (open.length + close.length));
  for (let d = 0; d < depth; d++) out.set(open, d * open.length);
  for (let d = 0; d < depth; d++) out.set(close, depth * open.length + d * close.length);
  return out;
}

function corpus(valid: Uint8Array): Record<string, Uint8Array> {
  const header = headerOf(valid);
  const withPatch = (at: number, patch: (dv: DataView) => void) => {
    const b = valid.slice();
    patch(new DataView(b.buffer, b.byteOffset, b.byteLength));
    expect(at).toBeGreaterThan(0);
    return b;
  };
  const pn = indexOfBytes(valid, [0x10, 0x00, 0x10, 0x00, 0x50, 0x4e]); // (0010,0010) PN
  const rows = indexOfBytes(valid, [0x28, 0x00, 0x10, 0x00, 0x55, 0x53]); // (0028,0010) US
  const pixel = indexOfBytes(valid, [0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57]); // (7FE0,0010) OW
  return {
    'empty.dcm': new Uint8Array(0),
    'truncated-in-preamble.dcm': valid.slice(0, 60),
    'truncated-after-dicm.dcm': valid.slice(0, 132),
    'truncated-in-meta.dcm': valid.slice(0, 150),
    'truncated-in-dataset.dcm': valid.slice(0, header.length + 37),
    'truncated-in-pixels.dcm': valid.slice(0, valid.length - 101),
    'name-length-past-end.dcm': withPatch(pn, (dv) => dv.setUint16(pn + 6, 0xfff0, true)),
    'name-length-odd.dcm': withPatch(pn, (dv) => dv.setUint16(pn + 6, (dv.getUint16(pn + 6, true) | 1) + 2, true)),
    'rows-length-wrong.dcm': withPatch(rows, (dv) => dv.setUint16(rows + 6, 7, true)),
    'pixel-length-huge.dcm': withPatch(pixel, (dv) => dv.setUint32(pixel + 8, 0xfffffff0, true)),
    'pixel-length-2gib.dcm': withPatch(pixel, (dv) => dv.setUint32(pixel + 8, 0x80000000, true)),
    'rows-zero-pixels-empty.dcm': withPatch(rows, (dv) => {
      dv.setUint16(rows + 8, 0, true);
      dv.setUint32(pixel + 8, 0, true);
    }),
    'undefined-length-not-sequence.dcm': withPatch(pixel, (dv) => dv.setUint32(pixel + 8, 0xffffffff, true)),
    'random-bytes.dcm': randomBytes(4096, 7),
    'random-bytes-large.bin': randomBytes(200_000, 11),
    'preamble-then-garbage.dcm': (() => {
      const b = new Uint8Array(132 + 4096);
      b.set(new TextEncoder().encode('DICM'), 128);
      b.set(randomBytes(4096, 13), 132);
      return b;
    })(),
    'meta-then-garbage.dcm': (() => {
      const g = randomBytes(8192, 17);
      const b = new Uint8Array(header.length + g.length);
      b.set(header);
      b.set(g, header.length);
      return b;
    })(),
    'deep-sequence-nesting.dcm': (() => {
      const deep = deepSequences(20_000);
      const b = new Uint8Array(header.length + deep.length);
      b.set(header);
      b.set(deep, header.length);
      return b;
    })(),
  };
}

describe('malformed DICOM never crashes or hangs the import, and each file gets a clear error', () => {
  let t: TestDatabase;
  let tmp: string;
  let files: Record<string, Uint8Array>;
  let importStudy: typeof import('@/lib/server/studies/import-study').importStudy;
  let createVolumeStore: typeof import('@/lib/server/storage/volume-store').createVolumeStore;
  let POST: (req: Request) => Promise<Response>;
  let n = 0;
  const counts = async () => ({
    patients: await t.db.patient.count(),
    studies: await t.db.study.count(),
    series: await t.db.imageSeries.count(),
    structures: await t.db.physicianStructure.count(),
  });

  beforeAll(async () => {
    t = await createTestDatabase('malformed_dicom');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-malformed-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    ({ importStudy } = await import('@/lib/server/studies/import-study'));
    ({ createVolumeStore } = await import('@/lib/server/storage/volume-store'));
    ({ POST } = await import('@/app/api/studies/route'));
    const seedPhantom = await writePhantomStudy(join(tmp, 'seed'), {
      dims: [16, 16, 6],
      spacingMm: [20, 20, 30],
      phasePercents: [0],
      index: 0,
      seed: 'malformed',
    });
    const phase0 = join(seedPhantom.dicomDir, 'phase_00');
    const valid = new Uint8Array(readFileSync(join(phase0, readdirSync(phase0).sort()[2])));
    files = corpus(valid);
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const names = [
    'empty.dcm',
    'truncated-in-preamble.dcm',
    'truncated-after-dicm.dcm',
    'truncated-in-meta.dcm',
    'truncated-in-dataset.dcm',
    'truncated-in-pixels.dcm',
    'name-length-past-end.dcm',
    'name-length-odd.dcm',
    'rows-length-wrong.dcm',
    'pixel-length-huge.dcm',
    'pixel-length-2gib.dcm',
    'rows-zero-pixels-empty.dcm',
    'undefined-length-not-sequence.dcm',
    'random-bytes.dcm',
    'random-bytes-large.bin',
    'preamble-then-garbage.dcm',
    'meta-then-garbage.dcm',
    'deep-sequence-nesting.dcm',
  ];

  it('generates every case of the corpus', () => {
    expect(Object.keys(files).sort()).toEqual([...names].sort());
  });

  for (const name of names) {
    it(`${name}: a finding next to a valid study, INVALID_INPUT alone, 4xx through the upload route`, async () => {
      const bytes = files[name];
      const store = createVolumeStore({ dir: join(tmp, 'volumes') });
      // (a) next to a valid study of its own (fresh UIDs, so the import is not a no-op)
      const p = await writePhantomStudy(join(tmp, `case${++n}`), {
        dims: [16, 16, 6],
        spacingMm: [20, 20, 30],
        phasePercents: [0],
        index: n,
        seed: 'malformed',
      });
      writeFileSync(join(p.dicomDir, name), bytes);
      const r = await importStudy({ db: t.db, caller: physicist, dir: p.dicomDir, store });
      expect(r.alreadyImported).toBe(false);
      expect(r.seriesCount).toBe(1);
      const f = r.findings.filter((x) => x.file === name);
      expect(f.length, `findings for ${name}: ${JSON.stringify(r.findings)}`).toBeGreaterThan(0);
      for (const x of f) {
        expect(x.message).toContain(name);
        expect(x.message.length).toBeGreaterThan(name.length + 15);
      }

      // (b) alone
      const alone = join(tmp, `alone${n}`);
      mkdirSync(alone);
      writeFileSync(join(alone, name), bytes);
      const before = await counts();
      const err = await importStudy({ db: t.db, caller: physicist, dir: alone, store }).catch((e) => e);
      expect(err, `${name} alone`).toMatchObject({ code: 'INVALID_INPUT' });
      expect(err.message.length).toBeGreaterThan(30);
      expect(await counts()).toEqual(before);

      // (c) through the upload route
      session.caller = physicist;
      const form = new FormData();
      form.set('file', new File([zipSync({ [`export/${name}`]: bytes }) as Uint8Array<ArrayBuffer>], 'hostile.zip', { type: 'application/zip' }));
      const res = await POST(new Request('http://localhost/api/studies', { method: 'POST', body: form }));
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(body.error.message.length).toBeGreaterThan(20);
      expect(await counts()).toEqual(before);
    }, 60_000);
  }
});
