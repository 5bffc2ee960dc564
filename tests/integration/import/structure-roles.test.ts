/**
 * Per-site structure rules, end to end on real Postgres and real DICOM (issue 14, item 3): a
 * site names its tumour "Tumour_site", which no built-in rule reads as a GTV, so the first import
 * says which structure became which role and that there is no reference (pointing to the study
 * page); a non-admin cannot add a rule (HTTP 403, nothing written); an admin adds one through
 * POST /api/admin/structure-roles (a new version and an audit event); the next import makes the
 * structure a GTV and names the rule and the version; the study imported before keeps its kinds;
 * a stale page's change is refused. Only the session lookup is replaced (it needs Next's request
 * context), as in the other route tests.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readDicom, writeRtStruct } from '@/lib/dicom';
import type { Caller } from '@/lib/server/auth/roles';
import { createUser } from '@/lib/server/users/create-user';
import { importStudy } from '@/lib/server/studies/import-study';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { writePhantomStudy } from './phantom-fixture';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

const small = { dims: [32, 32, 12] as [number, number, number], spacingMm: [10, 10, 12] as [number, number, number], phasePercents: [0, 50] };

describe('structure roles: site rules applied at import', () => {
  let t: TestDatabase;
  let tmp: string;
  let store: VolumeStore;
  let admin: Caller;
  let physicist: Caller;
  let route: typeof import('@/app/api/admin/structure-roles/route');

  /** A phantom study (phase 0% CT only) with one RTSTRUCT naming the tumour as this site does. */
  async function siteStudy(name: string, index: number): Promise<string> {
    const p = await writePhantomStudy(join(tmp, `${name}-src`), { ...small, index });
    const dir = join(tmp, name);
    cpSync(join(p.dicomDir, 'phase_00'), join(dir, 'phase_00'), { recursive: true });
    const read = await readDicom(join(dir, 'phase_00'));
    const series = read.series.find((s) => s.seriesInstanceUid === p.written.phases[0].seriesInstanceUid)!;
    const { bytes } = writeRtStruct({
      series,
      structures: [
        { name: 'Tumour_site', mask: p.patient.phases[0].physicianGtv },
        { name: 'Lt Lung', mask: p.patient.physicianItv },
      ],
      label: 'SITE',
      now: new Date(Date.UTC(2026, 0, 1)),
    });
    mkdirSync(join(dir, 'rtstruct'), { recursive: true });
    writeFileSync(join(dir, 'rtstruct', 'rs.dcm'), bytes);
    return dir;
  }

  const post = (body: unknown, origin = 'http://localhost') =>
    route.POST(
      new Request('http://localhost/api/admin/structure-roles', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, host: 'localhost' },
        body: JSON.stringify(body),
      }),
      { params: Promise.resolve({}) },
    );
  const get = (query = '') => route.GET(new Request(`http://localhost/api/admin/structure-roles${query}`), { params: Promise.resolve({}) });

  beforeAll(async () => {
    t = await createTestDatabase('import_structure_roles');
    process.env.DATABASE_URL = t.url;
    tmp = mkdtempSync(join(tmpdir(), 'iseg-structure-roles-'));
    store = createVolumeStore({ dir: join(tmp, 'volumes') });
    const a = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'admin@example.org', name: 'Admin', password: 'admin-password-1', role: 'ADMIN' },
    });
    const p = await createUser(t.db, {
      caller: 'bootstrap',
      input: { email: 'phys@example.org', name: 'Phys', password: 'physicist-password-1', role: 'PHYSICIST' },
    });
    admin = { userId: a.id, email: a.email, name: 'Admin', role: 'ADMIN' };
    physicist = { userId: p.id, email: p.email, name: 'Phys', role: 'PHYSICIST' };
    route = await import('@/app/api/admin/structure-roles/route');
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  let firstStudyId: string;

  it('without site rules: the finding lists the roles, and says no GTV/ITV is recognised, pointing to the study page', async () => {
    const r = await importStudy({ db: t.db, caller: physicist, dir: await siteStudy('a', 1), store });
    firstStudyId = r.studyId;
    expect(r.structures.map((s) => `${s.name}:${s.kind}`).sort()).toEqual(['Lt Lung:OTHER', 'Tumour_site:OTHER']);
    const roles = r.findings.find((f) => f.code === 'STRUCTURE_ROLES')!;
    expect(roles).toMatchObject({ severity: 'info' });
    expect(roles.message).toBe(
      'Structure roles (built-in rules; no site rules saved): LUNG: "Lt Lung" = Lung_L [lung]; UNKNOWN: "Tumour_site" [unknown]. Only the GTV and ITV roles are compared with the machine contours; the rule that decided is in brackets.',
    );
    const none = r.findings.find((f) => f.code === 'NO_REFERENCE_STRUCTURE')!;
    expect(none.severity).toBe('warning');
    expect(none.message).toContain('None of the 2 physician structures is recognised as the GTV or ITV by its name ("Tumour_site", "Lt Lung")');
    expect(none.message).toContain('until a physicist chooses the reference structure in the study viewer (the study page, "No reference structure")');
    expect(none.message).toContain('an admin can add a structure rule (Admin → Structure roles)');
  });

  it('a physicist cannot add a rule: HTTP 403, no version, no audit event', async () => {
    session.caller = physicist;
    const audit = await t.db.auditEvent.count();
    const res = await post({ change: 'add', match: 'exact', pattern: 'Tumour_site', role: 'GTV' });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe('FORBIDDEN');
    expect((await get()).status).toBe(403);
    expect(await t.db.structureRuleVersion.count()).toBe(0);
    expect(await t.db.auditEvent.count()).toBe(audit);
  });

  it("an admin's change from another site is refused by the Origin check (403), and bad input is a 400 naming the field", async () => {
    session.caller = admin;
    const foreign = await post({ change: 'add', match: 'exact', pattern: 'Tumour_site', role: 'GTV' }, 'http://evil.example');
    expect(foreign.status).toBe(403);
    const bad = await post({ change: 'add', match: 'regex', pattern: '^(T+)+$', role: 'GTV' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toContain('repeats a group that itself repeats');
    expect(await t.db.structureRuleVersion.count()).toBe(0);
  });

  it('an admin adds a rule: version 1, audited; "try a name" shows the rule', async () => {
    session.caller = admin;
    const res = await post({ change: 'add', match: 'exact', pattern: 'Tumour_site', role: 'GTV', note: 'our tumour name', basedOnVersion: 0 });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({
      version: 1,
      rule: { id: 'site-1', match: 'exact', pattern: 'Tumour_site', role: 'GTV', phasePercent: null, enabled: true, note: 'our tumour name' },
    });
    const event = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'structure-rules.add' } });
    expect(event).toMatchObject({ userId: admin.userId, userEmail: admin.email, role: 'ADMIN', target: 'structure-rules:v1' });
    expect(event.details).toMatchObject({ version: 1, previousVersion: null, rule: { id: 'site-1', pattern: 'Tumour_site', role: 'GTV' } });
    const view = await (await get('?try=tumour_site')).json();
    expect(view.current).toMatchObject({ version: 1, rules: [{ id: 'site-1' }] });
    expect(view.versions).toMatchObject([
      { version: 1, userEmail: admin.email, change: 'added site-1: exact "Tumour_site" → GTV', ruleCount: 1, enabledCount: 1 },
    ]);
    expect(view.tried).toMatchObject({ role: 'GTV', kind: 'GTV', ruleId: 'site-1', siteRuleVersion: 1 });
  });

  it('the next import makes the structure a GTV and names the rule and the version; the study imported before keeps its kinds', async () => {
    const r = await importStudy({ db: t.db, caller: physicist, dir: await siteStudy('b', 2), store });
    expect(r.studyId).not.toBe(firstStudyId);
    expect(r.structures.map((s) => `${s.name}:${s.kind}`).sort()).toEqual(['Lt Lung:OTHER', 'Tumour_site:GTV']);
    const roles = r.findings.find((f) => f.code === 'STRUCTURE_ROLES')!;
    expect(roles.message).toBe(
      'Structure roles (site rules version 1, then the built-in rules): GTV: "Tumour_site" (primary) [site-1 v1]; LUNG: "Lt Lung" = Lung_L [lung]. Only the GTV and ITV roles are compared with the machine contours; the rule that decided is in brackets.',
    );
    expect(r.findings.find((f) => f.code === 'REFERENCE_STRUCTURES')?.message).toContain('GTV "Tumour_site"');
    expect(r.findings.some((f) => f.code === 'NO_REFERENCE_STRUCTURE')).toBe(false);
    const stored = await t.db.study.findUniqueOrThrow({ where: { id: r.studyId }, select: { findings: true } });
    expect(JSON.stringify(stored.findings)).toContain('site rules version 1');
    const before = await t.db.physicianStructure.findMany({ where: { studyId: firstStudyId }, select: { name: true, kind: true } });
    expect(before.map((s) => `${s.name}:${s.kind}`).sort()).toEqual(['Lt Lung:OTHER', 'Tumour_site:OTHER']);
  });

  it('disabling the rule is version 2 (audited); a change from a page showing version 1 is refused and writes nothing', async () => {
    session.caller = admin;
    const res = await post({ change: 'disable', ruleId: 'site-1', basedOnVersion: 1 });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ version: 2, rule: { id: 'site-1', enabled: false } });
    expect(await t.db.auditEvent.count({ where: { action: 'structure-rules.disable', target: 'structure-rules:v2' } })).toBe(1);
    const stale = await post({ change: 'add', match: 'exact', pattern: 'Tumour', role: 'GTV', basedOnVersion: 1 });
    expect(stale.status).toBe(409);
    expect((await stale.json()).error.message).toContain('changed since this page was loaded (now version 2, the page showed 1)');
    expect(await t.db.structureRuleVersion.count()).toBe(2);
    // Version 1 is kept as it was.
    const v1 = await (await get('?version=1')).json();
    expect(v1.shown).toMatchObject({ version: 1, rules: [{ id: 'site-1', enabled: true }] });
    const tried = await (await get('?try=Tumour_site')).json();
    expect(tried.tried).toMatchObject({ role: 'UNKNOWN', ruleId: 'unknown' });
  });

  it('concurrent saves lose nothing: each either makes the next version or is refused with CONFLICT', async () => {
    const { changeStructureRules } = await import('@/lib/server/structure-roles/change-structure-rules');
    const before = await t.db.structureRuleVersion.count();
    const results = await Promise.allSettled(
      ['A', 'B', 'C', 'D', 'E'].map((x) =>
        changeStructureRules(t.db, { caller: admin, input: { change: 'add', match: 'exact', pattern: `Concurrent_${x}`, role: 'HELPER' } }),
      ),
    );
    const saved = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('at the same moment') });
    expect(saved.length).toBeGreaterThan(0);
    expect(saved.map((s) => s.version).sort((a, b) => a - b)).toEqual(saved.map((_, i) => before + 1 + i));
    const latest = await t.db.structureRuleVersion.findFirstOrThrow({ orderBy: { version: 'desc' } });
    expect(latest.version).toBe(before + saved.length);
    const patterns = (latest.rules as { pattern: string }[]).map((r) => r.pattern).filter((p) => p.startsWith('Concurrent_'));
    expect(patterns.sort()).toEqual(saved.map((s) => s.rule.pattern).sort());
    expect(await t.db.auditEvent.count({ where: { action: 'structure-rules.add', target: { in: saved.map((s) => `structure-rules:v${s.version}`) } } })).toBe(
      saved.length,
    );
  });

  it('the admin page lists the rules and versions and answers "try a name"', async () => {
    session.caller = admin;
    const { renderToStaticMarkup } = await import('react-dom/server');
    const Page = (await import('@/app/(app)/admin/structure-roles/page')).default;
    const html = renderToStaticMarkup(await Page({ searchParams: Promise.resolve({ try: 'Lungs-GTV' }) }));
    expect(html).toContain('data-testid="site-rules-site-1"');
    expect(html).toContain('data-testid="structure-rule-versions"');
    expect(html).toMatch(
      /data-testid="structure-try-result"[^>]*>“Lungs-GTV” → <strong>LUNG<\/strong> \(TG-263 Lungs-GTV\); kind OTHER\. Decided by built-in rule organ-minus-target/,
    );
    session.caller = physicist;
    const refused = renderToStaticMarkup(await Page({ searchParams: Promise.resolve({}) }));
    expect(refused).toContain('The physicist role may not manage the structure rules.');
  });
});
