/**
 * Every page and API route in app/, with who may reach it. The proxy uses the public entries;
 * pages and routes enforce the permission through lib/server operations. A route missing from
 * this table fails tests/unit/server/route-access.test.ts, so a new page cannot be forgotten.
 *
 * `access`: 'public' (no session), 'signed-in' (any role), or a permission from roles.ts.
 */
import type { Permission } from './roles';

export type RouteAccess = 'public' | 'signed-in' | Permission;

export interface RouteEntry {
  /** Next.js route pattern as derived from the file path, e.g. "/studies/[id]". */
  route: string;
  kind: 'page' | 'api';
  access: RouteAccess;
}

export const ROUTES: readonly RouteEntry[] = [
  { route: '/', kind: 'page', access: 'cohort:view' },
  { route: '/login', kind: 'page', access: 'public' },
  { route: '/setup', kind: 'page', access: 'public' },
  { route: '/api/health', kind: 'api', access: 'public' },
  { route: '/api/auth/[...nextauth]', kind: 'api', access: 'public' },
  { route: '/import', kind: 'page', access: 'studies:import' },
  { route: '/pacs', kind: 'page', access: 'studies:import' },
  { route: '/admin/pacs', kind: 'page', access: 'pacs:manage' },
  { route: '/api/studies', kind: 'api', access: 'studies:import' },
  { route: '/outcomes', kind: 'page', access: 'outcomes:view' },
  { route: '/api/outcomes/table', kind: 'api', access: 'outcomes:view' },
  { route: '/api/outcomes/dataset.csv', kind: 'api', access: 'outcomes:view' },
  { route: '/api/outcomes/dataset-dictionary.json', kind: 'api', access: 'outcomes:view' },
  { route: '/outcomes/snapshots', kind: 'page', access: 'outcomes:view' },
  { route: '/outcomes/snapshots/[id]', kind: 'page', access: 'outcomes:view' },
  { route: '/api/outcomes/snapshots', kind: 'api', access: 'outcomes:view' },
  { route: '/api/outcomes/snapshots/[id]/zip', kind: 'api', access: 'outcomes:view' },
  { route: '/admin/outcomes', kind: 'page', access: 'outcomes:import' },
  { route: '/monitoring', kind: 'page', access: 'monitoring:view' },
  { route: '/studies/[id]', kind: 'page', access: 'studies:view' },
  { route: '/api/studies/[id]', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/status', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/phases', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/volume', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/volume/image', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/dose', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/export/metrics', kind: 'api', access: 'studies:view' },
  { route: '/api/studies/[id]/export/rtstruct', kind: 'api', access: 'identifiers:view' },
  { route: '/admin/audit', kind: 'page', access: 'audit:view' },
  { route: '/api/admin/audit', kind: 'api', access: 'audit:view' },
  { route: '/admin/users', kind: 'page', access: 'users:manage' },
  { route: '/admin/dicom-destinations', kind: 'page', access: 'dicom-destinations:manage' },
  { route: '/admin/structure-roles', kind: 'page', access: 'structure-roles:manage' },
  { route: '/admin/flags', kind: 'page', access: 'flags:manage' },
  { route: '/api/admin/structure-roles', kind: 'api', access: 'structure-roles:manage' },
  { route: '/admin/alert-webhooks', kind: 'page', access: 'alert-webhooks:manage' },
  { route: '/api/admin/alert-webhooks', kind: 'api', access: 'alert-webhooks:manage' },
  { route: '/api/studies/[id]/export/deid', kind: 'api', access: 'studies:export-deid' },
  { route: '/api/studies/[id]/export/deid/jobs', kind: 'api', access: 'studies:export-deid' },
  { route: '/api/studies/[id]/export/deid/jobs/[exportId]', kind: 'api', access: 'studies:export-deid' },
  { route: '/review', kind: 'page', access: 'review:view' },
  { route: '/review/[studyId]', kind: 'page', access: 'review:view' },
  { route: '/review/minutes', kind: 'page', access: 'review:view' },
  { route: '/api/review/minutes', kind: 'api', access: 'review:view' },
  { route: '/jobs', kind: 'page', access: 'jobs:view' },
  { route: '/models', kind: 'page', access: 'jobs:view' },
  { route: '/receive', kind: 'page', access: 'dicom-receive:view' },
];

/** Regular expressions for the public routes (for the proxy). */
export function publicRoutePatterns(): RegExp[] {
  return ROUTES.filter((r) => r.access === 'public').map((r) => {
    const body = r.route.replace(/\[\.\.\.[^\]]+\]/g, '.+').replace(/\[[^\]]+\]/g, '[^/]+');
    return new RegExp(`^${body}$`);
  });
}

/**
 * The ROUTES entry that serves `pathname`, or undefined (Next.js answers 404). Static segments
 * win over dynamic ones, as in Next's router ("/studies/new" before "/studies/[id]").
 */
export function matchRoute(pathname: string): RouteEntry | undefined {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname;
  let best: { entry: RouteEntry; score: number } | undefined;
  for (const entry of ROUTES) {
    const body = entry.route
      .replace(/\[\[\.\.\.[^\]]+\]\]/g, '\u0001')
      .replace(/\[\.\.\.[^\]]+\]/g, '\u0002')
      .replace(/\[[^\]]+\]/g, '\u0003')
      .replace(/[.*+?^${}()|\\]/g, '\\$&')
      .replace(/\/\u0001/g, '(?:/.*)?')
      .replace(/\u0002/g, '.+')
      .replace(/\u0003/g, '[^/]+');
    if (!new RegExp(`^${body}$`).test(path)) continue;
    // fewer dynamic segments = more specific
    const score = (entry.route.match(/\[/g) ?? []).length * 10 + (entry.route.includes('...') ? 100 : 0);
    if (!best || score < best.score) best = { entry, score };
  }
  return best?.entry;
}
