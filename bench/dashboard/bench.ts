/**
 * `npm run bench:dashboard`: the cohort page at 5,000 studies.
 *
 * 1. Starts the app as `npm start` does (scripts/start.ts) in a throw-away data directory on
 *    free ports, without the demo cohort.
 * 2. Seeds 5,000 studies with succeeded runs and stored summaries (seed-studies.ts).
 * 3. Signs in as a physicist in headless Chromium (Debian's /usr/bin/chromium unless
 *    PLAYWRIGHT_CHROMIUM_EXECUTABLE is set) and takes the session cookie.
 * 4. Server time: GET / with the cookie, time to first byte and to the end of the HTML: the
 *    first (cold) request; then the median of BENCH_SERVER_RUNS (default 11) after 3 warm-up
 *    requests, interleaved with GET /api/health (a trivial route of the same server) as the
 *    side-by-side baseline; then the median of as many requests each after a run row changed
 *    (as while a worker runs), which recomputes the statistics.
 * 5. Largest contentful paint: BENCH_LCP_RUNS (default 7) fresh page loads, each reading the
 *    last 'largest-contentful-paint' entry of a buffered PerformanceObserver.
 * Prints a table and writes bench/dashboard/result.json. Targets: server < 300 ms, LCP < 2.5 s.
 * Set BENCH_STUDIES for another cohort size.
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
const SERVER_BUDGET_MS = 300;
const LCP_BUDGET_MS = 2500;
/** Outside test-results/, which Playwright test runs empty. */
const SCREENSHOT = path.join(os.tmpdir(), 'iseg-bench-cohort.png');

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
  const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  app.stdout!.on('data', (d) => (out += d));
  app.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => app.once('exit', (c) => resolve(c)));
  const log = (m: string) => console.log(`[bench:dashboard] ${m}`);
  try {
    log(`starting the app as npm start does (data in ${dataDir}; builds the web app if sources changed)…`);
    const baseUrl = await new Promise<string>((resolve, reject) => {
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
    const pw = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const db = createDb(`postgresql://iseg:${encodeURIComponent(pw)}@127.0.0.1:${pgPort}/iseg`);
    await createUser(db, { caller: 'bootstrap', input: { ...physicist, name: 'Bench physicist', role: 'PHYSICIST' } });
    const t0 = performance.now();
    const seeded = await seedSyntheticStudies(db, { studies: STUDIES });
    const seedMs = performance.now() - t0;
    log(`seeded ${seeded.studies} studies, ${seeded.runs} runs in ${(seedMs / 1000).toFixed(1)} s`);
    await db.$executeRawUnsafe('ANALYZE');

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

    // Server time, interleaved with the trivial route so both see the same machine load.
    // The first request is cold (nothing in Postgres' buffers or the server's JIT yet); every
    // view runs the cohort query and the statistics (nothing is cached between views).
    const cold = await timedGet(`${baseUrl}/`, cookie);
    for (let i = 0; i < 3; i++) {
      await timedGet(`${baseUrl}/api/health`, cookie);
      const w = await timedGet(`${baseUrl}/`, cookie);
      if (w.status !== 200 || !w.body.includes('BENCH-') || !w.body.includes(`<strong>${STUDIES}</strong>`))
        throw new Error(`GET / did not return the seeded cohort (HTTP ${w.status})`);
    }
    // After a change (a run's row updated, as a worker does): the statistics are recomputed.
    const changed: Awaited<ReturnType<typeof timedGet>>[] = [];
    for (let i = 0; i < SERVER_RUNS; i++) {
      await db.segmentationRun.update({ where: { id: 'bench-00000-r1' }, data: { heartbeatAt: new Date() } });
      changed.push(await timedGet(`${baseUrl}/`, cookie));
    }
    await db.$disconnect();
    const cohort: Awaited<ReturnType<typeof timedGet>>[] = [];
    const health: Awaited<ReturnType<typeof timedGet>>[] = [];
    for (let i = 0; i < SERVER_RUNS; i++) {
      health.push(await timedGet(`${baseUrl}/api/health`, cookie));
      cohort.push(await timedGet(`${baseUrl}/`, cookie));
    }

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
      if (i === 0) {
        await p.screenshot({ path: SCREENSHOT, fullPage: true });
      } else if (v !== null) {
        lcps.push(v);
        lcpElements.push(el);
      }
      await p.close();
    }
    await browser.close();

    const cpu = os.cpus();
    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine: {
        host: 'node-2c',
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? 'unknown',
        node: process.version,
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
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
        cohortAfterChangeFullHtmlMs: ms(median(changed.map((x) => x.totalMs))),
        healthTtfbMs: ms(median(health.map((x) => x.ttfbMs))),
        healthFullMs: ms(median(health.map((x) => x.totalMs))),
      },
      lcp: { runs: lcps.length, medianMs: ms(median(lcps)), allMs: lcps.map(ms), element: lcpElements[lcpElements.length - 1] },
      ratios: {} as Record<string, number>,
    };
    result.ratios = {
      cohortFullHtmlVsHealth: Math.round((result.server.cohortFullHtmlMs / result.server.healthFullMs) * 10) / 10,
      cohortFullHtmlVsBudget300ms: Math.round((result.server.cohortFullHtmlMs / SERVER_BUDGET_MS) * 100) / 100,
      cohortTtfbVsBudget300ms: Math.round((result.server.cohortTtfbMs / SERVER_BUDGET_MS) * 100) / 100,
      cohortAfterChangeVsBudget300ms: Math.round((result.server.cohortAfterChangeFullHtmlMs / SERVER_BUDGET_MS) * 100) / 100,
      lcpVsBudget2500ms: Math.round((result.lcp.medianMs / LCP_BUDGET_MS) * 100) / 100,
    };
    fs.writeFileSync(path.join(import.meta.dirname, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
    log(`screenshot of the page: ${SCREENSHOT}`);
    log(`first request (cold) ${result.server.cohortColdFirstMs} ms; after a data change ${result.server.cohortAfterChangeFullHtmlMs} ms`);
    log(
      `cohort page (${STUDIES} studies): TTFB ${result.server.cohortTtfbMs} ms, full HTML ${result.server.cohortFullHtmlMs} ms (${result.ratios.cohortFullHtmlVsBudget300ms}× the 300 ms budget; /api/health ${result.server.healthFullMs} ms), LCP ${result.lcp.medianMs} ms (${result.ratios.lcpVsBudget2500ms}× the 2.5 s budget)`,
    );
  } finally {
    app.kill('SIGINT');
    const exit = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (exit === 'timeout') app.kill('SIGKILL');
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
