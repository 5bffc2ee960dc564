/**
 * `npm run bench:dashboard`: the cohort page (and the review queue) at BENCH_STUDIES studies
 * (default 5,000; issue 19 asks for 50,000).
 *
 * 1. Starts the app as `npm start` does (scripts/start.ts) in a throw-away data directory on
 *    free ports, without the demo cohort.
 * 2. Seeds the studies with succeeded runs and stored summaries (seed-studies.ts), computes and
 *    stores the unfiltered cohort as a running app has (CohortSnapshot; BENCH_NO_SNAPSHOT=1 leaves
 *    none, and the new process reads the whole cohort), then stops the app and starts it again, so that the first request is a real first request after a start
 *    (Postgres' buffers and the web process both fresh; the web process prepares the unfiltered
 *    cohort when it starts, lib/server/cohort/find-cohort-view.ts).
 * 3. Signs in as a physicist in headless Chromium (Debian's /usr/bin/chromium unless
 *    PLAYWRIGHT_CHROMIUM_EXECUTABLE is set) and takes the session cookie.
 * 4. Server time: GET / with the cookie, time to first byte and to the end of the HTML: the
 *    first (cold) request; then the median of BENCH_SERVER_RUNS (default 11) after 3 warm-up
 *    requests, interleaved with GET /api/health (a trivial route of the same server) as the
 *    side-by-side baseline; the median of as many requests each after a worker's heartbeat on a
 *    run row (as while a worker runs); and the median of as many each after a run's status
 *    changed (as when a run finishes: the cohort is computed again). GET /review (the review
 *    queue, ranked by low Dice) likewise.
 * 5. Largest contentful paint: BENCH_LCP_RUNS (default 7) fresh page loads, each reading the
 *    last 'largest-contentful-paint' entry of a buffered PerformanceObserver; screenshots of
 *    the cohort page's pages 1 and 2.
 * Prints each number against its budget, writes bench/dashboard/result.json and
 * result-<studies>.json, and, from the result files of several sizes, the cost growth (time
 * and HTML size against studies, with the fitted exponent).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { createDb } from '../../lib/server/db/client';
import { createUser } from '../../lib/server/users/create-user';
import { seedSyntheticStudies } from './seed-studies';

const root = path.resolve(import.meta.dirname, '..', '..');
const STUDIES = Number(process.env.BENCH_STUDIES ?? 5000);
const SERVER_RUNS = Number(process.env.BENCH_SERVER_RUNS ?? 11);
const LCP_RUNS = Number(process.env.BENCH_LCP_RUNS ?? 7);
const BUDGET = { htmlMs: 300, coldMs: 1000, htmlKb: 300, reviewMs: 500, lcpMs: 2500 };
/** Outside test-results/, which Playwright test runs empty. */
const SCREENSHOT = (page: number) => path.join(os.tmpdir(), `iseg-bench-cohort-p${page}.png`);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number) => Math.round(x * 10) / 10;

async function timedGet(url: string, cookie: string): Promise<{ ttfbMs: number; totalMs: number; bytes: number; status: number; body: string }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  const ttfbMs = performance.now() - t0;
  const body = await res.text();
  return { ttfbMs, totalMs: performance.now() - t0, bytes: Buffer.byteLength(body), status: res.status, body };
}

type Timed = Awaited<ReturnType<typeof timedGet>>;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** The cost growth from the result files of several sizes: log-log slope between the smallest and each larger size. */
function growthTable(): string[] {
  const rows = fs
    .readdirSync(import.meta.dirname)
    .filter((f) => /^result-\d+\.json$/.test(f))
    .map((f) => JSON.parse(fs.readFileSync(path.join(import.meta.dirname, f), 'utf8')) as BenchResult)
    .filter((r) => r.server?.cohortFullHtmlMs !== undefined)
    .sort((x, y) => x.studies - y.studies);
  if (rows.length < 2) return [];
  const fit = (get: (r: BenchResult) => number) => {
    // Least-squares slope of log(value) on log(studies).
    const xs = rows.map((r) => Math.log(r.studies));
    const ys = rows.map((r) => Math.log(Math.max(get(r), 1e-3)));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const num = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0);
    const den = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return round2(num / den);
  };
  const cols: [string, (r: BenchResult) => number][] = [
    ['full HTML ms (warm)', (r) => r.server.cohortFullHtmlMs],
    ['after a heartbeat ms', (r) => r.server.cohortAfterHeartbeatMs ?? r.server.cohortFullHtmlMs],
    ['after a status change ms', (r) => r.server.cohortAfterStatusChangeMs ?? NaN],
    ['first request after a start ms', (r) => r.server.cohortColdFirstMs],
    ['HTML kB', (r) => r.server.cohortHtmlKb],
    ['review queue ms', (r) => r.server.reviewFullHtmlMs ?? NaN],
  ];
  const out = [`| measure | ${rows.map((r) => `${r.studies.toLocaleString('en')} studies (${r.date})`).join(' | ')} | fitted exponent |`];
  out.push(`| --- | ${rows.map(() => '---').join(' | ')} | --- |`);
  for (const [name, get] of cols) {
    if (rows.some((r) => Number.isNaN(get(r)))) continue;
    out.push(`| ${name} | ${rows.map((r) => String(get(r))).join(' | ')} | ${fit(get)} |`);
  }
  return out;
}

