/**
 * `npx tsx bench/dashboard/profile-query.ts`: where the cohort page's server time goes, without
 * the web server. Seeds BENCH_STUDIES (default 5,000) into a throw-away embedded Postgres and
 * times the query (findCohortCases), the statistics and the page data (loadCohort), with the
 * size of the data the page hands to its client components. A diagnostic, not the benchmark.
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
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-profile-'));
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  try {
    await migrateDatabase({ databaseUrl: pg.url });
    process.env.DATABASE_URL = pg.url;
    const db = createDb(pg.url);
    await seedSyntheticStudies(db, { studies: STUDIES });
    await db.$executeRawUnsafe('ANALYZE');
    const { findCohortCases } = await import('../../lib/server/cohort/find-cohort-cases');
    const { computeCohortStats } = await import('../../lib/core/stats/cohort-stats');
    const { loadCohort } = await import('../../app/(app)/_cohort/load-cohort');
    const caller = { userId: 'x', email: 'x@x', name: 'x', role: 'PHYSICIST' as const };
    const filters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
    const q: number[] = [],
      st: number[] = [],
      all: number[] = [];
    let size = 0;
    for (let i = 0; i < 9; i++) {
      let t = performance.now();
      const r = await findCohortCases(db, { caller, filters });
      q.push(performance.now() - t);
      t = performance.now();
      computeCohortStats(r.cases, r.pooledPhases);
      st.push(performance.now() - t);
      t = performance.now();
      const d = await loadCohort(caller, { ...filters, sort: 'flags', dir: 'desc', page: 1 });
      all.push(performance.now() - t);
      const { page, ...charts } = d;
      size = JSON.stringify(charts).length + JSON.stringify(page).length;
    }
    const plan = await db.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(
      `EXPLAIN ANALYZE SELECT s.id FROM "Study" s LEFT JOIN LATERAL (SELECT x.id FROM "SegmentationRun" x WHERE x."studyId" = s.id AND x.status = 'SUCCEEDED' ORDER BY x."finishedAt" DESC NULLS LAST LIMIT 1) r ON TRUE`,
    );
    console.log(
      JSON.stringify({ studies: STUDIES, queryMs: median(q), statsMs: median(st), loadCohortMs: median(all), pageDataKb: Math.round(size / 1024) }, null, 2),
    );
    console.log(plan.map((p) => p['QUERY PLAN']).join('\n'));
    await db.$disconnect();
  } finally {
    await pg.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
