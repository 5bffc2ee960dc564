/**
 * Role matrix over every route, against the running app over real HTTP.
 *
 * Routes are derived from the app/ directory (every page.tsx and route.ts, as
 * tests/unit/server/route-access.test.ts does), so pages that other work adds are covered without
 * editing this file; a route that lib/server/auth/route-access.ts (ROUTES) does not list fails.
 * Server actions are read from the build's server-reference manifest and posted to their page,
 * by every role (allowed roles with inert arguments that fail validation, so nothing changes).
 * Every export (a route that answers with an attachment: CSV, zip, DICOM) is requested with real
 * parameters by every role; zips are unpacked and every file scanned. Exports carry no planted
 * free text for any role, physicists included.
 *
 * For each role (ADMIN, PHYSICIST, RESEARCHER, REVIEWER, and no session):
 * - allowed by ROUTES → not 401/403 and never 5xx;
 * - not allowed → 401/403 (no session: pages redirect to /login, APIs 401), and the answer
 *   carries no seeded identifier;
 * - every answer to a role without 'identifiers:view' (allowed or not) carries no seeded
 *   identifier: names, MRNs, birth dates, real StudyInstanceUIDs, and none of the PHI planted in
 *   DICOM free text (study / series descriptions, ROI names: tests/e2e/free-text.ts) nor the
 *   physicians' names (shown to those roles as keyed pseudonyms).
 * Dynamic segments are filled with a real seeded id (looked up in the database) and a bogus one.
 * Mutating methods (POST/PUT/DELETE) are sent with a crafted body; to allowed roles only with the
 * bogus id, so the matrix never changes seeded data.
 *
 * A last test shows the second line of defence: a session whose role was taken away after
 * sign-in still passes the proxy (its token says physicist) but the data layer refuses.
 */
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import pg from 'pg';
import type { APIRequestContext, APIResponse, Browser } from '@playwright/test';
import { unzipSync } from 'fflate';
import { test, expect, USERS, DEMO_PATIENTS, signIn } from './fixtures';
import { plantFreeText, FREE_TEXT_MARKERS } from './free-text';
import { ROUTES, type RouteEntry } from '../../lib/server/auth/route-access';
import { can, ROLES, type Role } from '../../lib/server/auth/roles';

fs.mkdirSync('test-results/screens', { recursive: true });

const root = path.resolve(import.meta.dirname, '..', '..');
const appDir = path.join(root, 'app');
const BOGUS_ID = 'cbogus0000000000000000000';
const MUTATING = ['POST', 'PUT', 'DELETE'] as const;

interface Discovered {
  route: string;
  kind: 'page' | 'api';
}

function discoverRoutes(): Discovered[] {
  const found: Discovered[] = [];
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

/** Server actions of the build: action id → the page route it is posted to. */
function discoverServerActions(): { id: string; route: string; name: string }[] {
  const file = path.join(root, '.next', 'server', 'server-reference-manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    node: Record<string, { workers: Record<string, unknown>; filename?: string; exportedName?: string }>;
  };
  const out: { id: string; route: string; name: string }[] = [];
  for (const [id, a] of Object.entries(manifest.node)) {
    for (const worker of Object.keys(a.workers)) {
      // "app/(app)/outcomes/page" → "/outcomes"
      const m = /^app\/(.*)\/?page$/.exec(worker);
      if (!m) continue;
      const route =
        '/' +
        m[1]
          .split('/')
          .filter((s) => s && !/^\(.*\)$/.test(s))
          .join('/');
      out.push({ id, route, name: `${a.filename ?? '?'}#${a.exportedName ?? '?'}` });
    }
  }
  return out;
}

/** A route that answers with a file (Content-Disposition: attachment), by its route.ts source. */
function discoverExportRoutes(): string[] {
  return discoverRoutes()
    .filter((d) => d.kind === 'api' && /attachment/.test(fs.readFileSync(path.join(appDir, ...routeDir(d.route), 'route.ts'), 'utf8')))
    .map((d) => d.route);
}

/** app/ folder segments of a route ("/api/studies/[id]" → ["api", "studies", "[id]"]), route groups resolved. */
function routeDir(route: string): string[] {
  const segs = route.split('/').filter(Boolean);
  const find = (dir: string, rest: string[]): string[] | null => {
    if (rest.length === 0) return fs.existsSync(path.join(dir, 'route.ts')) ? [] : null;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      if (/^\(.*\)$/.test(e.name)) {
        const r = find(path.join(dir, e.name), rest);
        if (r) return [e.name, ...r];
      } else if (e.name === rest[0]) {
        const r = find(path.join(dir, e.name), rest.slice(1));
        if (r) return [e.name, ...r];
      }
    }
    return null;
  };
  return find(appDir, segs) ?? segs;
}

