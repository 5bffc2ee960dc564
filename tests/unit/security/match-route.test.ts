/** The proxy's route lookup (matchRoute in lib/server/auth/route-access.ts). */
import { describe, expect, it } from 'vitest';
import { matchRoute, ROUTES } from '../../../lib/server/auth/route-access';

describe('matchRoute', () => {
  it('finds every declared route from a concrete path', () => {
    for (const r of ROUTES) {
      const concrete = r.route.replace(/\[\[?\.\.\.[^\]]+\]\]?/g, 'a/b').replace(/\[[^\]]+\]/g, 'cl0abc123');
      const hit = matchRoute(concrete);
      expect(hit, concrete).toBeDefined();
      // a static route may shadow a dynamic one; then the static one has the same or fewer brackets
      expect((hit!.route.match(/\[/g) ?? []).length).toBeLessThanOrEqual((r.route.match(/\[/g) ?? []).length);
    }
  });
  it('matches whole segments only and ignores a trailing slash', () => {
    expect(matchRoute('/outcomes/')?.route).toBe('/outcomes');
    expect(matchRoute('/outcomesx')).toBeUndefined();
    expect(matchRoute('/api/outcomes/table/extra')).toBeUndefined();
    expect(matchRoute('/api/auth/callback/credentials')?.route).toBe('/api/auth/[...nextauth]');
    expect(matchRoute('/')?.route).toBe('/');
  });
});
