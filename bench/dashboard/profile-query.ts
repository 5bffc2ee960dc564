/**
 * `npx tsx bench/dashboard/profile-query.ts`: where the cohort page's server time goes, without
 * the web server. Seeds BENCH_STUDIES (default 5,000) into an embedded Postgres and times, as
 * medians: reading the cohort data version; the query (findCohortCases); the statistics; a view
 * computed afresh (findCohortView after forgetting the kept cohorts: query, statistics, chart
 * points, sort, page); a view of unchanged data (the kept cohort: version read, page slice);
 * a view after a run's status changed (the kept cohort updated with the changed study,
 * CohortChange); with the size of the data the page hands to its client components and the
 * query's EXPLAIN ANALYZE. A diagnostic, not the benchmark.
 *
 * BENCH_PROFILE_DIR=/some/dir keeps the database there and reuses it (seeded once per size).
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
const RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 7);
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
  const dir = keep ? path.resolve(keep) : fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-profile-'));
  fs.mkdirSync(dir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  try {
    await migrateDatabase({ databaseUrl: pg.url });
    process.env.DATABASE_URL = pg.url;
    const db = createDb(pg.url);
    const marker = path.join(dir, `seeded-${STUDIES}`);
    if (!fs.existsSync(marker)) {
      if (fs.readdirSync(dir).some((f) => f.startsWith('seeded-'))) throw new Error(`${dir} holds another cohort size: use another BENCH_PROFILE_DIR`);
      const t = performance.now();
      await seedSyntheticStudies(db, { studies: STUDIES });
      console.error(`seeded ${STUDIES} studies in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      await db.$executeRawUnsafe('VACUUM ANALYZE');
      fs.writeFileSync(marker, '');
    }
    const { findCohortCases, findCohortRows, explainCohortCases } = await import('../../lib/server/cohort/find-cohort-cases');
    const { findCohortView, forgetCohortViews, readCohortDataVersion, flushCohortSnapshots } = await import('../../lib/server/cohort/find-cohort-view');
    const { computeCohortStats } = await import('../../lib/core/stats/cohort-stats');
    const caller = { userId: 'x', email: 'x@x', name: 'x', role: 'PHYSICIST' as const };
    const filters = { institution: null, from: null, to: null, model: null, physician: null, scanner: null };
    const query = { ...filters, sort: 'flags' as const, dir: 'desc' as const, page: 1 };
    const t: Record<string, number[]> = {
      version: [],
      query: [],
      stats: [],
      viewFresh: [],
      viewKept: [],
      viewKeptOtherSort: [],
      viewAfterStatusChange: [],
      viewAfterStatusChangeCpu: [],
      storeSnapshot: [],
      viewRestored: [],
      viewRestoredCpu: [],
      rowsOfOneStudy: [],
      reviewQueuePage: [],
    };
    let sizes = { columnsKb: 0, pageKb: 0, chartPoints: '', snapshotKb: 0 };
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await readCohortDataVersion(db);
      t.version.push(performance.now() - t0);
      t0 = performance.now();
      const r = await findCohortCases(db, { caller, filters });
      t.query.push(performance.now() - t0);
      t0 = performance.now();
      computeCohortStats(r.cases, r.pooledPhases);
      t.stats.push(performance.now() - t0);
      // Computed afresh: no kept cohort, none stored.
      forgetCohortViews();
      await db.$executeRaw`DELETE FROM "CohortSnapshot"`;
      t0 = performance.now();
      const fresh = await findCohortView(db, { caller, query });
      t.viewFresh.push(performance.now() - t0);
      if (fresh.source !== 'computed') throw new Error(`the first view was ${fresh.source}, not computed`);
      t0 = performance.now();
      const v = await findCohortView(db, { caller, query: { ...query, page: 2 } });
      t.viewKept.push(performance.now() - t0);
      t0 = performance.now();
      await findCohortView(db, { caller, query: { ...query, sort: 'itvDice', dir: 'asc' } });
      t.viewKeptOtherSort.push(performance.now() - t0);
      if (!v.reused) throw new Error('the second view did not reuse the kept cohort');
      // A run's status changes (as when a run finishes): the next view applies that study.
      const { status } = await db.segmentationRun.findUniqueOrThrow({ where: { id: 'bench-00000-r1' } });
      await db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { status: status === 'RUNNING' ? 'SUCCEEDED' : 'RUNNING' } });
      t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const changed = await findCohortView(db, { caller, query });
      t.viewAfterStatusChange.push(performance.now() - t0);
      // This process's CPU time for it (the wall time above includes waiting for a loaded machine's cores).
      const cpu = process.cpuUsage(cpu0);
      t.viewAfterStatusChangeCpu.push((cpu.user + cpu.system) / 1000);
      if (changed.source !== 'updated') throw new Error(`the view after a status change was ${changed.source}, not updated`);
      // Storing the kept cohort (after the whole read above; off the page's path in the app).
      t0 = performance.now();
      await flushCohortSnapshots();
      t.storeSnapshot.push(performance.now() - t0);
      // A new process's first view (the kept cohorts forgotten): the stored cohort and the change since.
      await db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { status: status === 'RUNNING' ? 'RUNNING' : 'SUCCEEDED' } });
      forgetCohortViews();
      t0 = performance.now();
      const cpu1 = process.cpuUsage();
      const restored = await findCohortView(db, { caller, query });
      t.viewRestored.push(performance.now() - t0);
      const cpuR = process.cpuUsage(cpu1);
      t.viewRestoredCpu.push((cpuR.user + cpuR.system) / 1000);
      if (restored.source !== 'restored') throw new Error(`the first view after forgetting was ${restored.source}, not restored`);
      // Of which: reading the changed study's row (the rest is the statistics and charts in memory).
      t0 = performance.now();
      await findCohortRows(db, { caller, filters, studyIds: ['bench-00000'] });
      t.rowsOfOneStudy.push(performance.now() - t0);
      sizes = {
        columnsKb: Math.round(v.columnsJson.length / 1024),
        pageKb: Math.round(JSON.stringify(v.page).length / 1024),
        chartPoints: `${v.chartPoints.drawn} of ${v.chartPoints.of}`,
        snapshotKb: Math.round(Number((await db.$queryRaw<{ n: bigint }[]>`SELECT max(octet_length("data")) AS n FROM "CohortSnapshot"`)[0]?.n ?? 0) / 1024),
      };
    }
    const { findReviewQueue } = await import('../../lib/server/review/find-review-queue');
    // BENCH_PROFILE_REVIEW=0: the cohort page only.
    for (let i = 0; i < (process.env.BENCH_PROFILE_REVIEW === '0' ? 0 : 3); i++) {
      const t0 = performance.now();
      await findReviewQueue(db, { caller: { ...caller, role: 'REVIEWER' }, criterion: 'low-dice', page: 1 });
      t.reviewQueuePage.push(performance.now() - t0);
    }
    const plan = await explainCohortCases(db, { caller, filters });
    console.log(
      JSON.stringify({ studies: STUDIES, runs: RUNS, medianMs: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)])), ...sizes }, null, 2),
    );
    console.log(plan);
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
