/**
 * The Import page's "Observer" field (POST /api/studies, field `observer`; docs/observers.md), called
 * in-process with a real multipart Request against a real Postgres and real DICOM (only the session
 * lookup is replaced: getCaller needs Next's request context). The same rules as
 * `iseg-qa import --observer` (importStudy checks both): a name with a backslash or over 64
 * characters is a 400 that says why, and nothing is written; a valid name (whitespace collapsed)
 * is every structure's observer, the reference one, and the import is audited with it.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const physicist: Caller = { userId: 'u-phys', email: 'phys@example.org', name: 'Phys', role: 'PHYSICIST' };

describe('Import page: the Observer field', () => {
  let t: TestDatabase;
  let tmp: string;
  let POST: (req: Request) => Promise<Response>;
  let zip: Uint8Array;

  const upload = (fields: Record<string, string>) => {
    const form = new FormData();
    form.set('file', new File([zip as Uint8Array<ArrayBuffer>], 'study.zip', { type: 'application/zip' }));
    for (const [k, v] of Object.entries(fields)) form.set(k, v);
    return POST(new Request('http://localhost/api/studies', { method: 'POST', body: form }));
  };

  beforeAll(async () => {
    t = await createTestDatabase('upload_observer');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-upload-observer-'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    process.env.ISEG_UPLOAD_MAX_MB = '4';
    ({ POST } = await import('@/app/api/studies/route'));
    const phantom = await writePhantomStudy(join(tmp, 'patient'), {
      dims: [32, 32, 16],
      spacingMm: [10, 10, 12],
      phasePercents: [0, 50],
      index: 5,
      seed: 'observer',
    });
    const files: Zippable = {};
    for (const d of readdirSync(phantom.dicomDir, { recursive: true, withFileTypes: true }))
      if (d.isFile()) files[`export/${relative(phantom.dicomDir, join(d.parentPath, d.name))}`] = readFileSync(join(d.parentPath, d.name));
    zip = zipSync(files, { level: 6 });
  });
  afterAll(async () => {
    await t.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a bad observer name with a 400 that says why; nothing is written', async () => {
    session.caller = physicist;
    const slash = await upload({ observer: 'Dr\\Smith' });
    expect(slash.status).toBe(400);
    expect((await slash.json()).error.message).toBe(
      'The observer "Dr\\\\Smith" contains a control character or a backslash: enter the physician\'s name or initials only.',
    );
    const long = await upload({ observer: 'x'.repeat(65) });
    expect(long.status).toBe(400);
    expect((await long.json()).error.message).toMatch(/is 65 characters long; at most 64 are accepted: enter the physician's name or initials/);
    expect(await t.db.study.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: { startsWith: 'study.import' } } })).toBe(0);
  });

  it("a valid name is every structure's observer (the reference one), and the import is audited with it", async () => {
    session.caller = physicist;
    const res = await upload({ observer: '  Dr   Smith ' });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(201);
    const structures = await t.db.physicianStructure.findMany({ where: { studyId: body.studyId } });
    expect(structures.length).toBeGreaterThan(0);
    expect(structures.map((s) => [s.observer, s.referenceObserver])).toEqual(structures.map(() => ['Dr Smith', true]));
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'study.import.observer' } });
    expect(audit).toMatchObject({ userEmail: 'phys@example.org', role: 'PHYSICIST', target: `study:${body.studyId}` });
    expect(audit.patientId).not.toBeNull();
    expect(audit.details).toMatchObject({ observer: 'Dr Smith', label: 'upload "study.zip"' });
    // The study's own import event is there too, in the same transaction.
    expect(await t.db.auditEvent.count({ where: { action: 'study.import', target: `study:${body.studyId}` } })).toBe(1);
  });
});
