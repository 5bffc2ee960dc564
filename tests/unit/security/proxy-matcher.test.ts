/**
 * The proxy must not see POST /api/studies: Next buffers in memory the body of every request the
 * proxy matches before the proxy can answer (issue 13: four anonymous 500 MB uploads took the
 * server from 0.94 to 2.3 GB). The matcher is compiled here by Next's own build code, as
 * `next build` does, and tried on paths.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { config } from '../../../proxy';

const require = createRequire(import.meta.url);
const { getMiddlewareMatchers } = require('next/dist/build/analysis/get-page-static-info.js') as {
  getMiddlewareMatchers: (matcher: unknown, nextConfig: object) => { regexp: string }[];
};

describe('proxy matcher', () => {
  const matchers = getMiddlewareMatchers(config.matcher, {}).map((m) => new RegExp(m.regexp));
  const seen = (path: string) => matchers.some((re) => re.test(path));

  it('leaves the study upload route to its own checks', () => {
    expect(seen('/api/studies')).toBe(false);
  });

  it('still gates every other page and API route', () => {
    for (const path of [
      '/',
      '/import',
      '/login',
      '/api/studies/abc',
      '/api/studies/abc/volume',
      '/api/studiesx',
      '/api/admin/audit',
      '/api/outcomes/table',
      '/admin/users',
      '/studies/abc',
    ])
      expect(seen(path), path).toBe(true);
  });

  it('buffers at most a server action body (a few MB), not an upload', async () => {
    // @ts-expect-error next.config.js is plain JavaScript without types
    const { default: nextConfig } = await import('../../../next.config.js');
    const limit = (nextConfig as { experimental: { proxyClientMaxBodySize: number } }).experimental.proxyClientMaxBodySize;
    expect(typeof limit).toBe('number');
    expect(limit).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(limit).toBeGreaterThan((nextConfig as { experimental: { serverActions: { bodySizeLimit: number } } }).experimental.serverActions.bodySizeLimit);
  });
});
