/**
 * An impossible date in the audit search (issue 12 item 8): `/admin/audit?from=2026-13-45`
 * crashed the page (Invalid Date reached Postgres) and `GET /api/admin/audit` answered 200 with
 * an empty body (the stream failed after the headers went out). Now both refuse it with a
 * message naming the parameter: the API with a 400, the page with the message in an alert.
 * Real Postgres; only the session lookup is replaced (it needs Next's request context).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createUser } from '@/lib/server/users/create-user';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

describe('audit search: impossible dates', () => {
  let t: TestDatabase;
  let GET: (req: Request) => Promise<Response>;
  let Page: (props: { searchParams: Promise<Record<string, string | string[] | undefined>> }) => Promise<React.ReactElement>;

  beforeAll(async () => {
    t = await createTestDatabase('errors_audit_dates');
    process.env.DATABASE_URL = t.url;
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    session.caller = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN' };
    const route = await import('@/app/api/admin/audit/route');
    GET = (req) => route.GET(req, { params: Promise.resolve({}) });
    Page = (await import('@/app/(app)/admin/audit/page')).default as typeof Page;
  });
  afterAll(async () => {
    await t?.drop();
  });

  const csv = (query: string) => GET(new Request(`http://localhost/api/admin/audit${query}`));

  it('GET /api/admin/audit refuses from=2026-13-45 and to=2026-02-30 with a 400 naming the parameter, and records no export', async () => {
    const before = await t.db.auditEvent.count({ where: { action: 'audit.export' } });
    for (const [query, param, value] of [
      ['?from=2026-13-45', 'from', '2026-13-45'],
      ['?to=2026-02-30', 'to', '2026-02-30'],
      ['?from=yesterday', 'from', 'yesterday'],
    ]) {
      const res = await csv(query);
      const body = await res.json();
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.error.code).toBe('INVALID_INPUT');
      expect(body.error.message).toContain(`parameter "${param}"`);
      expect(body.error.message).toContain(value);
      expect(body.error.message).toContain('YYYY-MM-DD');
    }
    expect(await t.db.auditEvent.count({ where: { action: 'audit.export' } })).toBe(before);
  });

  it('still exports a real date range (a leap day included) as CSV with its rows', async () => {
    const res = await csv('?from=2024-02-29&to=2099-12-31');
    expect(res.status).toBe(200);
    const text = await res.text();
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^id,at_utc,/);
    // user.created for the admin, at least.
    expect(lines.length).toBeGreaterThan(1);
    expect(text).toContain('user.created');
  });

  it('the /admin/audit page shows the refusal instead of crashing', async () => {
    const el = await Page({ searchParams: Promise.resolve({ from: '2026-13-45' }) });
    const html = renderToStaticMarkup(el);
    expect(html).toMatch(/role="alert"[^>]*>[^<]*parameter &quot;from&quot;: &quot;2026-13-45&quot; must be a date YYYY-MM-DD/);
    const ok = renderToStaticMarkup(await Page({ searchParams: Promise.resolve({ from: '2024-02-29' }) }));
    expect(ok).toContain('data-testid="audit-table"');
    expect(ok).not.toContain('role="alert"');
  });
});
