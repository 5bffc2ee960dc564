/**
 * Sign-in and sessions under attack (issue 13, items 1, 7, 9 and 11), against real Postgres and
 * next-auth's own request handler (`AuthHandler` from next-auth/core, fed the requests the
 * `/api/auth/[...nextauth]` route hands it) with our `authOptions`:
 * - 40 wrong passwords and the right one at once leave the account locked; the right password is
 *   refused; a per-address limit stops one source guessing across accounts;
 * - an unknown account, a locked one, an inactive one and a wrong password get the same answer;
 * - hostile callback URLs never send the browser elsewhere and never make next-auth answer 500;
 * - a session token captured before sign-out (or before a deactivation or role change) is refused;
 * - a database outage shows a generic code, never the database's host and port.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import path from 'node:path';
import { decode } from 'next-auth/jwt';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createUser } from '@/lib/server/users/create-user';
import { updateUser } from '@/lib/server/users/update-user';
import { authenticateUser, MAX_FAILED_SIGN_INS, MAX_FAILED_SIGN_INS_PER_ADDRESS } from '@/lib/server/sign-in/authenticate-user';
import { findSessionCaller } from '@/lib/server/auth/find-session-caller';
import type { Caller } from '@/lib/server/auth/roles';
import { authOptions } from '@/lib/server/sign-in/auth-options';
import { sessionOptions } from '@/lib/server/auth/session-options';
import { authRequestFixes } from '@/lib/server/auth/safe-callback-url';
import { signInErrorMessage } from '@/app/login/messages';

// next-auth's request handler (the route's NextAuth() hands every request to it); its package does
// not export the path, so it is loaded by file.
const { AuthHandler } = createRequire(import.meta.url)(path.resolve('node_modules/next-auth/core/index.js')) as {
  AuthHandler: (p: { req: RequestInternal; options: unknown }) => Promise<ResponseInternal>;
};
type Action = 'providers' | 'session' | 'csrf' | 'signin' | 'signout' | 'callback' | 'verify-request' | 'error' | '_log';
interface RequestInternal {
  action: Action;
  method?: string;
  providerId?: string;
  query?: Record<string, unknown>;
  body?: Record<string, string>;
  cookies?: Record<string, string>;
  headers?: Record<string, string>;
  error?: string;
}
interface ResponseInternal {
  status?: number;
  headers?: { key: string; value: string }[];
  body?: unknown;
  redirect?: string;
  cookies?: { name: string; value: string; options?: { maxAge?: number; expires?: Date | string } }[];
}

const ORIGIN = 'http://localhost:3000';
const SECRET = 'sign-in-hardening-test-secret-0123456789';
const SESSION_COOKIE = 'next-auth.session-token';

type Jar = Record<string, string>;

/** One request to next-auth, shaped as app/api/auth/[...nextauth]/route.ts shapes it. */
async function nextAuth(
  action: Action,
  {
    method = 'GET',
    providerId,
    query = {},
    body,
    cookies = {},
    ip = '198.51.100.1',
    raw = false,
  }: {
    /** skip the route's own fixes: next-auth as it comes */
    raw?: boolean;
    method?: string;
    providerId?: string;
    query?: Record<string, string>;
    body?: Record<string, string>;
    cookies?: Jar;
    ip?: string;
  } = {},
): Promise<ResponseInternal & { jar: Jar }> {
  // what the route (app/api/auth/[...nextauth]/route.ts) does before handing the request on
  let sent = { query, cookies };
  if (!raw) {
    const fixes = authRequestFixes({ callbackUrlParam: query.callbackUrl ?? null, errorParam: query.error ?? null, cookies }, ORIGIN);
    sent = {
      query: {
        ...query,
        ...(fixes.callbackUrl === null ? {} : { callbackUrl: fixes.callbackUrl }),
        ...(fixes.error === null ? {} : { error: fixes.error }),
      },
      cookies: Object.fromEntries(Object.entries(cookies).filter(([name]) => !fixes.dropCookies.includes(name as never))),
    };
  }
  const res = await AuthHandler({
    req: {
      action,
      method,
      providerId,
      query: { ...sent.query, nextauth: [action, ...(providerId ? [providerId] : [])] },
      body,
      cookies: sent.cookies,
      headers: { host: 'localhost:3000', 'x-forwarded-for': ip, 'user-agent': 'vitest', 'content-type': 'application/x-www-form-urlencoded' },
      error: (sent.query.error as string | undefined) ?? providerId,
    },
    options: { ...authOptions, secret: SECRET },
  });
  const jar: Jar = { ...cookies };
  for (const c of res.cookies ?? []) {
    if (c.options?.maxAge === 0 || (c.options?.expires && new Date(c.options.expires).getTime() < Date.now())) delete jar[c.name];
    else jar[c.name] = c.value;
  }
  return { ...res, jar };
}

