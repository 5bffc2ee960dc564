/**
 * The post-sign-in redirect (lib/server/auth/safe-callback-url.ts) against a corpus of hostile
 * callback URLs. Node's URL is the WHATWG parser browsers use, so "where would a browser go" is
 * asked of it directly: every answer must stay on the app's origin.
 */
import { describe, expect, it } from 'vitest';
import { authRequestFixes, safeCallbackPath, safeCallbackUrl } from '../../../lib/server/auth/safe-callback-url';

const APP = 'http://localhost:3000';

/** Each of these, followed by a browser from the login page, leaves the app. */
const FOREIGN = [
  '/\\evil.example/',
  '/\t/evil.example/',
  '/\n/evil.example/',
  '/\r\n/evil.example/',
  '\t//evil.example',
  '//evil.example',
  '///evil.example',
  '\\\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  '//evil.example/%2F..',
  ' //evil.example',
  '\u0000//evil.example',
  'http://evil.example/',
  'https://evil.example/studies',
  'HTTP://EVIL.EXAMPLE',
  'http://127.0.0.1@evil.example/',
  'http://localhost:3000@evil.example/',
  'http://localhost:3000.evil.example/',
  'http://localhost:3001/',
  'https://localhost:3000/',
  'javascript:alert(document.cookie)',
  'JaVaScRiPt:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  '//%65vil.example',
];

/** Odd but on the app when followed: must still come out as a plain path on the app. */
const TRICKY = ['http:evil.example', '/\u3000/evil.example', '/%5Cevil.example', '/%2F%2Fevil.example', '/..//evil.example', '/studies/..//evil.example'];

/** Not foreign, but no good: refused as well ("/"). */
const GARBAGE = ['', 'http://', 'http://[::1', '/.//evil.example', '/%2e//evil.example', 'x'.repeat(5000), '/studies?q=\\x'];

describe('safeCallbackPath', () => {
  it('the foreign corpus really leaves the app when followed as is', () => {
    for (const raw of FOREIGN) {
      let origin: string;
      try {
        origin = new URL(raw, APP).origin;
      } catch {
        origin = 'unparseable';
      }
      expect(origin, JSON.stringify(raw)).not.toBe(APP);
    }
  });

  it.each([...FOREIGN, ...TRICKY].map((r) => [JSON.stringify(r), r]))('%s stays on the app', (_label, raw) => {
    for (const base of [APP, undefined]) {
      const out = safeCallbackPath(raw, base);
      expect(new URL(out, APP).origin).toBe(APP);
      expect(out).toMatch(/^\/(?![/\\])/);
      expect(out).not.toMatch(/[\u0000-\u001f\\]/);
    }
  });

  it('gives "/" for every foreign URL and for garbage', () => {
    for (const raw of [...FOREIGN, ...GARBAGE]) {
      expect(safeCallbackPath(raw, APP), JSON.stringify(raw)).toBe('/');
    }
    for (const raw of [undefined, null, 42, ['/studies'], { toString: () => '/x' }]) expect(safeCallbackPath(raw, APP)).toBe('/');
  });

  it('keeps same-origin paths, queries and fragments, normalised', () => {
    expect(safeCallbackPath('/studies/abc?phase=2#top', APP)).toBe('/studies/abc?phase=2#top');
    expect(safeCallbackPath('/outcomes', undefined)).toBe('/outcomes');
    expect(safeCallbackPath('/a/../review', APP)).toBe('/review');
    expect(safeCallbackPath('/review/minutes?x=a b', APP)).toBe('/review/minutes?x=a%20b');
    expect(safeCallbackPath('studies', APP)).toBe('/studies');
    expect(safeCallbackPath('http://localhost:3000/jobs?x=1', APP)).toBe('/jobs?x=1');
    expect(safeCallbackPath('/%5Cevil.example', APP)).toBe('/%5Cevil.example');
    expect(new URL(safeCallbackPath('/%5Cevil.example', APP), APP).origin).toBe(APP);
    expect(safeCallbackPath('/', APP)).toBe('/');
  });

  it('never throws, whatever the base', () => {
    for (const base of ['not a url', '', 'javascript:x', APP]) {
      for (const raw of [...FOREIGN, ...TRICKY, ...GARBAGE, '/ok']) expect(() => safeCallbackPath(raw, base)).not.toThrow();
    }
  });

  it('safeCallbackUrl makes the absolute form next-auth needs', () => {
    expect(safeCallbackUrl('/studies/x', APP)).toBe(`${APP}/studies/x`);
    expect(safeCallbackUrl('/\\evil.example/', APP)).toBe(`${APP}/`);
    expect(safeCallbackUrl('http://localhost:3000/jobs', `${APP}/`)).toBe(`${APP}/jobs`);
    expect(safeCallbackUrl('/x', 'not a url')).toBe('/');
  });

  it('authRequestFixes replaces hostile callback queries and error codes and drops hostile callback cookies', () => {
    expect(authRequestFixes({ callbackUrlParam: null, cookies: {} }, APP)).toEqual({ callbackUrl: null, error: null, dropCookies: [] });
    expect(
      authRequestFixes({ callbackUrlParam: `${APP}/review`, errorParam: 'CredentialsSignin', cookies: { 'next-auth.callback-url': `${APP}/` } }, APP),
    ).toEqual({
      callbackUrl: null,
      error: null,
      dropCookies: [],
    });
    expect(
      authRequestFixes(
        {
          callbackUrlParam: 'javascript:alert(1)',
          errorParam: 'x\r\nSet-Cookie: a=b',
          cookies: { 'next-auth.callback-url': 'evil.example', '__Secure-next-auth.callback-url': '//evil.example', other: 'javascript:x' },
        },
        APP,
      ),
    ).toEqual({ callbackUrl: `${APP}/`, error: 'Default', dropCookies: ['next-auth.callback-url', '__Secure-next-auth.callback-url'] });
    expect(authRequestFixes({ callbackUrlParam: '/studies/a', cookies: {} }, APP).callbackUrl).toBe(`${APP}/studies/a`);
  });
});
