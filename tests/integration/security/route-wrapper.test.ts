/**
 * Every route handler under app/api goes through withCaller (lib/server/http/with-caller.ts),
 * with the permission that ROUTES gives its route, and every state-changing one refuses a
 * cross-site request (issue 13, item 6: a page on http://127.0.0.1:4299 imported a study with the
 * physicist's cookie). next-auth's own route is the one exception: it checks its CSRF token.
 * The handlers are the production modules; only the session lookup is replaced (getCaller needs
 * Next's request context), so the caller here is one with the route's permission: a refusal is
 * the origin check's, not the permission's.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Caller, Permission } from '@/lib/server/auth/roles';
import { PERMISSIONS } from '@/lib/server/auth/roles';
import { ROUTES } from '@/lib/server/auth/route-access';
import { WITH_CALLER, type RouteAccess } from '@/lib/server/http/with-caller';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const apiDir = path.resolve(import.meta.dirname, '..', '..', '..', 'app', 'api');

function routeFiles(): { file: string; route: string }[] {
  const out: { file: string; route: string }[] = [];
  for (const d of fs.readdirSync(apiDir, { recursive: true, withFileTypes: true })) {
    if (!d.isFile() || !/^route\.(ts|tsx|js|mjs)$/.test(d.name)) continue;
    const file = path.join(d.parentPath, d.name);
    const segs = path
      .relative(apiDir, d.parentPath)
      .split(path.sep)
      .filter((s) => s && !/^\(.*\)$/.test(s));
    out.push({ file, route: ['/api', ...segs].join('/') });
  }
  return out.sort((a, b) => a.route.localeCompare(b.route));
}

type Handler = ((req: Request, ctx?: { params: Promise<Record<string, string>> }) => Promise<Response>) & { [WITH_CALLER]?: { access: RouteAccess } };

async function handlersOf(file: string): Promise<[string, Handler][]> {
  const mod = (await import(file)) as Record<string, unknown>;
  return METHODS.filter((m) => typeof mod[m] === 'function').map((m) => [m, mod[m] as Handler]);
}

function callerFor(access: RouteAccess): Caller | null {
  if (access === 'public') return null;
  const role = access === 'signed-in' ? 'ADMIN' : PERMISSIONS[access as Permission][0];
  return { userId: 'u-1', email: 'someone@example.org', name: 'Someone', role };
}

/** A body that counts how much of it was read. */
function countedBody() {
  const seen = { bytes: 0 };
  const body = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        seen.bytes += 1024;
        c.enqueue(new Uint8Array(1024));
      },
    },
    { highWaterMark: 0 },
  );
  return { body, seen };
}

describe('app/api route handlers', () => {
  const files = routeFiles();

  it('finds the route files (the enumeration itself works)', () => {
    expect(files.map((f) => f.route)).toContain('/api/studies');
    expect(files.map((f) => f.route)).toContain('/api/studies/[id]/volume');
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it("every exported handler is wrapped by withCaller with the access ROUTES gives its route (next-auth's own excepted)", async () => {
    const problems: string[] = [];
    let wrapped = 0;
    for (const { file, route } of files) {
      const entry = ROUTES.find((r) => r.kind === 'api' && r.route === route);
      if (!entry) {
        problems.push(`${route}: not in ROUTES (lib/server/auth/route-access.ts)`);
        continue;
      }
      if (route === '/api/auth/[...nextauth]') continue; // next-auth checks its own CSRF token
      const handlers = await handlersOf(file);
      if (handlers.length === 0) problems.push(`${route}: exports no handler`);
      for (const [method, fn] of handlers) {
        const mark = fn[WITH_CALLER];
        if (!mark) problems.push(`${method} ${route}: not wrapped; export it as withCaller(permission, handler) from lib/server/http/with-caller.ts`);
        else if (mark.access !== entry.access) problems.push(`${method} ${route}: withCaller('${mark.access}') but ROUTES says '${entry.access}'`);
        else wrapped++;
      }
    }
    expect(problems).toEqual([]);
    expect(wrapped).toBeGreaterThanOrEqual(files.length - 1);
  });

  it("every state-changing handler refuses a forged Origin or Referer and a cookie without either (403), before reading the body; the app's own origin passes the check", async () => {
    let checked = 0;
    for (const { file, route } of files) {
      if (route === '/api/auth/[...nextauth]') continue;
      const entry = ROUTES.find((r) => r.kind === 'api' && r.route === route)!;
      const url = 'http://localhost' + route.replace(/\[\.\.\.[^\]]+\]/g, 'a/b').replace(/\[[^\]]+\]/g, 'x');
      for (const [method, fn] of await handlersOf(file)) {
        if (!UNSAFE.has(method)) continue;
        checked++;
        session.caller = callerFor(entry.access);
        const call = (headers: Record<string, string>, body?: ReadableStream<Uint8Array>) =>
          fn(new Request(url, { method, headers: { 'content-type': 'multipart/form-data; boundary=x', ...headers }, body, duplex: 'half' } as RequestInit), {
            params: Promise.resolve({ id: 'x' }),
          });
        const forged: Record<string, string>[] = [
          { host: 'localhost', origin: 'http://127.0.0.1:4299', cookie: 'next-auth.session-token=x' },
          { host: 'localhost:3000', origin: 'http://localhost:4299', cookie: 'next-auth.session-token=x' },
          { host: 'localhost', origin: 'https://evil.example', cookie: 'next-auth.session-token=x' },
          { host: 'localhost', origin: 'null', cookie: 'next-auth.session-token=x' },
          { host: 'localhost', referer: 'http://127.0.0.1:4299/attack.html', cookie: 'next-auth.session-token=x' },
          { host: 'localhost', cookie: 'next-auth.session-token=x' },
        ];
        for (const headers of forged) {
          const { body, seen } = countedBody();
          const res = await call(headers, body);
          const label = `${method} ${route} ${JSON.stringify(headers)}`;
          expect(res.status, label).toBe(403);
          expect((await res.json()).error, label).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/^Cross-site request refused/) });
          expect(seen.bytes, label).toBe(0);
        }
        // Own origin (by Host, by X-Forwarded-Host behind a proxy, by Referer): past the origin
        // check to the session check, which answers 401 without a session.
        session.caller = null;
        for (const headers of [
          { host: 'localhost', origin: 'http://localhost', cookie: 'next-auth.session-token=x' },
          { host: '127.0.0.1:3000', 'x-forwarded-host': 'qa.hospital.example', origin: 'https://qa.hospital.example', cookie: 'x=1' },
          { host: 'localhost', referer: 'http://localhost/import', cookie: 'next-auth.session-token=x' },
          { host: 'localhost' }, // no cookie, no origin: no session to abuse
        ] as Record<string, string>[]) {
          const res = await call(headers);
          expect(res.status, `${method} ${route} ${JSON.stringify(headers)}`).toBe(401);
        }
      }
    }
    // POST /api/studies at least; every new state-changing route is checked the same way.
    expect(checked).toBeGreaterThanOrEqual(1);
  });

  it('GET handlers are not refused for their origin (links and downloads from anywhere still need a session)', async () => {
    session.caller = null;
    const { GET } = await import('@/app/api/studies/[id]/route');
    const res = await GET(new Request('http://localhost/api/studies/x', { headers: { host: 'localhost', origin: 'http://127.0.0.1:4299', cookie: 'a=b' } }), {
      params: Promise.resolve({ id: 'x' }),
    });
    expect(res.status).toBe(401);
  });
});
