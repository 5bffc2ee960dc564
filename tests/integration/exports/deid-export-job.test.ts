/**
 * "Prepare de-identified export" as a job (#16 item 7), against a real Postgres, volume store and
 * worker process (workers/main.ts); the routes are called in-process with a real Request (only the
 * session lookup is replaced, as in deid-export-route.test.ts):
 * - who may prepare (anonymous, each role, a forged Origin on the POST);
 * - two requests at the same instant give one export and one job (idempotent per study and requester);
 * - queue → worker → READY with progress files done = total; the download's bytes have the
 *   recorded size and sha256, and are a zip Python's zipfile checks and pydicom reads
 *   (pseudonymised); only the requester may download it; downloads and requests are audited;
 * - kill -9 of the worker half-way through writing: no READY row and no zip meanwhile, the job is
 *   retried by pg-boss after the heartbeat timeout on a new worker, from the first file, and ends
 *   READY with a complete zip; no temp file is left;
 * - an expired export's file is deleted by the sweep and its link answers 404.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller, Role } from '@/lib/server/auth/roles';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { sweepDeidExports } from '@/lib/server/exports/sweep-deid-exports';
import type { DeidExportView } from '@/lib/server/exports/deid-export-view';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const DIMS = [24, 20, 12] as const;
const FILES = DIMS[2] * 2 + 2 + 1; // CT slices of two phases, two RTSTRUCTs, README

const READ_PY = `
import io, json, sys, zipfile
import pydicom
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
names = z.namelist()
ct = sorted(n for n in names if '/phase01/CT' in n)[3]
ds = pydicom.dcmread(io.BytesIO(z.read(ct)))
px = ds.pixel_array
print(json.dumps({"bad": bad, "names": names, "patientName": str(ds.PatientName), "patientId": ds.PatientID,
  "identityRemoved": ds.PatientIdentityRemoved, "rows": int(ds.Rows), "columns": int(ds.Columns), "pixels": int(px.size)}))
`;

type Handler<P> = (req: Request, ctx: { params: Promise<P> }) => Promise<Response>;

describe('de-identified export as a job: request, worker, progress, download, kill -9', () => {
  let t: TestDatabase;
  let tmp: string;
  let volumes: string;
  let store: VolumeStore;
  let studyId: string;
  let pseudonym: string;
  let POST: Handler<{ id: string }>;
  let LIST: Handler<{ id: string }>;
  let DOWNLOAD: Handler<{ id: string; exportId: string }>;
  const workers: WorkerProcess[] = [];
  const users: Record<string, Caller> = {};

  const post = (as: Caller | null, headers: Record<string, string> = { host: 'localhost', origin: 'http://localhost' }) => {
    session.caller = as;
    return POST(new Request(`http://localhost/api/studies/${studyId}/export/deid/jobs`, { method: 'POST', headers }), {
      params: Promise.resolve({ id: studyId }),
    });
  };
  const list = async (as: Caller | null) => {
    session.caller = as;
    return LIST(new Request(`http://localhost/api/studies/${studyId}/export/deid/jobs`), { params: Promise.resolve({ id: studyId }) });
  };
  const download = (as: Caller | null, exportId: string) => {
    session.caller = as;
    return DOWNLOAD(new Request(`http://localhost/api/studies/${studyId}/export/deid/jobs/${exportId}`), {
      params: Promise.resolve({ id: studyId, exportId }),
    });
  };
  const workerEnv = (extra: Record<string, string> = {}) => ({
    ISEG_VOLUME_DIR: volumes,
    ISEG_DATA_DIR: join(tmp, 'data'),
    ISEG_MODELS_DIR: join(tmp, 'no-models'),
    ...extra,
  });
  const readyExport = (id: string) =>
    waitFor(
      `export ${id} READY`,
      async () => {
        const r = await t.db.deidExport.findUniqueOrThrow({ where: { id } });
        if (r.state === 'FAILED') throw new Error(`export failed: ${r.error}`);
        return r.state === 'READY' && r;
      },
      120_000,
    );
  const checkZip = (bytes: Buffer) => {
    const file = join(tmp, `check-${Date.now()}.zip`);
    writeFileSync(file, bytes);
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', READ_PY, file], { encoding: 'utf8', maxBuffer: 1 << 26 })) as {
      bad: string | null;
      names: string[];
      patientName: string;
      patientId: string;
      identityRemoved: string;
      rows: number;
      columns: number;
      pixels: number;
    };
  };

  beforeAll(async () => {
    t = await createTestDatabase('deid_export_job');
    tmp = mkdtempSync(join(tmpdir(), 'iseg-deid-job-'));
    volumes = join(tmp, 'volumes');
    mkdirSync(join(tmp, 'no-models'));
    process.env.DATABASE_URL = t.url;
    process.env.ISEG_VOLUME_DIR = volumes;
    store = createVolumeStore({ dir: volumes });
    for (const [key, role] of [
      ['res', 'RESEARCHER'],
      ['res2', 'RESEARCHER'],
      ['phys', 'PHYSICIST'],
      ['rev', 'REVIEWER'],
      ['admin', 'ADMIN'],
    ] as [string, Role][]) {
      const u = await t.db.user.create({ data: { email: `${key}@example.org`, name: key, passwordHash: 'x', role } });
      users[key] = { userId: u.id, email: u.email, name: u.name, role };
    }
    ({ POST, GET: LIST } = (await import('@/app/api/studies/[id]/export/deid/jobs/route')) as unknown as { POST: typeof POST; GET: typeof LIST });
    ({ GET: DOWNLOAD } = (await import('@/app/api/studies/[id]/export/deid/jobs/[exportId]/route')) as unknown as { GET: typeof DOWNLOAD });
    const phantom = await writePhantomStudy(join(tmp, 'src'), { dims: [...DIMS], spacingMm: [12, 12, 15], phasePercents: [0, 50], index: 3, seed: 'deid-job' });
    studyId = (await importStudy({ db: t.db, caller: users.phys, dir: phantom.dicomDir, store })).studyId;
    pseudonym = (await t.db.study.findUniqueOrThrow({ where: { id: studyId }, include: { patient: true } })).patient.pseudonym;
  }, 180_000);

  afterAll(async () => {
    for (const w of workers) await w.kill().catch(() => undefined);
    const { webBoss } = await import('@/lib/server/jobs/web-boss');
    await (await webBoss()).stop({ graceful: false }).catch(() => undefined);
    await t?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('who may prepare: anonymous 401, reviewer and admin 403, a forged Origin 403; nothing is queued for them', async () => {
    expect((await post(null)).status).toBe(401);
    expect((await post(users.rev)).status).toBe(403);
    expect((await post(users.admin)).status).toBe(403);
    const forged = await post(users.res, { host: 'localhost', origin: 'http://evil.example', cookie: 'authjs.session-token=x' });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toMatch(/Cross-site request refused/);
    expect((await list(null)).status).toBe(401);
    expect((await list(users.rev)).status).toBe(403);
    expect(await t.db.deidExport.count()).toBe(0);
  });

  it('two requests at the same instant give one export and one job; the worker writes it with progress; only the requester downloads it', async () => {
    const [a, b] = await Promise.all([post(users.res), post(users.res)]);
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    const ea = ((await a.json()) as { export: DeidExportView }).export;
    const eb = ((await b.json()) as { export: DeidExportView }).export;
    expect(ea.id).toBe(eb.id);
    expect(await t.db.deidExport.count()).toBe(1);
    const jobs = await t.db.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'study.export.deid'`);
    expect(jobs[0].n).toBe(1);
    expect(await t.db.auditEvent.count({ where: { action: 'study.export.deid.request' } })).toBe(1);
    expect(ea.state).toBe('QUEUED');

    // Not ready yet: the download link answers 409 with the state.
    const early = await download(users.res, ea.id);
    expect(early.status).toBe(409);

    workers.push(await startWorker(t.url, workerEnv()));
    const row = await readyExport(ea.id);
    await workers[0].stop();
    expect([row.filesDone, row.filesTotal, row.attempts]).toEqual([FILES, FILES, 1]);
    expect(row.expiresAt!.getTime() - row.readyAt!.getTime()).toBe(24 * 3600 * 1000);

    const listed = ((await (await list(users.res)).json()) as { exports: DeidExportView[] }).exports;
    expect(listed.map((e) => [e.id, e.state, e.requestedByEmail])).toEqual([[ea.id, 'READY', 'res@example.org']]);
    expect(listed[0].downloadUrl).toBe(`/api/studies/${studyId}/export/deid/jobs/${ea.id}`);
    // Another user's list does not show it.
    expect(((await (await list(users.res2)).json()) as { exports: DeidExportView[] }).exports).toEqual([]);

    // Only the requester downloads it; anonymous 401, a reviewer 403, another researcher or a physicist 403.
    expect((await download(null, ea.id)).status).toBe(401);
    expect((await download(users.rev, ea.id)).status).toBe(403);
    const other = await download(users.res2, ea.id);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { message: string } }).error.message).toMatch(/only the user who requested an export may download it/);
    expect((await download(users.phys, ea.id)).status).toBe(403);

    const res = await download(users.res, ea.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${pseudonym}-deid.zip"`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBe(Number(row.sizeBytes));
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect([sha, res.headers.get('x-content-sha256')]).toEqual([row.sha256, row.sha256]);
    const read = checkZip(bytes);
    expect(read.bad).toBeNull();
    expect(read.names).toHaveLength(FILES);
    expect(read.names.every((n) => n.startsWith(`${pseudonym}/`))).toBe(true);
    expect([read.patientName, read.patientId, read.identityRemoved]).toEqual([pseudonym, pseudonym, 'YES']);
    expect([read.columns, read.rows, read.pixels]).toEqual([DIMS[0], DIMS[1], DIMS[0] * DIMS[1]]);

    const audit = await t.db.auditEvent.findMany({
      where: { target: `study:${studyId}`, action: { startsWith: 'study.export.deid' } },
      orderBy: { id: 'asc' },
    });
    expect(audit.map((e) => [e.action, e.userEmail])).toEqual([
      ['study.export.deid.request', 'res@example.org'],
      ['study.export.deid', 'res@example.org'],
      ['study.export.deid.ready', 'res@example.org'],
      ['study.export.deid.download', 'res@example.org'],
    ]);

    // Once it is ready, a new request prepares a new one (the study may have changed).
    const again = await post(users.res);
    expect(again.status).toBe(202);
    const againId = ((await again.json()) as { export: DeidExportView }).export.id;
    expect(againId).not.toBe(ea.id);
    await t.db.deidExport.delete({ where: { id: againId } });
  }, 240_000);

  it('kill -9 half-way: never a READY row or a zip meanwhile; pg-boss retries on a new worker from the first file; READY, complete, no temp file left', async () => {
    const held = await startWorker(t.url, workerEnv({ ISEG_FAULT_HOLD_AT_STAGE: 'export.half', ISEG_FAULT_HOLD_MS: '600000' }));
    workers.push(held);
    const r = await post(users.phys);
    expect(r.status).toBe(202);
    const id = ((await r.json()) as { export: DeidExportView }).export.id;
    await waitFor('the worker to hold half-way', async () => held.output().includes('fault hold: stage "export.half"'), 120_000);
    const mid = await t.db.deidExport.findUniqueOrThrow({ where: { id } });
    expect(mid.state).toBe('RUNNING');
    expect(mid.filesTotal).toBe(FILES);
    expect(mid.filesDone).toBeGreaterThanOrEqual(FILES / 2);
    expect(mid.filesDone).toBeLessThan(FILES);
    const part = readdirSync(join(volumes, 'exports', 'tmp')).filter((n) => n.startsWith(id));
    expect(part).toHaveLength(1);
    expect(existsSync(join(volumes, 'exports', `${id}.zip`))).toBe(false);
    expect((await download(users.phys, id)).status).toBe(409);

    await held.kill();
    const fresh = await startWorker(t.url, workerEnv());
    workers.push(fresh);
    const row = await readyExport(id);
    await fresh.stop();
    expect(row.attempts).toBe(2);
    expect(row.filesDone).toBe(FILES);
    expect(readdirSync(join(volumes, 'exports', 'tmp')).filter((n) => n.startsWith(id))).toEqual([]);
    const res = await download(users.phys, id);
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
    const read = checkZip(bytes);
    expect(read.bad).toBeNull();
    expect(read.names).toHaveLength(FILES);
    // Each try audited as an export written; one ready.
    const tries = await t.db.auditEvent.findMany({ where: { action: 'study.export.deid', userEmail: 'phys@example.org' } });
    expect(tries.map((e) => (e.details as { attempt?: number }).attempt).sort()).toEqual([1, 2]);
  }, 300_000);

  it('an export whose job is cancelled in the queue: the sweep marks it FAILED with the reason, once; a new request queues a new one', async () => {
    const r = await post(users.res2);
    expect(r.status).toBe(202);
    const e = ((await r.json()) as { export: DeidExportView }).export;
    const row = await t.db.deidExport.findUniqueOrThrow({ where: { id: e.id } });
    const { webBoss } = await import('@/lib/server/jobs/web-boss');
    await (await webBoss()).cancel('study.export.deid', row.jobId!);
    const swept = await sweepDeidExports(t.db, store);
    expect(swept.failed.map((f) => f.exportId)).toEqual([e.id]);
    const failed = await t.db.deidExport.findUniqueOrThrow({ where: { id: e.id } });
    expect(failed.state).toBe('FAILED');
    expect(failed.error).toMatch(/was cancelled in the job queue, so nothing will write it\. Prepare it again\./);
    expect((await sweepDeidExports(t.db, store)).failed).toEqual([]);
    expect(await t.db.auditEvent.count({ where: { action: 'study.export.deid.failed', userEmail: 'system' } })).toBe(1);
    const listed = ((await (await list(users.res2)).json()) as { exports: DeidExportView[] }).exports;
    expect(listed[0]).toMatchObject({ id: e.id, state: 'FAILED', downloadUrl: null });
    expect((await download(users.res2, e.id)).status).toBe(409);
    const again = await post(users.res2);
    expect(again.status).toBe(202);
    await t.db.deidExport.delete({ where: { id: ((await again.json()) as { export: DeidExportView }).export.id } });
  });

  it('an expired export: the sweep deletes its file and marks it EXPIRED; its link answers 404', async () => {
    const ready = await t.db.deidExport.findFirstOrThrow({ where: { state: 'READY', requestedById: users.phys.userId } });
    const file = join(volumes, 'exports', `${ready.id}.zip`);
    expect(existsSync(file)).toBe(true);
    const early = await sweepDeidExports(t.db, store);
    expect(early.expired).toEqual([]);
    await t.db.deidExport.update({ where: { id: ready.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const swept = await sweepDeidExports(t.db, store);
    expect(swept.expired).toEqual([ready.id]);
    expect(existsSync(file)).toBe(false);
    expect((await t.db.deidExport.findUniqueOrThrow({ where: { id: ready.id } })).state).toBe('EXPIRED');
    const res = await download(users.phys, ready.id);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/expired .* prepare it again/);
  });
});
