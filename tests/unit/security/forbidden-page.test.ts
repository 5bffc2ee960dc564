/**
 * The 403 page (issue #16.10): the proxy's answer for a page the role may not open has the app's
 * header (brand, only the links the role may follow, who is signed in, sign-out), styling and the
 * reason. Driven through the real proxy with a session token signed as next-auth signs it.
 * Also: the site icon exists (every page asked for /favicon.ico and got a 404).
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NextRequest } from 'next/server';
import { encode } from 'next-auth/jwt';
import { proxy, config } from '../../../proxy';
import { forbiddenPageHtml } from '@/lib/server/auth/forbidden-page';

const SECRET = 'unit-test-secret-for-the-forbidden-page-0123456789';

async function get(pathname: string, claims: Record<string, unknown>) {
  const token = await encode({ token: claims, secret: SECRET });
  const req = new NextRequest(new URL(pathname, 'http://localhost:3000'), { headers: { cookie: `next-auth.session-token=${token}` } });
  return proxy(req);
}

describe('403 page', () => {
  beforeAll(() => {
    process.env.NEXTAUTH_SECRET = SECRET;
  });

  it('a reviewer opening /admin/users gets a styled page with navigation, who is signed in and sign-out', async () => {
    const res = await get('/admin/users', { sub: 'u1', id: 'u1', name: 'Rita Reviewer', role: 'REVIEWER' });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<h1>Not allowed</h1>');
    expect(html).toContain('The reviewer role may not manage users.');
    expect(html).toMatch(/<style>[^<]*header\{[^<]*background:#10243e/);
    const links = [...html.matchAll(/<nav aria-label="Main">(.*?)<\/nav>/g)][0][1];
    const hrefs = [...links.matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
    expect(hrefs).toEqual(['/', '/review']); // the reviewer's links only: no Users, Audit log, Import…
    expect(html).toContain('Rita Reviewer · reviewer');
    expect(html).toMatch(/<a class="signout" href="\/api\/auth\/signout\?callbackUrl=%2Flogin">Sign out<\/a>/);
    expect(html).toContain('<link rel="icon" href="/favicon.ico">');
  });

  it('escapes the name and message', () => {
    const html = forbiddenPageHtml({ role: 'ADMIN', message: '<script>x</script>', who: 'A & <b>' });
    expect(html).not.toContain('<script>x');
    expect(html).toContain('&#60;script&#62;x');
    expect(html).toContain('A &#38; &#60;b&#62;');
    expect(html).toContain('href="/admin/users"');
  });

  it('an unknown role gets no navigation links but can still sign out', () => {
    const html = forbiddenPageHtml({ role: 'GUEST', message: 'no' });
    expect(html).toContain('<nav aria-label="Main"></nav>');
    expect(html).toContain('Sign out');
  });
});

describe('site icon', () => {
  it('app/favicon.ico is an ICO with 16, 32 and 48 px images, served without the proxy', () => {
    const buf = fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', '..', 'app', 'favicon.ico'));
    expect([...buf.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // reserved, type 1 = icon
    const n = buf.readUInt16LE(4);
    const sizes = Array.from({ length: n }, (_, i) => buf[6 + 16 * i] || 256);
    expect(sizes.sort((a, b) => a - b)).toEqual([16, 32, 48]);
    expect(config.matcher[0]).toContain('favicon.ico');
  });
});