interface ExportRequest {
  route: string;
  url: string;
  /** Allowed roles must get 200 (some analyses may be refused as 400 by their input). */
  mustServe: boolean;
}

/** Every export with real parameters (the seeded study, a meeting with decisions, each outcome table). */
function exportsFor(seeded: Seeded): ExportRequest[] {
  const study = seeded.ids.studies;
  const list: ExportRequest[] = [
    { route: '/api/studies/[id]/export/metrics', url: `/api/studies/${study}/export/metrics`, mustServe: true },
    { route: '/api/studies/[id]/export/deid', url: `/api/studies/${study}/export/deid`, mustServe: true },
    // a prepared export is its requester's only and none is seeded: an unknown id is 404 for the roles that may (deid-export-job.test.ts downloads real ones)
    { route: '/api/studies/[id]/export/deid/jobs/[exportId]', url: `/api/studies/${study}/export/deid/jobs/aaaaaaaaaaaaaaaaaaaaaaaa`, mustServe: false },
    { route: '/api/studies/[id]/export/rtstruct', url: `/api/studies/${study}/export/rtstruct`, mustServe: true },
    { route: '/api/admin/audit', url: '/api/admin/audit', mustServe: true },
    { route: '/api/outcomes/dataset.csv', url: '/api/outcomes/dataset.csv', mustServe: true },
    { route: '/api/outcomes/dataset-dictionary.json', url: '/api/outcomes/dataset-dictionary.json', mustServe: true },
    // no snapshot is seeded: an unknown id is 404 for the roles that may, 401/403 for the others (analysis-snapshots.test.ts downloads real ones)
    { route: '/api/outcomes/snapshots/[id]/zip', url: '/api/outcomes/snapshots/ISQ-AAAAAAAAAA/zip', mustServe: false },
    { route: '/api/review/minutes', url: `/api/review/minutes?meeting=${encodeURIComponent(seeded.meeting ?? '2026-01-01')}`, mustServe: true },
    ...['cox', 'fine-gray', 'km'].map((table) => ({
      route: '/api/outcomes/table',
      url: `/api/outcomes/table?table=${table}&cov=metric:falsePositiveFraction&group=median&groupBy=metric:falsePositiveFraction`,
      mustServe: false,
    })),
  ];
  return list;
}

/** An export's bytes as text to scan: a zip unpacked (entry names and contents), else as is. */
function exportText(body: Buffer, contentType: string): string {
  if (/zip/.test(contentType)) {
    return Object.entries(unzipSync(new Uint8Array(body)))
      .map(([name, bytes]) => `${name}\n${Buffer.from(bytes).toString('latin1')}`)
      .join('\n');
  }
  return body.toString('latin1');
}

type Who = Role | 'ANONYMOUS';

function allowed(entry: RouteEntry, who: Who): boolean {
  if (entry.access === 'public') return true;
  if (who === 'ANONYMOUS') return false;
  if (entry.access === 'signed-in') return true;
  return can(who, entry.access);
}

/** Seeded ids per table, and the identifiers no role without 'identifiers:view' may see. */
interface Seeded {
  ids: Record<string, string>;
  identifiers: string[];
  /** Planted free text (markers and physician names): no role without identifiers:view, and no export, may carry it. */
  freeText: string[];
  /** A review meeting with decisions, for the minutes export (null before any decision). */
  meeting: string | null;
}

