/**
 * POST /api/studies, called in-process with a real multipart Request against a real Postgres.
 * Only the session lookup is replaced (getCaller needs Next's request context); everything after
 * it — size cap, zip extraction, import, error mapping — is the production code.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { loadCtVolume, readDicom } from '@/lib/dicom';
import { parseNifti } from '@/lib/nifti';
import { createVolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy, type PhantomStudy } from './phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

describe('POST /api/studies', () => {
  let t: TestDatabase;
  let tmp: string;
  let phantom: PhantomStudy;
  let POST: (req: Request) => Promise<Response>;
  let zip: Uint8Array;

  const upload = (bytes: Uint8Array, fields: Record<string, string> = {}, name = 'study.zip') => {
    const form = new FormData();
    form.set('file', new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/zip' }));
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    return POST(new Request('http://localhost/api/studies', { method: 'POST', body: form }));
  };

  beforeAll(async () => {
    t = await createTestDatabase('import_route');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-import-route-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    process.env.ISEG_UPLOAD_MAX_MB = '2';
    ({ POST } = await import('@/app/api/studies/route'));
    phantom = await writePhantomStudy(join(tmp, 'patient'), { dims: [32, 32, 16], spacingMm: [10, 10, 12], phasePercents: [0, 50], index: 3, seed: 'route' });
    const files: Zippable = {};
    for (const d of readdirSync(phantom.dicomDir, { recursive: true, withFileTypes: true }))
      if (d.isFile()) files[`export/${relative(phantom.dicomDir, join(d.parentPath, d.name))}`] = readFileSync(join(d.parentPath, d.name));
    zip = zipSync(files, { level: 6 });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('imports an uploaded zip (201), then answers 200 alreadyImported for the same zip', async () => {
    session.caller = physicist;
    const uploadDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('iseg-upload-'));
    const dirsBefore = new Set(uploadDirs());
    const res = await upload(zip);
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ alreadyImported: false, seriesCount: 2, structureCount: 3, source: 'DICOM' });
    expect(body.pseudonym).toMatch(/^P-/);
    // No server temp paths leak into the report.
    expect(JSON.stringify(body)).not.toMatch(/iseg-upload-/);
    const series = await t.db.imageSeries.findMany({ where: { studyId: body.studyId } });
    expect(series.every((s) => readdirSync(join(tmp, 'volumes', s.volumeKey!.slice(0, 2), s.volumeKey!.slice(2, 4))).includes(s.volumeKey!))).toBe(true);
    const again = await upload(zip);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ alreadyImported: true, studyId: body.studyId });
    // The extracted upload folders are gone.
    expect(uploadDirs().filter((n) => !dirsBefore.has(n))).toEqual([]);
  });

  it('maps refusals to HTTP: 401 without a session, 403 for a researcher, 413 over the size cap, 400 for traversal, bad phase map, no file', async () => {
    const before = await t.db.study.count();
    session.caller = null;
    expect((await upload(zip)).status).toBe(401);
    session.caller = { ...physicist, role: 'RESEARCHER' };
    const forbidden = await upload(zip);
    expect(forbidden.status).toBe(403);
    expect((await forbidden.json()).error.code).toBe('FORBIDDEN');

    session.caller = physicist;
    const evil = await upload(zipSync({ '../../evil.dcm': new Uint8Array([1, 2, 3]) }), {}, 'evil.zip');
    expect(evil.status).toBe(400);
    expect((await evil.json()).error.message).toMatch(/Upload "evil\.zip": entry "\.\.\/\.\.\/evil\.dcm" climbs out/);

    const big = await upload(zipSync({ 'noise.bin': [randomBytes(65536 * 40), { level: 0 }] }), {}, 'big.zip');
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringMatching(/Upload "big\.zip" is over the upload limit of 2\.0 MiB \(ISEG_UPLOAD_MAX_MB\)/),
    });

    const badMap = await upload(zip, { phaseMap: 'not-a-map' });
    expect(badMap.status).toBe(400);
    expect((await badMap.json()).error.message).toContain('SERIES_UID=percent');

    const noFile = await POST(new Request('http://localhost/api/studies', { method: 'POST', body: new FormData() }));
    expect(noFile.status).toBe(400);
    expect((await noFile.json()).error.message).toContain('No file: attach a .zip of the study in the field "file"');

    // An RTSTRUCT whose CT is neither in the upload nor stored (a stored one would be merged).
    const unimported = await writePhantomStudy(join(tmp, 'never-imported'), {
      dims: [32, 32, 16],
      spacingMm: [10, 10, 12],
      phasePercents: [0],
      index: 4,
      seed: 'route-other',
    });
    const noCt = await upload(zipSync({ 'rs.dcm': readFileSync(unimported.rtstructs[0]) }), {}, 'rt-only.zip');
    expect(noCt.status).toBe(400);
    const msg = (await noCt.json()).error.message;
    expect(msg).toContain('No CT images in upload "rt-only.zip"');
    expect(msg).not.toMatch(/iseg-upload-/);
    expect(await t.db.study.count()).toBe(before);
  });

  it('imports an uploaded zip of compressed CT (JPEG lossless, real CT crop): the stored HU equal the uncompressed original', async () => {
    session.caller = physicist;
    const fix = join(__dirname, '../../fixtures/dicom/compressed/rtutils');
    const zipOf = (dir: string) => {
      const files: Zippable = {};
      for (const name of readdirSync(dir)) files[`export/${name}`] = readFileSync(join(dir, name));
      return zipSync(files, { level: 6 });
    };
    const res = await upload(zipOf(join(fix, 'jpeg-lossless-sv1')), {}, 'compressed.zip');
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ alreadyImported: false, seriesCount: 1, series: [{ dims: [80, 96, 2] }] });
    const [series] = await t.db.imageSeries.findMany({ where: { studyId: body.studyId } });
    const stored = parseNifti(await createVolumeStore({ dir: join(tmp, 'volumes') }).getVolume(series.volumeKey!));
    const native = await loadCtVolume((await readDicom(join(fix, 'native'))).series[0]);
    expect(Array.from(stored.data)).toEqual(Array.from(native.data));
  });
  /** A request body that counts what is read of it: `total` bytes of generated data, never held whole. */
  function countedBody(total: number) {
    const seen = { bytes: 0 };
    const chunk = new Uint8Array(64 * 1024).fill(0x41);
    let left = total;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (left <= 0) return controller.close();
          const n = Math.min(chunk.length, left);
          left -= n;
          seen.bytes += n;
          controller.enqueue(chunk.subarray(0, n));
        },
      },
      { highWaterMark: 0 },
    );
    return { body, seen };
  }
  const post = (headers: Record<string, string>, body: BodyInit | null) =>
    POST(new Request('http://localhost/api/studies', { method: 'POST', headers, body, duplex: 'half' } as RequestInit));

  it('reads nothing of an anonymous body: 401 before the first byte, however large', async () => {
    session.caller = null;
    const { body, seen } = countedBody(500 * 1024 * 1024);
    const res = await post({ 'content-type': 'multipart/form-data; boundary=x' }, body);
    expect(res.status).toBe(401);
    expect(seen.bytes).toBe(0);
  });

  it('refuses a declared Content-Length over the cap with 413 at once, before the session and without reading the body', async () => {
    session.caller = null; // no session either: the size is refused first
    const { body, seen } = countedBody(1024);
    const res = await post({ 'content-type': 'multipart/form-data; boundary=x', 'content-length': String(3 * 1024 ** 3) }, body);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('3072 MiB') });
    expect(seen.bytes).toBe(0);
  });

  it('stops reading a chunked upload at the cap (413) and leaves no temp file', async () => {
    session.caller = physicist;
    const bodyDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith('iseg-upload-body-'));
    const before = new Set(bodyDirs());
    const boundary = 'b0undary';
    const head = new TextEncoder().encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.zip"\r\nContent-Type: application/zip\r\n\r\n`,
    );
    const { body: tail, seen } = countedBody(64 * 1024 * 1024);
    const reader = tail.getReader();
    let sentHead = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (!sentHead) {
          sentHead = true;
          return c.enqueue(head);
        }
        const r = await reader.read();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
    });
    const res = await post({ 'content-type': `multipart/form-data; boundary=${boundary}` }, body);
    expect(res.status).toBe(413);
    expect((await res.json()).error.message).toMatch(/Upload "huge\.zip" is over the upload limit of 2\.0 MiB/);
    expect(bodyDirs().filter((n) => !before.has(n))).toEqual([]);
    // Read up to the cap and what is read and thrown away after it (the client still sending),
    // never written: the temp folder is gone.
    expect(seen.bytes).toBeGreaterThan(2 * 1024 * 1024);
  });

  it("CSRF: a forged Origin or Referer, or a cookie without either, is refused (403) before the body; the app's own origin imports", async () => {
    session.caller = physicist;
    const before = await t.db.study.count();
    const form = () => {
      const f = new FormData();
      f.set('file', new File([zip as Uint8Array<ArrayBuffer>], 'study.zip', { type: 'application/zip' }));
      return f;
    };
    for (const headers of [
      { host: 'localhost', origin: 'http://127.0.0.1:4299', cookie: 'next-auth.session-token=x' },
      { host: 'localhost:3000', origin: 'http://localhost:4299', cookie: 'next-auth.session-token=x' },
      { host: 'localhost', origin: 'null', cookie: 'next-auth.session-token=x' },
      { host: 'localhost', referer: 'http://127.0.0.1:4299/attack.html', cookie: 'next-auth.session-token=x' },
      { host: 'localhost', cookie: 'next-auth.session-token=x' },
    ] as Record<string, string>[]) {
      const { body, seen } = countedBody(1024 * 1024);
      const res = await post({ ...headers, 'content-type': 'multipart/form-data; boundary=x' }, body);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect((await res.json()).error.message).toMatch(/^Cross-site request refused/);
      expect(seen.bytes).toBe(0);
      const withForm = await POST(new Request('http://localhost/api/studies', { method: 'POST', headers, body: form() }));
      expect(withForm.status).toBe(403);
    }
    expect(await t.db.study.count()).toBe(before);
    // The app's own origin (Host, or Referer of one of its pages) goes through: already imported above.
    for (const headers of [
      { host: 'localhost', origin: 'http://localhost', cookie: 'next-auth.session-token=x' },
      { host: 'localhost', referer: 'http://localhost/import', cookie: 'next-auth.session-token=x' },
    ] as Record<string, string>[]) {
      const res = await POST(new Request('http://localhost/api/studies', { method: 'POST', headers, body: form() }));
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(await res.json()).toMatchObject({ alreadyImported: true });
    }
  });
});
