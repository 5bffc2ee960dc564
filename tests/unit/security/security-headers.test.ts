/**
 * The security headers next.config.js sends on every response (pages, APIs, static files):
 * a Content-Security-Policy that forbids framing (frame-ancestors 'none'), plugins and foreign
 * scripts, forms and base URIs; nosniff; a referrer policy that sends no URL off-site; no
 * framing by X-Frame-Options either. tests/e2e/role-matrix.spec.ts checks the same headers on
 * real answers of the running app.
 */
import { describe, expect, it } from 'vitest';
import type { NextConfig } from 'next';

// The config is plain JavaScript (no declaration file): loaded by path, typed as Next's own type.
const configPath = '../../../next.config.js';
const nextConfig = ((await import(/* @vite-ignore */ configPath)) as { default: NextConfig }).default;

type HeaderRule = { source: string; headers: { key: string; value: string }[] };

async function rules(): Promise<HeaderRule[]> {
  const headers = nextConfig.headers as (() => Promise<HeaderRule[]>) | undefined;
  expect(headers, 'next.config.js defines headers()').toBeTypeOf('function');
  return headers!();
}

/** The headers of the rule that applies to every path. */
async function everyPath(): Promise<Record<string, string>> {
  const all = (await rules()).find((r) => r.source === '/:path*');
  expect(all, 'a headers rule for /:path* (every route)').toBeDefined();
  return Object.fromEntries(all!.headers.map((h) => [h.key.toLowerCase(), h.value]));
}

/** CSP directives → their sources. */
function csp(value: string): Record<string, string[]> {
  return Object.fromEntries(
    value
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name.toLowerCase(), sources]),
  );
}

describe('security headers (next.config.js)', () => {
  it('nosniff, no framing, a same-origin referrer policy, no powered-by header', async () => {
    const h = await everyPath();
    expect(h['x-content-type-options']).toBe('nosniff');
    expect(h['x-frame-options']).toBe('DENY');
    expect(['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin']).toContain(h['referrer-policy']);
    expect(nextConfig.poweredByHeader).toBe(false);
  });

  it("a Content-Security-Policy: frame-ancestors 'none', self only, no plugins, no foreign forms or base", async () => {
    const h = await everyPath();
    expect(h['content-security-policy'], 'Content-Security-Policy header').toBeTruthy();
    const d = csp(h['content-security-policy']);
    expect(d['frame-ancestors']).toEqual(["'none'"]);
    expect(d['default-src']).toEqual(["'self'"]);
    expect(d['object-src']).toEqual(["'none'"]);
    expect(d['base-uri']).toEqual(["'self'"]);
    expect(d['form-action']).toEqual(["'self'"]);
    // scripts and connections from this origin only: no host, scheme or wildcard source
    for (const name of ['script-src', 'connect-src', 'default-src']) {
      for (const src of d[name] ?? []) expect(src, `${name} ${src}`).toMatch(/^'(self|unsafe-inline|none)'$/);
    }
  });
});
