/**
 * A forbidden server action (issue 12 item 8). The proxy refuses a page's actions by the page's
 * permission, but an action may need more than its page, which the data layer checks against the
 * role as it is now (a role taken away since sign-in, or a crafted post). An action that threw
 * AppError FORBIDDEN got a 500 and an error page from Next. Now every action returns the refusal:
 * code FORBIDDEN, status 403, the message.
 * Real Postgres and pg-boss; only the session lookup is replaced (it needs Next's request context).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

const researcher: Caller = { userId: 'u-res', email: 'res@example.org', name: 'Res', role: 'RESEARCHER' };

describe('a server action the caller may not run', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('errors_forbidden_action');
    process.env.DATABASE_URL = t.url;
  });
  afterAll(async () => {
    const g = globalThis as unknown as { __isegBoss?: Promise<{ stop: (o: object) => Promise<void> }> };
    await (await g.__isegBoss?.catch(() => undefined))?.stop({ graceful: false });
    await t?.drop();
  });

  it('the models and jobs actions give the same result shape for a refusal', async () => {
    session.caller = researcher;
    const { segmentAllWithModel } = await import('@/app/(app)/models/actions');
    expect(await segmentAllWithModel('demo')).toMatchObject({
      ok: false,
      code: 'FORBIDDEN',
      status: 403,
      error: expect.stringMatching(/researcher role may not/i),
    });
    const { cancelRun } = await import('@/app/(app)/jobs/actions');
    expect(await cancelRun('no-such-run')).toMatchObject({ ok: false, code: 'FORBIDDEN', status: 403 });
  });
});
