/**
 * Postgres unreachable under the web server: route handlers and pages answer with what is wrong
 * (503 UNAVAILABLE naming host, port and database, never the password, and what to check)
 * instead of a bare 500 or an empty 200. The database is a closed local port (a real refused
 * connection); the route handlers and the page run in-process, only the session lookup replaced.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { writePhantomStudy } from '../import/phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

const admin: Caller = { userId: 'u-admin', email: 'admin@example.org', name: 'Admin', role: 'ADMIN' };

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('the database unreachable under the web server', () => {
  let port: number;
  let tmp: string;
  // P1001 when Prisma meets the closed port first, ECONNREFUSED when pg-boss (the upload queues its run) does.
  const unavailable = () => new RegExp(`^Cannot reach the database at 127\\.0\\.0\\.1:${port} \\((P1001|ECONNREFUSED)[^)]*\\): check that Postgres is running`);

  beforeAll(async () => {
    port = await closedPort();
    tmp = mkdtempSync(join(tmpdir(), 'iseg-db-down-'));
    process.env.DATABASE_URL = `postgresql://iseg:db-password-not-shown@127.0.0.1:${port}/iseg`;
    process.env.ISEG_VOLUME_DIR = join(tmp, 'volumes');
    session.caller = admin;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('GET /api/admin/audit answers 503 naming the database, not 500 or an empty 200', async () => {
    const route = await import('@/app/api/admin/audit/route');
    const res = await route.GET(new Request('http://localhost/api/admin/audit?from=2024-01-01'), { params: Promise.resolve({}) });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(body.error.code).toBe('UNAVAILABLE');
    expect(body.error.message).toMatch(unavailable());
    expect(JSON.stringify(body)).not.toContain('db-password-not-shown');
  });

  it('the /admin/audit page shows the same message instead of an error page', async () => {
    const Page = (await import('@/app/(app)/admin/audit/page')).default;
    const html = renderToStaticMarkup(await Page({ searchParams: Promise.resolve({}) }));
    expect(html, html).toMatch(/role="alert"[^>]*>Cannot reach the database at 127\.0\.0\.1:\d+ /);
    expect(html).not.toContain('db-password-not-shown');
  });

  it('POST /api/studies (an upload) answers 503 and stores no volume', async () => {
    const p = await writePhantomStudy(join(tmp, 'patient'), { dims: [24, 24, 8], spacingMm: [10, 10, 12], phasePercents: [0], index: 6, seed: 'db-down' });
    const files: Zippable = {};
    for (const d of readdirSync(p.dicomDir, { recursive: true, withFileTypes: true }))
      if (d.isFile()) files[`export/${relative(p.dicomDir, join(d.parentPath, d.name))}`] = readFileSync(join(d.parentPath, d.name));
    const form = new FormData();
    form.set('file', new File([zipSync(files) as Uint8Array<ArrayBuffer>], 'study.zip', { type: 'application/zip' }));
    const route = await import('@/app/api/studies/route');
    const res = await route.POST(new Request('http://localhost/api/studies', { method: 'POST', body: form }), { params: Promise.resolve({}) });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(503);
    expect(body.error.message).toMatch(unavailable());
    expect(() => readdirSync(join(tmp, 'volumes'))).toThrow(/ENOENT/);
  });
});
