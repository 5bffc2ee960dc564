/**
 * Analysis snapshots (issue #16 item 2, docs/outcomes-snapshots.md) on the seeded outcomes cohort
 * against a real Postgres: freeze through the route, download the zip through the route, unzip
 * it, run its reproduce.R with R (survival, cmprsk) and compare every coefficient, SE, HR, CI
 * bound and p-value with the stored results to 1e-6 (relative where |value| > 1); the hash is a
 * function of the content; the stored row cannot be changed (trigger, app role grants, routes);
 * each role and anonymous on every snapshot route; a researcher's zip holds no identifier.
 * Routes are called in-process; only the session lookup is replaced (getCaller needs Next's
 * request context).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Caller } from '@/lib/server/auth/roles';
import { canonicalJson } from '@/lib/core/snapshots/canonical-json';
import { snapshotContentHash } from '@/lib/core/snapshots/snapshot-id';
import type { OutcomeAnalysis, CoefficientRow } from '@/lib/server/outcomes/run-outcome-analysis';
import type { OutcomeAnalysisRequestInput } from '@/lib/server/outcomes/run-outcome-analysis.types';
import { getAnalysisSnapshot } from '@/lib/server/snapshots/get-analysis-snapshot';
import type { DataDictionary } from '@/lib/server/outcomes/analysis-dataset-columns';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { seedOutcomeCohort, type SeedPatient } from './seed-outcome-cohort';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({ getCaller: async () => session.caller }));

const caller = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@t.test`, name: role, role });
const RESEARCHER = caller('RESEARCHER');
const PHYSICIST = caller('PHYSICIST');
const ADMIN = caller('ADMIN');
const REVIEWER = caller('REVIEWER');

const R_PACKAGES = 'r-base-core, r-cran-survival and r-cran-cmprsk';

/** Whether Rscript with survival and cmprsk runs here; under CI its absence is a failure naming the packages. */
function rAvailable(): boolean {
  const r = spawnSync('Rscript', ['-e', 'suppressPackageStartupMessages({library(survival); library(cmprsk)})'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  const why = r.error ? String(r.error.message) : r.stderr.trim().split('\n').slice(-2).join(' ');
  if (process.env.CI)
    throw new Error(`Rscript with the survival and cmprsk packages is needed to check reproduce.R (${why}): install ${R_PACKAGES} (.ci/run does).`);
  console.warn(`[analysis-snapshots] skipping the R comparison: ${why}; install ${R_PACKAGES}.`);
  return false;
}
const HAVE_R = rAvailable();

let maxDiff = 0;
let compared = 0;
/** |a − b| ≤ 1e-6 · max(1, |b|); null only against null/NA. */
function close(label: string, ours: number | null | undefined, theirs: number | null | undefined, tol = 1e-6) {
  if (ours === null || ours === undefined || theirs === null || theirs === undefined) {
    expect(ours ?? null, `${label}: ours ${ours}, R ${theirs}`).toBe(theirs ?? null);
    return;
  }
  const d = Math.abs(ours - theirs) / Math.max(1, Math.abs(theirs));
  maxDiff = Math.max(maxDiff, d);
  compared++;
  expect(d, `${label}: ours ${ours}, R ${theirs}`).toBeLessThanOrEqual(tol);
}
function closeAll(label: string, ours: (number | null)[], theirs: (number | null)[] | undefined) {
  expect(theirs, `${label}: R wrote nothing`).toBeDefined();
  expect(ours.length, `${label}: lengths`).toBe(theirs!.length);
  ours.forEach((v, i) => close(`${label}[${i}]`, v, theirs![i]));
}

interface RFit {
  n: number[];
  coef: number[];
  se: number[];
  hr: number[];
  lower95: number[];
  upper95: number[];
  z: number[];
  p: number[];
}
interface RResult {
  cox?: RFit & { nevent: number[]; loglik: number[]; likelihoodRatio: number[]; wald: number[]; score: number[]; concordance: number[] };
  km: { n: number[]; events: number[]; time: number[]; surv: number[]; lower: (number | null)[]; upper: (number | null)[]; median: (number | null)[] }[];
  logRank?: { chisq: number[]; df: number[]; p: number[] };
  gray?: { stat: number[]; p: number[]; df: number[] };
  fineGray?: RFit & { loglik: number[] };
}

function compareCoefficients(label: string, ours: CoefficientRow[], r: RFit) {
  const pick = (k: 'coef' | 'se' | 'hr' | 'lower95' | 'upper95' | 'z' | 'p') => ours.map((c) => c[k]);
  for (const k of ['coef', 'se', 'hr', 'lower95', 'upper95', 'z', 'p'] as const) closeAll(`${label} ${k}`, pick(k), r[k]);
}

/** Every number reproduce.R wrote, against the snapshot's results. */
function compareWithR(a: OutcomeAnalysis, r: RResult) {
  if (a.cox.status === 'ok') {
    const c = a.cox.value;
    expect(r.cox).toBeDefined();
    expect([r.cox!.n[0], r.cox!.nevent[0]]).toEqual([c.n, c.nevent]);
    compareCoefficients('cox', c.coefficients, r.cox!);
    closeAll('cox loglik', c.loglik, r.cox!.loglik);
    closeAll('cox LR test', [c.likelihoodRatio.chisq, c.likelihoodRatio.df, c.likelihoodRatio.p], r.cox!.likelihoodRatio);
    closeAll('cox Wald test', [c.wald.chisq, c.wald.df, c.wald.p], r.cox!.wald);
    closeAll('cox score test', [c.score.chisq, c.score.df, c.score.p], r.cox!.score);
    closeAll('cox concordance', [c.concordance.c, c.concordance.se], r.cox!.concordance);
  } else expect(r.cox).toBeUndefined();
  if (a.km.status !== 'ok') throw new Error('the snapshot has no KM curves');
  expect(r.km).toHaveLength(a.km.value.groups.length);
  a.km.value.groups.forEach((g, k) => {
    const rk = r.km[k]!;
    expect([rk.n[0], rk.events[0]]).toEqual([g.n, g.events]);
    const pts = g.points.slice(1); // ours starts at (0, 1)
    closeAll(
      `km ${g.group} time`,
      pts.map((p) => p.time),
      rk.time,
    );
    closeAll(
      `km ${g.group} surv`,
      pts.map((p) => p.surv),
      rk.surv,
    );
    closeAll(
      `km ${g.group} lower`,
      pts.map((p) => p.lower),
      rk.lower,
    );
    closeAll(
      `km ${g.group} upper`,
      pts.map((p) => p.upper),
      rk.upper,
    );
    close(`km ${g.group} median`, g.median, rk.median[0]);
  });
  if (a.km.value.logRank)
    closeAll('log-rank', [a.km.value.logRank.chisq, a.km.value.logRank.df, a.km.value.logRank.p], [r.logRank!.chisq[0]!, r.logRank!.df[0]!, r.logRank!.p[0]!]);
  else expect(r.logRank).toBeUndefined();
  if (a.cuminc.status === 'ok') {
    const ci = a.cuminc.value;
    if (ci.gray) closeAll('gray', [ci.gray.stat, ci.gray.df, ci.gray.p], [r.gray!.stat[0]!, r.gray!.df[0]!, r.gray!.p[0]!]);
    else expect(r.gray).toBeUndefined();
    if (ci.fineGray.status === 'ok') {
      expect(r.fineGray!.n[0]).toBe(ci.fineGray.value.n);
      compareCoefficients('fine-gray', ci.fineGray.value.coefficients, r.fineGray!);
      close('fine-gray loglik', ci.fineGray.value.loglik, r.fineGray!.loglik[0]);
    } else expect(r.fineGray).toBeUndefined();
  }
}

describe('analysis snapshots (real Postgres, seeded outcomes cohort, R)', () => {
  let t: TestDatabase;
  let cohort: SeedPatient[];
  let routes: {
    list: (req: Request) => Promise<Response>;
    create: (req: Request) => Promise<Response>;
    zip: (req: Request, ctx: { params: Promise<{ id: string }> }) => Promise<Response>;
    snapshotsModule: Record<string, unknown>;
    zipModule: Record<string, unknown>;
  };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'iseg-snapshots-'));

  const freeze = async (who: Caller | null, body: unknown) => {
    session.caller = who;
    return routes.create(
      new Request('http://localhost/api/outcomes/snapshots', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost', host: 'localhost' },
        body: JSON.stringify(body),
      }),
    );
  };
  const download = async (who: Caller | null, id: string) => {
    session.caller = who;
    return routes.zip(new Request(`http://localhost/api/outcomes/snapshots/${id}/zip`), { params: Promise.resolve({ id }) });
  };
  const unzip = async (res: Response) => {
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, strFromU8(bytes)]));
  };
  /** Freeze, download, unzip, run reproduce.R; returns the stored analysis and R's numbers. */
  const reproduce = async (title: string, request: OutcomeAnalysisRequestInput) => {
    const res = await freeze(RESEARCHER, { title, request });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const files = await unzip(await download(RESEARCHER, id));
    const dir = path.join(tmp, id);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(tmp, name), text);
    const out = execFileSync('Rscript', ['reproduce.R', 'reproduced.json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toContain('Wrote reproduced.json');
    const r = JSON.parse(readFileSync(path.join(dir, 'reproduced.json'), 'utf8')) as RResult;
    const results = JSON.parse(files[`${id}/results.json`]!) as { results: OutcomeAnalysis };
    return { id, files, r, analysis: results.results };
  };

  beforeAll(async () => {
    t = await createTestDatabase('analysis_snapshots');
    cohort = await seedOutcomeCohort(t.db, { runSummaries: true });
    process.env.DATABASE_URL = t.url;
    const snapshotsModule = await import('@/app/api/outcomes/snapshots/route');
    const zipModule = await import('@/app/api/outcomes/snapshots/[id]/zip/route');
    routes = {
      list: snapshotsModule.GET as never,
      create: snapshotsModule.POST as never,
      zip: zipModule.GET as never,
      snapshotsModule: { ...snapshotsModule },
      zipModule: { ...zipModule },
    };
  });
  afterAll(async () => {
    rmSync(tmp, { recursive: true, force: true });
    if (compared)
      console.log(`[analysis-snapshots] reproduce.R vs the snapshot: ${compared} numbers compared, largest relative difference ${maxDiff.toExponential(2)}`);
    await t.drop();
  });

  it.runIf(HAVE_R)(
    "reproduce.R refits every model of a local-failure snapshot (Cox with a factor, KM by median split, log-rank, Gray, Fine–Gray): R's numbers equal the stored ones to 1e-6",
    async () => {
      const { files, r, analysis, id } = await reproduce('FP voxels, Dice, age and stage vs local failure', {
        event: 'localFailure',
        covariates: ['metric:falsePositiveVoxels', 'metric:dice', 'clinical:age', 'clinical:stage'],
        grouping: { kind: 'median', covariate: 'metric:falsePositiveVoxels' },
      });
      expect(Object.keys(files).sort()).toEqual(['dataset.csv', 'dictionary.json', 'reproduce.R', 'results.json', 'snapshot.json'].map((f) => `${id}/${f}`));
      expect(analysis.cox.status).toBe('ok');
      expect(analysis.cuminc.status === 'ok' && analysis.cuminc.value.fineGray.status).toBe('ok');
      expect(analysis.km.status === 'ok' && analysis.km.value.groups).toHaveLength(2);
      expect(r.cox!.coef).toHaveLength(5); // fp, dice, age, stage II, stage III
      compareWithR(analysis, r);
      // the dataset: the dictionary's columns, 36 rows, 30 in the analysis set, with the explorer's Dice per 0.1
      const dict = JSON.parse(files[`${id}/dictionary.json`]!) as DataDictionary;
      const [header, ...rows] = parse(files[`${id}/dataset.csv`]!) as string[][];
      expect(header).toEqual(dict.columns.map((c) => c.name));
      expect(rows).toHaveLength(36);
      expect(rows.filter((x) => x[header.indexOf('analysis_set')] === '1')).toHaveLength(analysis.counts.usable);
      expect(analysis.counts.usable).toBe(30);
      expect(files[`${id}/reproduce.R`]).toContain('X[["itv_dice"]] <- as.numeric(d[["itv_dice"]]) * 10');
      expect(files[`${id}/reproduce.R`]).toContain('ties = "efron"');
      // snapshot.json is the canonical content: its sha256 is the content hash
      const stored = await getAnalysisSnapshot(t.db, { caller: RESEARCHER, id });
      expect(snapshotContentHash(files[`${id}/snapshot.json`]!)).toBe(stored.contentHash);
      expect(stored.verified).toBe(true);
    },
  );

  it.runIf(HAVE_R)('reproduce.R refits an overall-survival snapshot (Breslow ties, tertiles, no competing risks) to 1e-6', async () => {
    const { r, analysis } = await reproduce('FP fraction and age vs overall survival', {
      event: 'death',
      covariates: ['metric:falsePositiveFraction', 'clinical:age'],
      grouping: { kind: 'tertiles', covariate: 'clinical:age' },
      ties: 'breslow',
    });
    expect(analysis.cox.status).toBe('ok');
    expect(analysis.km.status === 'ok' && analysis.km.value.groups).toHaveLength(3);
    expect(r.fineGray).toBeUndefined();
    compareWithR(analysis, r);
    expect(compared).toBeGreaterThan(100);
  });

  it('identical inputs give the same hash and id (stored once); a changed filter gives another', async () => {
    const request = { event: 'localFailure', covariates: ['metric:hd95Mm'], grouping: { kind: 'threshold', covariate: 'metric:hd95Mm', threshold: 8 } };
    const first = await freeze(PHYSICIST, { title: 'HD95 threshold 8 mm', request });
    expect(first.status).toBe(201);
    const a = (await first.json()) as { id: string; contentHash: string; created: boolean };
    expect(a.id).toMatch(/^ISQ-[A-Z2-7]{10}$/);
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const again = await freeze(RESEARCHER, { title: 'the same analysis, another title', request: { ...request } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...a, created: false, title: 'HD95 threshold 8 mm' });
    expect(await t.db.analysisSnapshot.count({ where: { contentHash: a.contentHash } })).toBe(1);
    const changed = (await (
      await freeze(RESEARCHER, { title: 'HD95 threshold 9 mm', request: { ...request, grouping: { ...request.grouping, threshold: 9 } } })
    ).json()) as {
      id: string;
      contentHash: string;
    };
    expect(changed.contentHash).not.toBe(a.contentHash);
    expect(changed.id).not.toBe(a.id);
    const other = (await (await freeze(RESEARCHER, { title: 'HD95, OS', request: { ...request, event: 'death' } })).json()) as { contentHash: string };
    expect(new Set([a.contentHash, changed.contentHash, other.contentHash]).size).toBe(3);
    // the stored text is canonical (re-canonicalising changes nothing) and hashes to the stored hash
    const stored = await getAnalysisSnapshot(t.db, { caller: ADMIN, id: a.id });
    expect(canonicalJson(JSON.parse(stored.canonical))).toBe(stored.canonical);
    expect(stored.content.analysis.grouping).toMatchObject({ kind: 'threshold', column: 'itv_hd95_mm_voxel', threshold: 8 });
    expect(stored.content.models).toEqual([{ name: 'test-model', version: '1', sha256: 'a'.repeat(64), patients: 30 }]);
    expect(stored.content.codeVersion).toMatch(/^iseg-qa /);
  });

  it('a stored snapshot cannot be changed: the trigger refuses UPDATE, DELETE and TRUNCATE, the app role lacks the grants, no route changes one', async () => {
    const res = await freeze(RESEARCHER, { title: 'immutable', request: { covariates: ['metric:dice'] } });
    const { id } = (await res.json()) as { id: string };
    const owner = t.ownerDb();
    await expect(owner.$executeRawUnsafe(`UPDATE "AnalysisSnapshot" SET title = 'changed' WHERE id = $1`, id)).rejects.toThrow(/append-only: UPDATE/);
    await expect(owner.$executeRawUnsafe(`UPDATE "AnalysisSnapshot" SET content = '{}' WHERE id = $1`, id)).rejects.toThrow(/append-only/);
    await expect(owner.$executeRawUnsafe(`DELETE FROM "AnalysisSnapshot" WHERE id = $1`, id)).rejects.toThrow(/append-only: DELETE/);
    await expect(owner.$executeRawUnsafe(`TRUNCATE "AnalysisSnapshot"`)).rejects.toThrow(/append-only: TRUNCATE/);
    // the app's own connection: no UPDATE or DELETE privilege at all
    await expect(t.db.analysisSnapshot.update({ where: { id }, data: { title: 'changed' } })).rejects.toThrow(/permission denied/);
    await expect(t.db.analysisSnapshot.delete({ where: { id } })).rejects.toThrow(/permission denied/);
    const row = await t.db.analysisSnapshot.findUniqueOrThrow({ where: { id } });
    expect(row.title).toBe('immutable');
    expect(snapshotContentHash(row.content)).toBe(row.contentHash);
    // the routes: reading and freezing only
    for (const mod of [routes.snapshotsModule, routes.zipModule]) for (const m of ['PUT', 'PATCH', 'DELETE']) expect(mod[m], m).toBeUndefined();
    expect(Object.keys(routes.snapshotsModule).filter((k) => /^[A-Z]+$/.test(k))).toEqual(['GET', 'POST']);
    expect(Object.keys(routes.zipModule).filter((k) => /^[A-Z]+$/.test(k))).toEqual(['GET']);
  });

  it('routes: anonymous 401 and a reviewer 403 on list, freeze and download; researchers, physicists and admins may; each freeze and download is audited', async () => {
    const res = await freeze(ADMIN, { title: 'route matrix', request: { covariates: ['clinical:age'] } });
    expect([200, 201]).toContain(res.status);
    const { id } = (await res.json()) as { id: string };
    for (const [who, status] of [
      [null, 401],
      [REVIEWER, 403],
    ] as const) {
      const before = await t.db.auditEvent.count({ where: { action: { startsWith: 'outcomes.snapshot.' } } });
      session.caller = who;
      expect((await routes.list(new Request('http://localhost/api/outcomes/snapshots'))).status).toBe(status);
      expect((await freeze(who, { title: 'x', request: {} })).status).toBe(status);
      expect((await download(who, id)).status).toBe(status);
      expect(await t.db.auditEvent.count({ where: { action: { startsWith: 'outcomes.snapshot.' } } })).toBe(before);
    }
    expect(await t.db.analysisSnapshot.count({ where: { title: 'x' } })).toBe(0);
    for (const who of [RESEARCHER, PHYSICIST, ADMIN]) {
      session.caller = who;
      const list = await routes.list(new Request('http://localhost/api/outcomes/snapshots'));
      expect(list.status).toBe(200);
      expect(((await list.json()) as { snapshots: { id: string }[] }).snapshots.map((s) => s.id)).toContain(id);
      const zip = await download(who, id);
      expect(zip.status).toBe(200);
      expect(zip.headers.get('content-type')).toBe('application/zip');
      expect(zip.headers.get('content-disposition')).toBe(`attachment; filename="${id}.zip"`);
      const last = await t.db.auditEvent.findFirst({ where: { action: 'outcomes.snapshot.download' }, orderBy: { id: 'desc' } });
      expect(last).toMatchObject({ userId: who.userId, role: who.role, target: `snapshot:${id}` });
    }
    const created = await t.db.auditEvent.findFirst({ where: { action: 'outcomes.snapshot.create', target: `snapshot:${id}` } });
    expect(created).toMatchObject({ userId: ADMIN.userId, role: 'ADMIN' });
    // bad input: a clear 400, nothing stored
    const n = await t.db.analysisSnapshot.count();
    const noTitle = await freeze(RESEARCHER, { title: '  ', request: {} });
    expect(noTitle.status).toBe(400);
    expect((await noTitle.json()).error.message).toMatch(/title/);
    const badCov = await freeze(RESEARCHER, { title: 'bad', request: { covariates: ['metric:nope'] } });
    expect(badCov.status).toBe(400);
    expect((await badCov.json()).error.message).toMatch(/Unknown covariate "metric:nope"/);
    expect((await download(RESEARCHER, 'ISQ-AAAAAAAAAA')).status).toBe(404);
    expect((await download(RESEARCHER, '../etc')).status).toBe(404);
    expect(await t.db.analysisSnapshot.count()).toBe(n);
  });

  it("a researcher's zip holds no name, MRN or real date", async () => {
    const res = await freeze(RESEARCHER, {
      title: 'identifiers',
      request: { covariates: ['metric:falsePositiveVolumeCc', 'clinical:stage'], grouping: { kind: 'categorical', covariate: 'clinical:stage' } },
    });
    const { id } = (await res.json()) as { id: string };
    const files = await unzip(await download(RESEARCHER, id));
    // the freeze time (results.json snapshot.createdAt) is the one calendar date: not a patient's
    const all = Object.entries(files)
      .map(([name, text]) => `${name}\n${text}`)
      .join('\n')
      .replace(/"createdAt": "\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '');
    for (const p of cohort) {
      expect(all).not.toContain(p.mrn);
      expect(all).not.toContain(p.name);
    }
    expect(all).not.toMatch(/MRN\d|PATIENT\d|\b(19|20)\d\d-\d\d-\d\d/);
    expect(all).toContain('OUT-001');
  });
});
