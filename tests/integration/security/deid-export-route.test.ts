/**
 * GET /api/studies/[id]/export/deid, called in-process with a real Request against a real
 * Postgres and volume store (only the session lookup is replaced, as in upload-route.test.ts):
 * the zip arrives as a stream of many chunks (one or two per file, not one buffer), and what
 * arrives is a complete, valid zip: Python's zipfile checks every CRC, the entry count is every
 * CT slice of both phases + one RTSTRUCT per phase + the README, pydicom reads a CT slice whose
 * pixel values are the stored CT's and whose identity attributes are the pseudonym's, and no byte
 * of any entry holds the patient's name, MRN or real UIDs. A reviewer gets a 403, not a zip.
 * (The full PS3.15 check of every file is deid-export.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { parseNifti } from '@/lib/nifti';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };
const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };
const DIMS = [24, 20, 12] as const;

const READ_PY = `
import io, json, sys, zipfile
import pydicom
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
names = z.namelist()
ct = sorted(n for n in names if '/phase01/CT' in n)[int(sys.argv[2])]
ds = pydicom.dcmread(io.BytesIO(z.read(ct)))
hu = (ds.pixel_array.astype(float) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)).ravel().tolist()
print(json.dumps({"bad": bad, "names": names, "file": ct, "instance": int(ds.InstanceNumber), "rows": int(ds.Rows), "columns": int(ds.Columns),
  "patientName": str(ds.PatientName), "patientId": ds.PatientID, "identityRemoved": ds.PatientIdentityRemoved, "hu": hu}))
`;

describe('GET /api/studies/[id]/export/deid: a streamed, complete, identifier-free zip', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let studyId: string;
  let GET: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
  const get = (id: string) => GET(new Request(`http://localhost/api/studies/${id}/export/deid`), { params: Promise.resolve({ id }) });

  beforeAll(async () => {
    t = await createTestDatabase('deid_route');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-deid-route-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    ({ GET } = (await import('@/app/api/studies/[id]/export/deid/route')) as unknown as { GET: typeof GET });
    const phantom = await writePhantomStudy(join(tmp, 'src'), {
      dims: [...DIMS],
      spacingMm: [12, 12, 15],
      phasePercents: [0, 50],
      index: 5,
      seed: 'deid-route',
    });
    studyId = (await importStudy({ db: t.db, caller: physicist, dir: phantom.dicomDir, store })).studyId;
  }, 180_000);

  afterAll(async () => {
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('streams a valid zip with every file, pixels as stored, and no identifier', async () => {
    session.caller = researcher;
    const res = await get(studyId);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const study = await t.db.study.findUniqueOrThrow({ where: { id: studyId }, include: { patient: { include: { identity: true } }, series: true } });
    const pseudonym = study.patient.pseudonym;
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${pseudonym}-deid.zip"`);

    const chunks: Uint8Array[] = [];
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    const files = DIMS[2] * 2 + 2 + 1; // CT slices of two phases, two RTSTRUCTs, README
    expect(chunks.length, 'chunks: the zip is streamed file by file').toBeGreaterThanOrEqual(files);
    const zip = Buffer.concat(chunks);
    const zipFile = join(tmp, 'export.zip');
    writeFileSync(zipFile, zip);

    const k = 4;
    const read = JSON.parse(execFileSync('/usr/bin/python3', ['-c', READ_PY, zipFile, String(k)], { encoding: 'utf8', maxBuffer: 1 << 26 })) as {
      bad: string | null;
      names: string[];
      instance: number;
      rows: number;
      columns: number;
      patientName: string;
      patientId: string;
      identityRemoved: string;
      hu: number[];
    };
    expect(read.bad).toBeNull();
    expect(read.names).toHaveLength(files);
    expect(read.names.filter((n) => n.endsWith('.dcm'))).toHaveLength(files - 1);
    expect(read.names.filter((n) => /\/RS_/.test(n))).toHaveLength(2);
    expect(read.names.every((n) => n.startsWith(`${pseudonym}/`))).toBe(true);
    expect([read.patientName, read.patientId, read.identityRemoved]).toEqual([pseudonym, pseudonym, 'YES']);
    expect([read.columns, read.rows]).toEqual([DIMS[0], DIMS[1]]);

    // The slice's HU are the stored CT's (phase 50%, slice InstanceNumber − 1), below −1024 clamped.
    const phase = study.series.find((s) => s.phaseIndex === 1)!;
    const ct = parseNifti(await store.getVolume(phase.volumeKey!), { source: 'stored CT' });
    const plane = DIMS[0] * DIMS[1];
    const base = (read.instance - 1) * plane;
    let maxDiff = 0;
    for (let n = 0; n < plane; n++) maxDiff = Math.max(maxDiff, Math.abs(Math.max(-1024, Math.round(Number(ct.data[base + n]))) - read.hu[n]));
    expect(maxDiff).toBe(0);

    // No identifier in any byte of any entry.
    const identity = study.patient.identity!;
    const identifiers = [identity.name!, identity.mrn!, study.studyInstanceUid, ...study.series.map((s) => s.seriesInstanceUid.split('#')[0])];
    expect(identifiers.every((x) => x.length >= 6)).toBe(true);
    const leaks: string[] = [];
    for (const [name, bytes] of Object.entries(unzipSync(zip))) {
      const text = Buffer.from(bytes).toString('latin1');
      for (const id of identifiers) if (text.includes(id) || name.includes(id)) leaks.push(`${name}: ${id}`);
    }
    expect(leaks).toEqual([]);
  }, 120_000);

  it('refuses a reviewer with 403 and no zip', async () => {
    session.caller = { ...researcher, role: 'REVIEWER' };
    const res = await get(studyId);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).not.toBe('application/zip');
  });
});