interface BenchResult {
  date: string;
  studies: number;
  server: {
    cohortFullHtmlMs: number;
    cohortHtmlKb: number;
    cohortColdFirstMs: number;
    cohortAfterHeartbeatMs?: number;
    cohortAfterStatusChangeMs?: number;
    reviewFullHtmlMs?: number;
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-bench-dash-'));
  fs.chmodSync(dataDir, 0o755);
  const [port, pgPort] = [await freePort(), await freePort()];
  const admin = { email: 'admin@bench.test', password: 'admin-password-1' };
  const physicist = { email: 'physicist@bench.test', password: 'physicist-password-1' };
  const env: Record<string, string | undefined> = {
    ...process.env,
    ISEG_DATA_DIR: dataDir,
    PORT: String(port),
    ISEG_PG_PORT: String(pgPort),
    ISEG_SEED_DEMO: '0',
    ISEG_ADMIN_EMAIL: admin.email,
    ISEG_ADMIN_PASSWORD: admin.password,
  };
  delete env.DATABASE_URL;
  const log = (m: string) => console.log(`[bench:dashboard] ${m}`);

  /** Starts the app as npm start does; resolves with its URL, a stop function. */
  const startApp = async () => {
    const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      cwd: root,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    app.stdout!.on('data', (d) => (out += d));
    app.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => app.once('exit', (c) => resolve(c)));
    const stop = async () => {
      app.kill('SIGINT');
      const exit = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
      if (exit === 'timeout') app.kill('SIGKILL');
    };
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the app did not start within 10 minutes:\n${out}`)), 600_000);
        const check = () => {
          const m = /iSeg QA is running at (\S+)/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[1]);
          }
        };
        app.stdout!.on('data', check);
        app.once('exit', (c) => reject(new Error(`the app exited with ${c} during start-up:\n${out}`)));
      });
      return { url, stop };
    } catch (e) {
      await stop();
      throw e;
    }
  };

  let stopApp: (() => Promise<void>) | null = null;
  try {
    log(`starting the app as npm start does (data in ${dataDir}; builds the web app if sources changed)…`);
    let started = await startApp();
    stopApp = started.stop;
    const pw = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const dbUrl = `postgresql://iseg:${encodeURIComponent(pw)}@127.0.0.1:${pgPort}/iseg`;
    let db = createDb(dbUrl);
    await createUser(db, { caller: 'bootstrap', input: { ...physicist, name: 'Bench physicist', role: 'PHYSICIST' } });
    const t0 = performance.now();
    const seeded = await seedSyntheticStudies(db, { studies: STUDIES });
    const seedMs = performance.now() - t0;
    log(`seeded ${seeded.studies} studies, ${seeded.runs} runs in ${(seedMs / 1000).toFixed(1)} s`);
    await db.$executeRawUnsafe('VACUUM ANALYZE');
    // A running app has computed and stored its cohort (CohortSnapshot, after a whole read) before
    // it restarts; the bench does that computation and store here, as the web process does, so the
    // first request after the start starts from the stored cohort. BENCH_NO_SNAPSHOT=1: without
    // one (the web process reads the whole cohort at start).
    if (process.env.BENCH_NO_SNAPSHOT === '1') await db.$executeRawUnsafe('DELETE FROM "CohortSnapshot"');
    else {
      const t1 = performance.now();
      const { prepareCohortViews, flushCohortSnapshots } = await import('../../lib/server/cohort/find-cohort-view');
      await prepareCohortViews(db);
      await flushCohortSnapshots();
      log(`computed and stored the cohort (CohortSnapshot) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    await db.$disconnect();
    log('stopping the app and starting it again, for a first request after a start…');
    await started.stop();
    stopApp = null;
    started = await startApp();
    stopApp = started.stop;
    const baseUrl = started.url;
    db = createDb(dbUrl);

    const browser = await chromium.launch({
      executablePath: process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('Email').fill(physicist.email);
    await page.getByLabel('Password').fill(physicist.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('who').waitFor();
    const cookie = (await context.cookies(baseUrl)).map((c) => `${c.name}=${c.value}`).join('; ');
    await page.close();

    // Server time, interleaved with the trivial route so both see the same machine load. The
    // first request is the first to the cohort page since the app started (the sign-in page
    // and its redirect do not read the cohort).
    const cold = await timedGet(`${baseUrl}/`, cookie);
    const shown = `<strong>${STUDIES.toLocaleString('en')}</strong>`;
    const check = (w: Timed, what: string) => {
      if (w.status !== 200 || !w.body.includes('BENCH-') || !(w.body.includes(shown) || w.body.includes(`<strong>${STUDIES}</strong>`)))
        throw new Error(`GET ${what} did not return the seeded cohort (HTTP ${w.status})`);
    };
    check(cold, '/');
    for (let i = 0; i < 3; i++) {
      await timedGet(`${baseUrl}/api/health`, cookie);
      check(await timedGet(`${baseUrl}/`, cookie), '/');
    }
    // After a worker's heartbeat on a run row (every few seconds while a worker runs).
    const afterHeartbeat: Timed[] = [];
    for (let i = 0; i < SERVER_RUNS; i++) {
      await db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { heartbeatAt: new Date(), progress: 100 } });
      afterHeartbeat.push(await timedGet(`${baseUrl}/`, cookie));
    }
    // After a run's status changed (as when a run finishes: the cohort is computed again). A
    // failed run is toggled between FAILED and CANCELLED: the app's worker leaves both alone
    // (it takes the seeded QUEUED runs, whose models it does not have, and fails them).
    const failed = await db.segmentationRun.findFirstOrThrow({ where: { status: 'FAILED', id: { endsWith: '-r2' } }, select: { id: true } });
    const afterStatus: Timed[] = [];
    for (let i = 0; i < SERVER_RUNS; i++) {
      await db.segmentationRun.update({ where: { id: failed.id }, data: { status: i % 2 === 0 ? 'CANCELLED' : 'FAILED' } });
      afterStatus.push(await timedGet(`${baseUrl}/`, cookie));
    }
    await db.segmentationRun.update({ where: { id: failed.id }, data: { status: 'FAILED' } });
    await db.$disconnect();
    const cohort: Timed[] = [];
    const health: Timed[] = [];
    const review: Timed[] = [];
    await timedGet(`${baseUrl}/review`, cookie);
    for (let i = 0; i < SERVER_RUNS; i++) {
      health.push(await timedGet(`${baseUrl}/api/health`, cookie));
      cohort.push(await timedGet(`${baseUrl}/`, cookie));
      review.push(await timedGet(`${baseUrl}/review`, cookie));
    }
    if (!review.every((r) => r.status === 200 && r.body.includes('data-testid="review-queue"'))) throw new Error('GET /review did not return the review queue');

    // LCP over fresh loads.
    await context.addInitScript(() => {
      const w = window as unknown as { __lcp: number | null; __lcpEl: string };
      w.__lcp = null;
      w.__lcpEl = 'unknown';
      new PerformanceObserver((list) => {
        const e = list.getEntries();
        const last = e[e.length - 1] as PerformanceEntry & { element?: Element | null };
        w.__lcp = last.startTime;
        const x = last.element;
        if (x) w.__lcpEl = `${x.tagName.toLowerCase()}${x.className ? `.${String(x.className).split(' ')[0]}` : ''} "${(x.textContent ?? '').slice(0, 40)}"`;
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    });
    const lcps: number[] = [];
    const lcpElements: string[] = [];
    for (let i = 0; i < LCP_RUNS + 1; i++) {
      const p = await context.newPage();
      await p.goto(`${baseUrl}/`, { waitUntil: 'load' });
      await p.getByTestId('cohort-cases').waitFor();
      await p.waitForTimeout(500);
      const v = await p.evaluate(() => (window as unknown as { __lcp: number | null }).__lcp);
      const el = await p.evaluate(() => (window as unknown as { __lcpEl: string }).__lcpEl);
      if (i > 0 && v !== null) {
        lcps.push(v);
        lcpElements.push(el);
      }
      await p.close();
    }
    // Screenshots of pages 1 and 2 (the charts drawn: they draw when the browser is idle).
    for (const n of [1, 2]) {
      const p = await context.newPage();
      await p.goto(`${baseUrl}/${n > 1 ? `?page=${n}` : ''}`, { waitUntil: 'load' });
      await p.getByTestId('cohort-cases').waitFor();
      await p.getByTestId('cohort-volumes').waitFor({ timeout: 60_000 });
      await p.screenshot({ path: SCREENSHOT(n), fullPage: true, timeout: 60_000 });
      await p.close();
    }
    await browser.close();

    const cpu = os.cpus();
    const load = os.loadavg().map((x) => Math.round(x * 10) / 10);
    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine: {
        host: 'node-2c',
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? 'unknown',
        node: process.version,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtEnd: load,
      },
      studies: STUDIES,
      runs: seeded.runs,
      seedSeconds: Math.round(seedMs / 100) / 10,
      server: {
        runs: SERVER_RUNS,
        cohortTtfbMs: ms(median(cohort.map((x) => x.ttfbMs))),
        cohortFullHtmlMs: ms(median(cohort.map((x) => x.totalMs))),
        cohortHtmlKb: Math.round(median(cohort.map((x) => x.bytes)) / 1024),
        cohortColdFirstMs: ms(cold.totalMs),
        cohortAfterHeartbeatMs: ms(median(afterHeartbeat.map((x) => x.totalMs))),
        cohortAfterStatusChangeMs: ms(median(afterStatus.map((x) => x.totalMs))),
        reviewFullHtmlMs: ms(median(review.map((x) => x.totalMs))),
        reviewHtmlKb: Math.round(median(review.map((x) => x.bytes)) / 1024),
        healthTtfbMs: ms(median(health.map((x) => x.ttfbMs))),
        healthFullMs: ms(median(health.map((x) => x.totalMs))),
      },
      lcp: { runs: lcps.length, medianMs: ms(median(lcps)), allMs: lcps.map(ms), element: lcpElements[lcpElements.length - 1] },
      budgets: [] as { what: string; value: number; budget: number; unit: string; ratio: number; pass: boolean }[],
    };
    const sv = result.server;
    const budget = (what: string, value: number, limit: number, unit: string) =>
      result.budgets.push({ what, value, budget: limit, unit, ratio: round2(value / limit), pass: value < limit });
    budget('cohort page, full HTML (warm)', sv.cohortFullHtmlMs, BUDGET.htmlMs, 'ms');
    budget("cohort page after a worker's heartbeat", sv.cohortAfterHeartbeatMs, BUDGET.htmlMs, 'ms');
    budget("cohort page after a run's status changed", sv.cohortAfterStatusChangeMs, BUDGET.htmlMs, 'ms');
    budget('cohort page, first request after a start', sv.cohortColdFirstMs, BUDGET.coldMs, 'ms');
    budget('cohort page HTML size', sv.cohortHtmlKb, BUDGET.htmlKb, 'kB');
    budget('review queue, full HTML', sv.reviewFullHtmlMs, BUDGET.reviewMs, 'ms');
    budget('largest contentful paint', result.lcp.medianMs, BUDGET.lcpMs, 'ms');
    const json = `${JSON.stringify(result, null, 2)}\n`;
    fs.writeFileSync(path.join(import.meta.dirname, 'result.json'), json);
    fs.writeFileSync(path.join(import.meta.dirname, `result-${STUDIES}.json`), json);
    console.log(json);
    log(`screenshots: ${SCREENSHOT(1)}, ${SCREENSHOT(2)}`);
    log(`${STUDIES.toLocaleString('en')} studies; /api/health ${sv.healthFullMs} ms (the same server's trivial route); load average ${load.join(' ')}`);
    for (const b of result.budgets) log(`${b.pass ? 'PASS' : 'OVER'}  ${b.what}: ${b.value} ${b.unit} = ${b.ratio}× the ${b.budget} ${b.unit} budget`);
    const growth = growthTable();
    if (growth.length) {
      log('cost growth (bench/dashboard/result-<studies>.json; exponent: least-squares slope of log value on log studies):');
      for (const line of growth) console.log(line);
    }
  } finally {
    if (stopApp) await stopApp();
    const leftover = spawnSync('pgrep', ['-f', `-D ${dataDir}`], { encoding: 'utf8' }).stdout.trim();
    if (leftover) console.error(`[bench:dashboard] Postgres still running after stop (pid ${leftover})`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`[bench:dashboard] ${(e as Error).message}`);
    process.exit(1);
  },
);
