/**
 * Every page.tsx and route.ts under app/ must have an entry in lib/server/auth/route-access.ts,
 * and every entry must exist: a new route cannot ship without a decision on who may reach it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES, publicRoutePatterns } from '../../../lib/server/auth/route-access';
import { PERMISSIONS } from '../../../lib/server/auth/roles';

const appDir = path.resolve(import.meta.dirname, '..', '..', '..', 'app');

function discoverRoutes(): { route: string; kind: 'page' | 'api' }[] {
  const found: { route: string; kind: 'page' | 'api' }[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^(page\.tsx|route\.ts)$/.test(e.name)) {
        const rel = path
          .relative(appDir, path.dirname(p))
          .split(path.sep)
          .filter((s) => s && !/^\(.*\)$/.test(s));
        found.push({ route: '/' + rel.join('/'), kind: e.name === 'route.ts' ? 'api' : 'page' });
      }
    }
  };
  walk(appDir);
  return found.sort((a, b) => a.route.localeCompare(b.route));
}

describe('route access table', () => {
  it('lists exactly the routes that exist in app/', () => {
    const discovered = discoverRoutes().map((r) => `${r.kind} ${r.route}`);
    const declared = ROUTES.map((r) => `${r.kind} ${r.route}`).sort((a, b) => a.slice(4).localeCompare(b.slice(4)));
    const missing = discovered.filter((r) => !declared.includes(r));
    const stale = declared.filter((r) => !discovered.includes(r));
    expect(missing, 'routes without an access decision: add them to lib/server/auth/route-access.ts').toEqual([]);
    expect(stale, 'entries for routes that no longer exist').toEqual([]);
  });

  it('uses only known permissions, and exposes only login, setup, health and sign-in publicly', () => {
    for (const r of ROUTES) {
      if (r.access !== 'public' && r.access !== 'signed-in') expect(Object.keys(PERMISSIONS)).toContain(r.access);
    }
    expect(
      ROUTES.filter((r) => r.access === 'public')
        .map((r) => r.route)
        .sort(),
    ).toEqual(['/api/auth/[...nextauth]', '/api/health', '/login', '/setup']);
    const pub = publicRoutePatterns();
    expect(pub.some((re) => re.test('/api/auth/callback/credentials'))).toBe(true);
    expect(pub.some((re) => re.test('/'))).toBe(false);
    expect(pub.some((re) => re.test('/api/health/x'))).toBe(false);
  });
});