async function lookUpSeeded(): Promise<Seeded> {
  const planted = await plantFreeText();
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    const one = async (table: string) => (await client.query(`SELECT id FROM "${table}" ORDER BY id LIMIT 1`)).rows[0]?.id as string | undefined;
    const ids: Record<string, string> = {};
    for (const [segment, table] of Object.entries(SEGMENT_TABLES)) {
      const id = await one(table);
      if (id) ids[segment] = id;
    }
    const identity = await client.query(`SELECT name, mrn, to_char("birthDate", 'YYYY-MM-DD') AS dob FROM "PatientIdentity"`);
    const uids = await client.query(`SELECT "studyInstanceUid" FROM "Study"`);
    const identifiers = new Set<string>();
    for (const r of identity.rows) {
      if (r.name) identifiers.add(r.name);
      if (r.mrn) identifiers.add(r.mrn);
      if (r.dob) {
        identifiers.add(r.dob);
        identifiers.add(r.dob.replace(/-/g, ''));
      }
    }
    for (const r of uids.rows) identifiers.add(r.studyInstanceUid);
    for (const p of DEMO_PATIENTS) for (const v of [p.name, p.mrn]) if (v) identifiers.add(v);
    for (const v of planted.needles) identifiers.add(v);
    const meeting =
      (await client.query(`SELECT meeting FROM "ReviewDecision" WHERE meeting IS NOT NULL ORDER BY "createdAt" LIMIT 1`)).rows[0]?.meeting ?? null;
    return { ids, identifiers: [...identifiers].filter((s) => s.length >= 6), freeText: planted.needles, meeting };
  } finally {
    await client.end();
  }
}

/** Which table a dynamic segment's id comes from, by the static segment before it. */
const SEGMENT_TABLES: Record<string, string> = {
  studies: 'Study',
  study: 'Study',
  review: 'Study',
  runs: 'SegmentationRun',
  jobs: 'SegmentationRun',
  models: 'ModelVersion',
  users: 'User',
  patients: 'Patient',
  structures: 'PhysicianStructure',
  series: 'ImageSeries',
};

