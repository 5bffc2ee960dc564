/**
 * `BENCH_STUDIES=50000 npx tsx bench/dashboard/profile-review.ts`: the review meeting's server
 * time without the web server (issue 19, "review queue < 500 ms"). Seeds BENCH_STUDIES (default
 * 5,000) into an embedded Postgres as the dashboard benchmark does (seed-studies.ts), gives every
 * tenth study a decision (every fortieth one corrected) so that "undecided" means something, and
 * prints, as medians of BENCH_REVIEW_RUNS (default 5) with this process's CPU time next to the
 * wall time and the load average: the queue's first page for each criterion, page 2, the last
 * page, "undecided only", the presenter view of one case (previous / next) and a decision. A
 * diagnostic beside `npm run bench:dashboard`, which times `/review`'s full HTML.
 *
 * BENCH_PROFILE_DIR=/some/dir keeps the database there and reuses it (seeded once per size; the
 * same directory as profile-query.ts's may be used).
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { migrateDatabase } from '../../lib/server/db/migrate';
import { createDb } from '../../lib/server/db/client';
import { seedSyntheticStudies } from './seed-studies';

const STUDIES = Number(process.env.BENCH_STUDIES ?? 5000);
const RUNS = Number(process.env.BENCH_REVIEW_RUNS ?? 5);
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const median = (a: number[]) => Math.round([...a].sort((x, y) => x - y)[a.length >> 1] * 10) / 10;

async function main() {
  const keep = process.env.BENCH_PROFILE_DIR;
  const dir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-profile-review-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  try {
    let t0 = performance.now();
    await migrateDatabase({ databaseUrl: pg.url });
    const migrateMs = performance.now() - t0;
    process.env.DATABASE_URL = pg.url;
    const db = createDb(pg.url);
    const marker = path.join(dir, `seeded-${STUDIES}`);
    if (!fs.existsSync(marker)) {
      if (fs.readdirSync(dir).some((f) => f.startsWith('seeded-'))) throw new Error(`${dir} holds another cohort size: use another BENCH_PROFILE_DIR`);
      t0 = performance.now();
      await seedSyntheticStudies(db, { studies: STUDIES });
      console.error(`seeded ${STUDIES} studies in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      await db.$executeRawUnsafe('VACUUM ANALYZE');
      fs.writeFileSync(marker, '');
    }
    // Decisions on every tenth study (once per database), every fortieth corrected.
    const reviewer = await db.user.upsert({
      where: { email: 'bench-reviewer@example.org' },
      update: {},
      create: { email: 'bench-reviewer@example.org', name: 'Bench Reviewer', role: 'REVIEWER', passwordHash: 'x' },
    });
    if ((await db.reviewDecision.count()) === 0) {
      await db.$executeRaw`
        INSERT INTO "ReviewDecision" (id, "studyId", "runId", "reviewerId", decision, meeting)
        SELECT 'bench-d-' || s.id, s.id, r.id, ${reviewer.id}, 'DISCUSS', '2026-12-01'
        FROM "Study" s JOIN LATERAL (SELECT id FROM "SegmentationRun" x WHERE x."studyId" = s.id AND x.status = 'SUCCEEDED'
          ORDER BY x."finishedAt" DESC NULLS LAST, x."queuedAt" DESC, x.id DESC LIMIT 1) r ON true
        WHERE right(s.id, 1) = '0'`;
      await db.$executeRaw`
        INSERT INTO "ReviewDecision" (id, "studyId", "runId", "reviewerId", decision, meeting, "supersedesId", "correctionReason")
        SELECT 'bench-c-' || d."studyId", d."studyId", d."runId", d."reviewerId", 'MACHINE_ACCEPTABLE', '2026-12-02', d.id, 'bench'
        FROM "ReviewDecision" d WHERE d.id LIKE 'bench-d-%' AND right(d."studyId", 2) IN ('00', '40', '80')`;
      await db.$executeRawUnsafe('ANALYZE "ReviewDecision"');
    }
    const { findReviewQueue } = await import('../../lib/server/review/find-review-queue');
    const { getReviewCase } = await import('../../lib/server/review/get-review-case');
    const caller = { userId: reviewer.id, email: reviewer.email, name: reviewer.name, role: 'REVIEWER' as const };
    const physicist = { ...caller, role: 'PHYSICIST' as const };
    const wall: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    const failed: Record<string, string> = {};
    const time = async (name: string, f: () => Promise<unknown>) => {
      const w0 = performance.now();
      const c0 = process.cpuUsage();
      try {
        await f();
      } catch (e) {
        failed[name] = String(e instanceof Error ? e.message : e)
          .trim()
          .split('\n')
          .at(-1)!;
        return;
      }
      const c = process.cpuUsage(c0);
      (wall[name] ??= []).push(performance.now() - w0);
      (cpu[name] ??= []).push((c.user + c.system) / 1000);
    };
    const first = await findReviewQueue(db, { caller, criterion: 'low-dice', page: 1 });
    const middle = first.cases[50]?.studyId ?? first.cases[0]?.studyId;
    for (let i = 0; i < RUNS; i++) {
      await time('page 1, low-dice', () => findReviewQueue(db, { caller, criterion: 'low-dice', page: 1 }));
      await time('page 1, large-fp', () => findReviewQueue(db, { caller, criterion: 'large-fp', page: 1 }));
      await time('page 1, distant-fp', () => findReviewQueue(db, { caller, criterion: 'distant-fp', page: 1 }));
      await time('page 2, low-dice', () => findReviewQueue(db, { caller, criterion: 'low-dice', page: 2 }));
      await time('last page, low-dice', () => findReviewQueue(db, { caller, criterion: 'low-dice', page: 1_000_000 }));
      await time('page 1, undecided only', () => findReviewQueue(db, { caller, criterion: 'low-dice', undecidedOnly: true, page: 1 }));
      await time('page 1, physicist (identified, audited)', () => findReviewQueue(db, { caller: physicist, criterion: 'low-dice', page: 1 }));
      if (middle) await time('presenter view (one case, previous / next)', () => getReviewCase(db, { caller, studyId: middle, criterion: 'low-dice' }));
    }
    // After a change: a run of the first-ranked study succeeds again (newer run, new summary).
    const top = first.cases[0];
    if (top) {
      const copy = await db.segmentationRun.findUniqueOrThrow({ where: { id: top.runId }, include: { summary: true } });
      for (let i = 0; i < RUNS; i++) {
        const id = `bench-review-rerun-${i}`;
        await db.segmentationRun.deleteMany({ where: { id } });
        await time('a run succeeds (insert run + summary)', () =>
          db.$transaction(async (tx) => {
            await tx.segmentationRun.create({
              data: { id, studyId: copy.studyId, modelVersionId: copy.modelVersionId, status: 'SUCCEEDED', finishedAt: new Date() },
            });
            const { runId: _r, ...summary } = copy.summary!;
            await tx.runSummary.create({ data: { ...summary, runId: id } });
          }),
        );
        await time('page 1 after that change', () => findReviewQueue(db, { caller, criterion: 'low-dice', page: 1 }));
        await db.segmentationRun.delete({ where: { id } });
      }
    }
    console.log(
      JSON.stringify(
        {
          studies: STUDIES,
          runs: RUNS,
          migrateMs: Math.round(migrateMs),
          load: os.loadavg().map((x) => Math.round(x * 10) / 10),
          queue: { total: first.total, undecided: first.undecided, pageCount: first.pageCount },
          medianMs: Object.fromEntries(Object.keys(wall).map((k) => [k, { wall: median(wall[k]), cpu: median(cpu[k]) }])),
          failed,
        },
        null,
        2,
      ),
    );
    await db.$disconnect();
  } finally {
    await pg.stop();
    if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