async function csrf(cookies: Jar = {}) {
  const r = await nextAuth('csrf', { cookies });
  return { token: (r.body as { csrfToken: string }).csrfToken, jar: r.jar };
}

/** The credentials sign-in the login form makes (signIn('credentials', { redirect: false })). */
async function signIn(email: string, password: string, { callbackUrl = `${ORIGIN}/login`, ip }: { callbackUrl?: string; ip?: string } = {}) {
  const c = await csrf();
  return nextAuth('callback', {
    method: 'POST',
    providerId: 'credentials',
    body: { email, password, csrfToken: c.token, callbackUrl, json: 'true' },
    cookies: c.jar,
    ip,
  });
}

/** A session read as getCaller makes it: the session settings alone, without the sign-in provider. */
async function readSessionAsGetCaller(token: string) {
  const res = await AuthHandler({
    req: { action: 'session', method: 'GET', query: { nextauth: ['session'] }, cookies: { [SESSION_COOKIE]: token }, headers: { host: 'localhost:3000' } },
    options: { ...sessionOptions, secret: SECRET },
  });
  return res.body;
}

function onApp(url: string | undefined): boolean {
  return url !== undefined && new URL(url, ORIGIN).origin === ORIGIN;
}

describe('sign-in hardening', () => {
  let t: TestDatabase;
  let admin: Caller;
  const saved = { DATABASE_URL: process.env.DATABASE_URL, NEXTAUTH_URL: process.env.NEXTAUTH_URL };

  beforeAll(async () => {
    t = await createTestDatabase('sign_in_hardening');
    process.env.DATABASE_URL = t.url;
    process.env.NEXTAUTH_URL = ORIGIN;
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    admin = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN' };
  });
  afterAll(async () => {
    process.env.DATABASE_URL = saved.DATABASE_URL;
    process.env.NEXTAUTH_URL = saved.NEXTAUTH_URL;
    await t?.drop();
  });

  it('40 wrong passwords and the right one at once: the account ends locked and the right password is refused', async () => {
    await createUser(t.db, { caller: 'bootstrap', input: { email: 'target@example.org', name: 'Target', password: 'the-right-password', role: 'PHYSICIST' } });
    const attempts = Array.from({ length: 41 }, (_, i) => (i === 20 ? 'the-right-password' : `wrong-guess-${i}`));
    const results = await Promise.all(attempts.map((password, i) => authenticateUser(t.db, { email: 'target@example.org', password, ip: `203.0.113.${i}` })));
    const user = await t.db.user.findUniqueOrThrow({ where: { email: 'target@example.org' } });
    expect(user.failedSignIns).toBeGreaterThanOrEqual(MAX_FAILED_SIGN_INS);
    expect(user.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(results.filter((r) => r.ok)).toEqual([]);
    expect(await authenticateUser(t.db, { email: 'target@example.org', password: 'the-right-password', ip: '203.0.113.200' })).toMatchObject({
      ok: false,
      reason: 'LOCKED',
    });
    // an admin's unlock lets the owner in again
    await updateUser(t.db, { caller: admin, input: { change: 'unlock', userId: user.id } });
    expect((await authenticateUser(t.db, { email: 'target@example.org', password: 'the-right-password', ip: '203.0.113.201' })).ok).toBe(true);
  });

  it('the same burst through next-auth: no session cookie is ever issued', async () => {
    await createUser(t.db, { caller: 'bootstrap', input: { email: 'burst@example.org', name: 'Burst', password: 'burst-right-password', role: 'REVIEWER' } });
    const attempts = Array.from({ length: 12 }, (_, i) => (i === 6 ? 'burst-right-password' : `burst-wrong-${i}`));
    const responses = await Promise.all(attempts.map((password, i) => signIn('burst@example.org', password, { ip: `203.0.113.${100 + i}` })));
    expect(responses.filter((r) => r.jar[SESSION_COOKIE])).toEqual([]);
    const user = await t.db.user.findUniqueOrThrow({ where: { email: 'burst@example.org' } });
    expect(user.failedSignIns).toBeGreaterThanOrEqual(MAX_FAILED_SIGN_INS);
    expect(user.lockedUntil!.getTime()).toBeGreaterThan(Date.now());
  });

  it('limits failed sign-ins per client address, across accounts, in a window', async () => {
    await createUser(t.db, { caller: 'bootstrap', input: { email: 'victim@example.org', name: 'Victim', password: 'victim-password-1', role: 'RESEARCHER' } });
    const ip = '192.0.2.77';
    // one common password tried across many (mostly unknown) accounts: no account locks
    for (let i = 0; i < MAX_FAILED_SIGN_INS_PER_ADDRESS; i++) {
      const r = await authenticateUser(t.db, { email: `user${i}@example.org`, password: 'Spring2026!', ip });
      expect(r).toEqual({ ok: false, reason: 'INVALID_CREDENTIALS' });
    }
    // beyond the limit even a right password is refused from that address…
    expect(await authenticateUser(t.db, { email: 'victim@example.org', password: 'victim-password-1', ip })).toEqual({ ok: false, reason: 'THROTTLED' });
    expect((await t.db.user.findUniqueOrThrow({ where: { email: 'victim@example.org' } })).failedSignIns).toBe(0);
    // …but not from another one
    expect((await authenticateUser(t.db, { email: 'victim@example.org', password: 'victim-password-1', ip: '192.0.2.78' })).ok).toBe(true);
    // through next-auth the refusal reads like any other
    const viaNextAuth = await signIn('victim@example.org', 'victim-password-1', { ip });
    expect(viaNextAuth.jar[SESSION_COOKIE]).toBeUndefined();
    expect(new URL(viaNextAuth.redirect!).searchParams.get('error')).toBe('CredentialsSignin');
    // the window passes: the address may try again
    await t.db.signInThrottle.update({ where: { address: ip }, data: { windowStart: new Date(Date.now() - 16 * 60_000) } });
    expect((await authenticateUser(t.db, { email: 'victim@example.org', password: 'victim-password-1', ip })).ok).toBe(true);
    const throttled = await t.db.auditEvent.findMany({ where: { action: 'auth.sign_in_failed', ip } });
    expect(throttled.filter((e) => (e.details as { reason?: string }).reason === 'THROTTLED').length).toBe(2);
  });

  it('successful sign-ins do not use up the address limit (many users behind one proxy)', async () => {
    const ip = '192.0.2.90';
    expect((await authenticateUser(t.db, { email: 'admin@example.org', password: 'wrong-password', ip })).ok).toBe(false);
    for (let i = 0; i < 3; i++) {
      expect((await authenticateUser(t.db, { email: 'admin@example.org', password: 'admin-password-1', ip })).ok).toBe(true);
    }
    // the one failure counts; the successes gave their attempts back
    expect((await t.db.signInThrottle.findUniqueOrThrow({ where: { address: ip } })).attempts).toBe(1);
  });

  it('an unknown account, a locked one, an inactive one and a wrong password get the same answer', async () => {
    await createUser(t.db, { caller: 'bootstrap', input: { email: 'locked@example.org', name: 'Locked', password: 'locked-password-1', role: 'PHYSICIST' } });
    const inactive = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'gone@example.org', name: 'Gone', password: 'gone-password-1', role: 'PHYSICIST' },
    });
    await updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: inactive.id } });
    for (let i = 0; i < MAX_FAILED_SIGN_INS; i++) await authenticateUser(t.db, { email: 'locked@example.org', password: 'nope', ip: '192.0.2.5' });
    expect(await authenticateUser(t.db, { email: 'locked@example.org', password: 'locked-password-1', ip: '192.0.2.5' })).toEqual({
      ok: false,
      reason: 'LOCKED',
    });

    const cases = {
      unknown: ['nobody@example.org', 'whatever-password'],
      locked: ['locked@example.org', 'locked-password-1'],
      inactive: ['gone@example.org', 'gone-password-1'],
      wrong: ['victim@example.org', 'not-the-password'],
    } as const;
    const seen: Record<string, unknown> = {};
    for (const [label, [email, password]] of Object.entries(cases)) {
      const r = await signIn(email, password, { ip: `192.0.2.${Object.keys(seen).length + 10}` });
      seen[label] = { status: r.status, redirect: r.redirect, body: r.body, cookies: Object.keys(r.jar).sort(), headers: r.headers };
    }
    expect(seen.unknown).toMatchObject({ status: 401, redirect: expect.stringContaining('error=CredentialsSignin') });
    expect(seen.locked).toEqual(seen.unknown);
    expect(seen.inactive).toEqual(seen.unknown);
    expect(seen.wrong).toEqual(seen.unknown);
    // the login page words them alike too
    expect(signInErrorMessage('CredentialsSignin')).toBe('Email or password is not correct.');
    // only the audit log knows which was which
    const reasons = (
      await t.db.auditEvent.findMany({
        where: { action: 'auth.sign_in_failed', ip: { in: ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'] } },
        orderBy: { id: 'asc' },
      })
    ).map((e) => (e.details as { reason: string }).reason);
    expect(reasons).toEqual(['INVALID_CREDENTIALS', 'LOCKED', 'INACTIVE', 'INVALID_CREDENTIALS']);
  });

  it('hostile callback URLs never leave the app and never make next-auth answer 500', async () => {
    const hostile = [
      '/\\evil.example/',
      '/\t/evil.example/',
      '/\r\n/evil.example/',
      '//evil.example',
      '/\\/evil.example',
      'http://evil.example/',
      'http://127.0.0.1@evil.example/',
      'http://localhost:3000@evil.example/',
      'javascript:alert(1)',
      'evil.example',
      'http://',
      ':::',
      '',
      '%',
      '/.//evil.example',
    ];
    // next-auth on its own: a callbackUrl that is not an http(s) URL is a 500 before any callback
    // of ours runs; the route replaces it first
    expect((await nextAuth('session', { query: { callbackUrl: 'javascript:alert(1)' }, raw: true })).status).toBe(500);
    expect((await nextAuth('csrf', { cookies: { 'next-auth.callback-url': 'evil.example' }, raw: true })).status).toBe(500);
    expect((await nextAuth('error', { query: { error: 'x\r\nSet-Cookie: a=b' }, raw: true })).redirect).toContain('\r\n');
    const problems: string[] = [];
    const check = (what: string, r: ResponseInternal) => {
      if ((r.status ?? 200) >= 500) problems.push(`${what}: ${r.status}`);
      if (r.redirect && !onApp(r.redirect)) problems.push(`${what}: redirects to ${r.redirect}`);
      // a Location header with a control character is invalid: the route would answer 500
      if (r.redirect && /[\u0000-\u001f\u007f]/.test(r.redirect)) problems.push(`${what}: redirect ${JSON.stringify(r.redirect)} is no valid header`);
      // a redirect to the login page carries the callback on: it must stay on the app as well
      const inner = r.redirect ? new URL(r.redirect, ORIGIN).searchParams.get('callbackUrl') : null;
      if (inner !== null && !onApp(inner)) problems.push(`${what}: passes callbackUrl ${inner}`);
      for (const c of r.cookies ?? []) {
        if (c.name.endsWith('callback-url') && c.value && !onApp(c.value)) problems.push(`${what}: sets callback cookie ${c.value}`);
      }
    };
    const c = await csrf();
    for (const url of hostile) {
      const label = JSON.stringify(url);
      for (const action of ['providers', 'csrf', 'session', 'signin', 'signout', 'error'] as const) {
        check(`GET ${action}?callbackUrl=${label}`, await nextAuth(action, { query: { callbackUrl: url } }));
        check(`GET ${action} with callback cookie ${label}`, await nextAuth(action, { cookies: { 'next-auth.callback-url': url } }));
      }
      check(
        `POST signin/credentials ${label}`,
        await nextAuth('signin', { method: 'POST', providerId: 'credentials', body: { csrfToken: c.token, callbackUrl: url }, cookies: c.jar }),
      );
      check(`POST signout ${label}`, await nextAuth('signout', { method: 'POST', body: { csrfToken: c.token, callbackUrl: url }, cookies: c.jar }));
      check(`POST callback (wrong password) ${label}`, await signIn('victim@example.org', 'wrong-password', { callbackUrl: url, ip: '192.0.2.200' }));
      check(`GET error?error=${label}`, await nextAuth('error', { query: { error: url } }));
      check(`GET signin?error=${label}`, await nextAuth('signin', { query: { error: url } }));
      check(`GET callback/nosuchprovider ${label}`, await nextAuth('callback', { providerId: 'nosuchprovider', query: { callbackUrl: url } }));
    }
    // a successful sign-in goes to the app, whatever callback it was handed
    for (const url of hostile.slice(0, 6)) {
      const r = await signIn('admin@example.org', 'admin-password-1', { callbackUrl: url, ip: '192.0.2.201' });
      expect(r.jar[SESSION_COOKIE], JSON.stringify(url)).toBeDefined();
      check(`signed in with ${JSON.stringify(url)}`, r);
      expect(r.redirect).toBe(`${ORIGIN}/`);
    }
    const good = await signIn('admin@example.org', 'admin-password-1', { callbackUrl: `${ORIGIN}/studies/abc?phase=2`, ip: '192.0.2.201' });
    expect(good.redirect).toBe(`${ORIGIN}/studies/abc?phase=2`);
    expect(problems).toEqual([]);
  });

  it('a session token captured before sign-out is refused afterwards', async () => {
    const u = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'leaver@example.org', name: 'Leaver', password: 'leaver-password-1', role: 'PHYSICIST' },
    });
    const signedIn = await signIn('leaver@example.org', 'leaver-password-1');
    const captured = signedIn.jar[SESSION_COOKIE];
    expect(captured).toBeDefined();
    const claims = await decode({ token: captured, secret: SECRET });
    const asClaims = (c: typeof claims) => ({ userId: c?.uid, sessionVersion: c?.sv });
    expect(await findSessionCaller(t.db, { claims: asClaims(claims) })).toMatchObject({ userId: u.id, role: 'PHYSICIST' });
    const before = await nextAuth('session', { cookies: { [SESSION_COOKIE]: captured } });
    expect(before.body).toMatchObject({ user: { email: 'leaver@example.org', role: 'PHYSICIST' } });
    expect(await readSessionAsGetCaller(captured!)).toMatchObject({ user: { email: 'leaver@example.org', role: 'PHYSICIST' } });

    // sign out as the browser does (POST /api/auth/signout with the CSRF token)
    const c = await csrf({ [SESSION_COOKIE]: captured });
    const out = await nextAuth('signout', { method: 'POST', body: { csrfToken: c.token, callbackUrl: '/login' }, cookies: c.jar });
    expect(out.jar[SESSION_COOKIE]).toBeUndefined();

    // the captured token, replayed: no caller, no session
    expect(await findSessionCaller(t.db, { claims: asClaims(claims) })).toBeNull();
    const after = await nextAuth('session', { cookies: { [SESSION_COOKIE]: captured } });
    expect(after.body).toEqual({});
    expect(await readSessionAsGetCaller(captured!)).toEqual({});
    expect((await t.db.auditEvent.findFirstOrThrow({ where: { action: 'auth.sign_out', userId: u.id } })).target).toBe(`user:${u.id}`);
    // signing out again with the dead token changes nothing
    const again = await csrf({ [SESSION_COOKIE]: captured });
    await nextAuth('signout', { method: 'POST', body: { csrfToken: again.token }, cookies: again.jar });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: u.id } })).sessionVersion).toBe(1);

    // a fresh sign-in works and gets a token of the new version
    const back = await signIn('leaver@example.org', 'leaver-password-1');
    const fresh = await decode({ token: back.jar[SESSION_COOKIE], secret: SECRET });
    expect(fresh?.sv).toBe(1);
    expect(await findSessionCaller(t.db, { claims: asClaims(fresh) })).not.toBeNull();
  });

  it("an admin's role change or deactivation ends the user's sessions", async () => {
    const u = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'moved@example.org', name: 'Moved', password: 'moved-password-1', role: 'PHYSICIST' },
    });
    const token = async () => decode({ token: (await signIn('moved@example.org', 'moved-password-1')).jar[SESSION_COOKIE], secret: SECRET });
    const asClaims = (c: Awaited<ReturnType<typeof token>>) => ({ userId: c?.uid, sessionVersion: c?.sv });

    const first = await token();
    await updateUser(t.db, { caller: admin, input: { change: 'role', userId: u.id, role: 'RESEARCHER' } });
    expect(await findSessionCaller(t.db, { claims: asClaims(first) })).toBeNull();

    const second = await token();
    expect(await findSessionCaller(t.db, { claims: asClaims(second) })).toMatchObject({ role: 'RESEARCHER' });
    await updateUser(t.db, { caller: admin, input: { change: 'deactivate', userId: u.id } });
    await updateUser(t.db, { caller: admin, input: { change: 'activate', userId: u.id } });
    expect(await findSessionCaller(t.db, { claims: asClaims(second) })).toBeNull();
    // a token without a version (issued before versions existed) or forged claims: refused
    expect(await findSessionCaller(t.db, { claims: { userId: u.id, sessionVersion: undefined } })).toBeNull();
    expect(await findSessionCaller(t.db, { claims: { userId: 'nobody', sessionVersion: 0 } })).toBeNull();
  });

  it('a database outage gives a generic code, never the database host or port', async () => {
    process.env.DATABASE_URL = 'postgresql://iseg:secret-pw@127.0.0.1:9/iseg_down?connect_timeout=2';
    try {
      const r = await signIn('admin@example.org', 'admin-password-1');
      expect(r.status).not.toBe(500);
      expect(r.jar[SESSION_COOKIE]).toBeUndefined();
      const url = new URL(r.redirect!, ORIGIN);
      expect(url.origin).toBe(ORIGIN);
      expect(url.searchParams.get('error')).toBe('Unavailable');
      expect(decodeURIComponent(r.redirect!)).not.toMatch(/127\.0\.0\.1|:9\b|iseg_down|secret-pw|ECONNREFUSED|prisma/i);
      // the page next-auth sends the browser to says it plainly
      const page = await nextAuth('error', { query: { error: 'Unavailable' } });
      expect(page.redirect).toBe('/login?error=Unavailable');
      expect(signInErrorMessage('Unavailable')).toMatch(/cannot reach its database/);
      // whatever else lands in ?error=, the page never echoes it
      expect(signInErrorMessage('connect ECONNREFUSED 127.0.0.1:5432')).toBe('Sign-in failed; try again.');
    } finally {
      process.env.DATABASE_URL = t.url;
    }
  });
});