/** Concrete paths for a route pattern: with real ids (when known) and with a bogus id. */
function concretePaths(route: string, seeded: Seeded): { path: string; real: boolean }[] {
  if (!route.includes('[')) return [{ path: route, real: true }];
  const fill = (useReal: boolean) => {
    const segs = route.split('/');
    return segs
      .map((s, i) => {
        if (/^\[\[?\.\.\./.test(s)) return 'a/b';
        if (!/^\[.*\]$/.test(s)) return s;
        const table = segs[i - 1] ?? '';
        return useReal ? (seeded.ids[table] ?? seeded.ids.studies ?? BOGUS_ID) : BOGUS_ID;
      })
      .join('/');
  };
  return [
    { path: fill(true), real: true },
    { path: fill(false), real: false },
  ];
}

function craftedBody(): Record<string, unknown> {
  // Plausible field names with hostile values: nothing should be accepted, nothing should crash.
  return { id: BOGUS_ID, role: 'ADMIN', email: 'evil@example.test', name: '../../etc/passwd', patientId: "' OR 1=1 --", decision: 'MACHINE_ACCEPTABLE' };
}

async function send(request: APIRequestContext, method: string, url: string): Promise<APIResponse> {
  const opts = { maxRedirects: 0, failOnStatusCode: false, timeout: 60_000 } as const;
  if (method === 'GET') return request.get(url, opts);
  // As a browser on the app's own pages would: state-changing API routes refuse a request that
  // carries the session cookie without naming this site in Origin (CSRF check, withCaller).
  const origin = new URL(process.env.E2E_BASE_URL!).origin;
  return request.fetch(url, { ...opts, method, data: craftedBody(), headers: { 'content-type': 'application/json', origin } });
}

function findIdentifiers(body: string, identifiers: string[]): string[] {
  return identifiers.filter((id) => body.includes(id));
}

async function requestContextFor(browser: Browser, who: Who): Promise<{ request: APIRequestContext; close: () => Promise<void> }> {
  const context = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  if (who !== 'ANONYMOUS') {
    const page = await context.newPage();
    await signIn(page, who);
    await page.close();
  }
  return { request: context.request, close: () => context.close() };
}

const WHO: Who[] = [...ROLES, 'ANONYMOUS'];

test('every page and API route in app/ has an entry in ROUTES', () => {
  const declared = new Set(ROUTES.map((r) => `${r.kind} ${r.route}`));
  const missing = discoverRoutes().filter((r) => !declared.has(`${r.kind} ${r.route}`));
  expect(missing, 'routes without an access decision: add them to lib/server/auth/route-access.ts').toEqual([]);
});

test('every export route (an attachment answer) is requested by the matrix', () => {
  const found = discoverExportRoutes();
  expect(found.length, 'exports found in app/api').toBeGreaterThanOrEqual(5);
  const covered = new Set(exportsFor({ ids: { studies: 'x' }, identifiers: [], freeText: [], meeting: null }).map((e) => e.route));
  expect(
    found.filter((r) => !covered.has(r)),
    'exports the matrix does not request: add them to exportsFor',
  ).toEqual([]);
});

for (const who of WHO) {
  test(`role matrix: ${who.toLowerCase()}`, async ({ browser }) => {
    test.setTimeout(600_000);
    const seeded = await lookUpSeeded();
    expect(seeded.ids.studies, 'a seeded study id').toBeTruthy();
    expect(seeded.identifiers.length).toBeGreaterThan(80);
    const seesIdentifiers = who !== 'ANONYMOUS' && can(who, 'identifiers:view');
    const { request, close } = await requestContextFor(browser, who);
    const problems: string[] = [];
    let checked = 0;
    let refused = 0;
    let refusedActions = 0;
    let allowedActions = 0;
    let forgedRefused = 0;
    let exportsChecked = 0;
    try {
      for (const d of discoverRoutes()) {
        const entry = ROUTES.find((r) => r.kind === d.kind && r.route === d.route);
        if (!entry) {
          problems.push(`${d.kind} ${d.route}: not in ROUTES`);
          continue;
        }
        // next-auth's own endpoints are public by design and exercised by signing in.
        if (entry.route.startsWith('/api/auth/')) continue;
        const ok = allowed(entry, who);
        const methods = entry.kind === 'api' ? (['GET', ...MUTATING] as const) : (['GET'] as const);
        for (const { path: url, real } of concretePaths(entry.route, seeded)) {
          for (const method of methods) {
            // Allowed roles get mutating requests only against bogus ids: the matrix must not
            // delete or change seeded data.
            if (ok && method !== 'GET' && ((real && entry.route.includes('[')) || entry.access === 'public')) continue;
            const res = await send(request, method, url);
            const status = res.status();
            const body = await res.text();
            checked++;
            const label = `${who} ${method} ${url} (${entry.access})`;
            if (status >= 500) problems.push(`${label}: ${status} ${body.slice(0, 200)}`);
            if (ok) {
              if (status === 401 || status === 403) problems.push(`${label}: allowed by ROUTES but answered ${status}`);
            } else if (who === 'ANONYMOUS') {
              if (entry.kind === 'page') {
                const location = res.headers()['location'] ?? '';
                if (!(status >= 300 && status < 400 && /\/login(\?|$)/.test(location)))
                  problems.push(`${label}: expected a redirect to /login, got ${status} ${location}`);
              } else if (status !== 401) problems.push(`${label}: expected 401, got ${status}`);
            } else if (status !== 403 && status !== 401) {
              problems.push(`${label}: not allowed by ROUTES but answered ${status}`);
            }
            if (!ok) refused++;
            if (!seesIdentifiers || !ok) {
              const leaked = findIdentifiers(body, seeded.identifiers);
              if (leaked.length) problems.push(`${label}: answer contains identifiers ${leaked.slice(0, 3).join(', ')}`);
            }
          }
        }
      }

      // Every export with real parameters: refused (401/403) where ROUTES says so, else served; the
      // answer, unpacked when it is a zip, holds no identifier for a role without
      // identifiers:view and no planted free text for anyone.
      for (const ex of exportsFor(seeded)) {
        const entry = ROUTES.find((r) => r.kind === 'api' && r.route === ex.route)!;
        const ok = allowed(entry, who);
        const res = await request.get(ex.url, { maxRedirects: 0, failOnStatusCode: false, timeout: 120_000 });
        const status = res.status();
        checked++;
        exportsChecked++;
        const label = `${who} export ${ex.url}`;
        if (!ok && status !== 401 && status !== 403) problems.push(`${label}: not allowed by ROUTES but answered ${status}`);
        if (ok && status !== 200 && ex.mustServe) problems.push(`${label}: expected 200, got ${status}`);
        if (status >= 500) problems.push(`${label}: ${status}`);
        const text = exportText(await res.body(), res.headers()['content-type'] ?? '');
        const leaked = findIdentifiers(text, seesIdentifiers && ok ? seeded.freeText : seeded.identifiers);
        if (leaked.length) problems.push(`${label}: export contains ${leaked.slice(0, 3).join(', ')}`);
        // A download: CSV, zip or DICOM, or JSON sent as an attachment (a data dictionary).
        const contentType = res.headers()['content-type'] ?? '';
        const isFile = /csv|zip|dicom/.test(contentType) || (/json/.test(contentType) && /^attachment/.test(res.headers()['content-disposition'] ?? ''));
        if (ok && status === 200 && !isFile) problems.push(`${label}: served ${contentType}, not a file`);
      }

      // The planting worked: a physicist sees the planted description (the scan above can fail).
      if (who === 'PHYSICIST') {
        const res = await request.get(`/api/studies/${seeded.ids.studies}`, { failOnStatusCode: false });
        if (!(await res.text()).includes(FREE_TEXT_MARKERS.study))
          problems.push('the physicist does not see the planted study description: the free-text scan proves nothing');
      }

      // Server actions, posted as the browser would (Next-Action header) to their page.
      for (const action of discoverServerActions()) {
        const entry = ROUTES.find((r) => r.kind === 'page' && r.route === action.route);
        if (!entry) {
          problems.push(`server action ${action.name}: its page ${action.route} is not in ROUTES`);
          continue;
        }
        const url = concretePaths(entry.route, seeded)[0].path;
        if (allowed(entry, who)) {
          // Inert arguments ("x", "y": no form, no real id) fail validation, so the action acts on
          // nothing; the answer (an error or a result) is still scanned. The page's own specs
          // call it for real.
          const res = await request.fetch(url, {
            method: 'POST',
            maxRedirects: 0,
            failOnStatusCode: false,
            headers: { 'next-action': action.id, 'content-type': 'text/plain;charset=UTF-8', accept: 'text/x-component' },
            data: JSON.stringify(['x', 'y']),
          });
          checked++;
          allowedActions++;
          const body = await res.text();
          if (res.status() === 401 || res.status() === 403)
            problems.push(`${who} server action ${action.name}: allowed by ROUTES but answered ${res.status()}`);
          const leaked = seesIdentifiers ? [] : findIdentifiers(body, seeded.identifiers);
          if (leaked.length) problems.push(`${who} server action ${action.name} on ${url}: answer contains identifiers ${leaked.slice(0, 3).join(', ')}`);
          // The same call from another site (a forged Origin, the session cookie riding along) is
          // aborted before the action runs: Next answers 500 "Invalid Server Actions request"
          // (its CSRF check; docs/security.md). Checked for every action and every role that may call it.
          const forged = await request.fetch(url, {
            method: 'POST',
            maxRedirects: 0,
            failOnStatusCode: false,
            headers: {
              'next-action': action.id,
              'content-type': 'text/plain;charset=UTF-8',
              accept: 'text/x-component',
              origin: 'http://evil.example',
            },
            data: JSON.stringify(['x', 'y']),
          });
          checked++;
          if (forged.status() !== 500)
            problems.push(`${who} server action ${action.name} on ${url}: a forged Origin was not refused (HTTP ${forged.status()})`);
          else forgedRefused++;
          continue;
        }
        const res = await request.fetch(url, {
          method: 'POST',
          maxRedirects: 0,
          failOnStatusCode: false,
          headers: { 'next-action': action.id, 'content-type': 'text/plain;charset=UTF-8', accept: 'text/x-component' },
          data: JSON.stringify(['x', 'y']),
        });
        checked++;
        const status = res.status();
        const body = await res.text();
        const label = `${who} server action ${action.name} on ${url}`;
        const wasRefused =
          who === 'ANONYMOUS' ? status === 401 || (status >= 300 && status < 400 && /\/login/.test(res.headers()['location'] ?? '')) : status === 403;
        if (!wasRefused) problems.push(`${label}: expected a refusal, got ${status} ${body.slice(0, 160)}`);
        else refusedActions++;
        const leaked = findIdentifiers(body, seeded.identifiers);
        if (leaked.length) problems.push(`${label}: answer contains identifiers ${leaked.slice(0, 3).join(', ')}`);
      }
    } finally {
      await close();
    }
    console.log(
      `[role-matrix] ${who}: ${checked} requests checked, ${refused} of them routes the role may not reach, ${refusedActions} server actions refused, ${allowedActions} called inertly (${forgedRefused} of them refused with a forged Origin), ${exportsChecked} exports scanned`,
    );
    expect(problems).toEqual([]);
    expect(exportsChecked).toBe(exportsFor(seeded).length);
    expect(forgedRefused).toBe(allowedActions);
    expect(checked).toBeGreaterThan(10);
    // every role, admin included, has routes it may not reach: the matrix must have tried them
    expect(refused).toBeGreaterThan(3);
  });
}

test('security headers on pages, APIs, exports and refusals: CSP with frame-ancestors, nosniff, referrer policy', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const page = await context.newPage();
  await signIn(page, 'RESEARCHER');
  const seeded = await lookUpSeeded();
  const problems: string[] = [];
  const urls = [
    '/login',
    '/',
    `/studies/${seeded.ids.studies}`,
    '/api/health',
    `/api/studies/${seeded.ids.studies}`,
    `/api/studies/${seeded.ids.studies}/export/metrics`,
    '/api/admin/audit',
    '/admin/users',
  ];
  for (const url of urls) {
    const res = await context.request.get(url, { maxRedirects: 0, failOnStatusCode: false });
    const h = res.headers();
    const label = `${url} (${res.status()})`;
    const csp = h['content-security-policy'] ?? '';
    if (!/(^|;)\s*frame-ancestors 'none'/.test(csp)) problems.push(`${label}: CSP without frame-ancestors 'none': ${csp || 'no CSP'}`);
    if (!/(^|;)\s*default-src 'self'/.test(csp)) problems.push(`${label}: CSP without default-src 'self'`);
    if (!/(^|;)\s*object-src 'none'/.test(csp)) problems.push(`${label}: CSP without object-src 'none'`);
    if (h['x-content-type-options'] !== 'nosniff') problems.push(`${label}: X-Content-Type-Options ${h['x-content-type-options']}`);
    if (!['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'].includes(h['referrer-policy'] ?? ''))
      problems.push(`${label}: Referrer-Policy ${h['referrer-policy']}`);
    if (h['x-frame-options'] !== 'DENY') problems.push(`${label}: X-Frame-Options ${h['x-frame-options']}`);
    if (h['x-powered-by']) problems.push(`${label}: X-Powered-By ${h['x-powered-by']}`);
  }
  await context.close();
  expect(problems).toEqual([]);
});

test('session cookie is httpOnly and sameSite=lax, and expires within 8 hours', async ({ browser }) => {
  const context = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const page = await context.newPage();
  await signIn(page, 'RESEARCHER');
  const cookie = (await context.cookies()).find((c) => /next-auth\.session-token$/.test(c.name));
  expect(cookie).toBeDefined();
  expect(cookie!.httpOnly).toBe(true);
  expect(cookie!.sameSite).toBe('Lax');
  // served over http in this test: Secure would make the browser drop it; https turns it on
  expect(cookie!.secure).toBe(process.env.E2E_BASE_URL!.startsWith('https://'));
  const hours = (cookie!.expires - Date.now() / 1000) / 3600;
  expect(hours).toBeGreaterThan(7.9);
  expect(hours).toBeLessThanOrEqual(8.01);
  await context.close();
});

test('a role taken away after sign-in is refused by the data layer, although the proxy still sees the old role', async ({ browser }) => {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  const email = `demoted-${Date.now()}@e2e.test`;
  const password = 'demoted-password-1';
  await client.query(`INSERT INTO "User" (id, email, name, "passwordHash", role, "updatedAt") VALUES ($1, $2, 'Demoted physicist', $3, 'PHYSICIST', now())`, [
    `cdemoted${Date.now()}`,
    email,
    await bcrypt.hash(password, 10),
  ]);
  const context = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText('physicist', { timeout: 30_000 });
  await client.query(`UPDATE "User" SET role = 'RESEARCHER' WHERE email = $1`, [email]);
  try {
    const seeded = await lookUpSeeded();
    const problems: string[] = [];
    for (const entry of ROUTES) {
      if (entry.access === 'public' || entry.access === 'signed-in') continue;
      if (can('PHYSICIST', entry.access) && !can('RESEARCHER', entry.access)) {
        const url = concretePaths(entry.route, seeded)[0].path;
        const res = await context.request.get(url, { maxRedirects: 0, failOnStatusCode: false });
        const body = await res.text();
        const leaked = findIdentifiers(body, seeded.identifiers);
        if (leaked.length) problems.push(`${url}: shows ${leaked.slice(0, 3).join(', ')} to a demoted user`);
        if (res.status() >= 500) problems.push(`${url}: ${res.status()}`);
        // refused by the data layer (403), or by input validation before it (400/404/405): never served
        if (entry.kind === 'api' && res.status() < 400) problems.push(`${url}: API answered ${res.status()} to a demoted user`);
        if (entry.kind === 'page' && !/may not/.test(body) && res.status() !== 403)
          problems.push(`${url}: page did not refuse a demoted user (${res.status()})`);
      }
    }
    expect(problems).toEqual([]);
    // the nav shows the role from the database, not from the token
    await page.reload();
    await expect(page.getByTestId('who')).toContainText('researcher');
    await page.screenshot({ path: 'test-results/screens/role-matrix-demoted.png', fullPage: true });
  } finally {
    await client.query(`UPDATE "User" SET active = false WHERE email = $1`, [email]);
    await client.end();
    await context.close();
  }
});

test('an admin creates a user, changes their role and finds both in the audit log, then downloads it as CSV', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'ADMIN');
  await page.getByRole('link', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();
  const email = `matrix-${Date.now()}@e2e.test`;
  const form = page.getByTestId('create-user');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill('Matrix user');
  await form.getByLabel(/Initial password/).fill('matrix-password-1');
  await form.getByLabel('Role').selectOption('RESEARCHER');
  await form.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByTestId('users-done')).toHaveText(`Created ${email} (researcher).`);
  const row = page.getByTestId(`user-${email}`);
  await row.getByLabel(`Role of ${email}`).selectOption('REVIEWER');
  await row.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByTestId('users-done')).toHaveText(`${email}: role researcher → reviewer.`);
  // the last admin cannot demote themselves
  const me = page.getByTestId(`user-${USERS.ADMIN.email}`);
  await me.getByLabel(`Role of ${USERS.ADMIN.email}`).selectOption('PHYSICIST');
  await me.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByTestId('users-error')).toContainText('only active administrator');
  await page.screenshot({ path: 'test-results/screens/admin-users.png', fullPage: true });

  await page.getByRole('link', { name: 'Audit log' }).click();
  const search = page.getByTestId('audit-search');
  await search.getByLabel(/^Action/).fill('user.');
  await search.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/action=user\./);
  const table = page.getByTestId('audit-table');
  await expect(table).toContainText('user.role_changed');
  await expect(table).toContainText('from: RESEARCHER');
  await expect(table).toContainText('to: REVIEWER');
  await expect(table).toContainText('user.created');
  await expect(table).toContainText(USERS.ADMIN.email);
  await page.screenshot({ path: 'test-results/screens/admin-audit.png', fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
  const csv = fs.readFileSync((await download.path())!, 'utf8');
  expect(csv.split('\r\n')[0]).toBe('id,at_utc,user_email,role,action,patient_pseudonym,target,ip,user_agent,details');
  expect(csv).toContain('user.role_changed');
  expect(csv).not.toContain('auth.sign_in,'); // filtered to user.* events
  // the export is itself audited
  await page.goto('/admin/audit?action=audit.export');
  await expect(page.getByTestId('audit-table')).toContainText('audit.export');
});

test('a researcher who types an admin URL gets a 403 page that says why', async ({ page }) => {
  await signIn(page, 'RESEARCHER');
  const res = await page.goto('/admin/users');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('The researcher role may not manage users.');
  await expect(page.getByRole('link', { name: 'Back to the cohort' })).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/forbidden-page.png', fullPage: true });
});
