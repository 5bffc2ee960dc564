/**
 * A look at /monitoring with the demo scanner change's signal, without waiting an hour for the
 * demo model to segment the whole demo cohort: starts the app as `npm start` does (a throw-away
 * data folder, free ports, no demo seed, the existing Next build: ISEG_REUSE_BUILD=1), stores the
 * SYN-B studies with the ITV Dice measured by demo-scanner-signal.ts
 * (tests/fixtures/spc/demo-scanner-signal.json; the other summary numbers are placeholders), saves
 * the demo's monitoring configuration (DEMO_ALERT_CONFIG) as the seed does, which evaluates the
 * alerts, then signs a physicist in with headless Chromium and screenshots the page split by
 * institution (Shewhart, EWMA, CUSUM) and the alert list into OUT (default test-results/screens).
 *
 *   npx tsx bench/monitoring/demo-signal-screenshot.ts [OUT]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from '@playwright/test';
import { createDb } from '@/lib/server/db/client';
import { createUser } from '@/lib/server/users/create-user';
import { saveMonitoringConfig } from '@/lib/server/monitoring/save-monitoring-config';
import { runSummaryCreate } from '@/lib/server/runs/run-summary.types';
import { DEMO_ALERT_CONFIG } from '@/lib/core/phantom/scanner';
import { monitoringRunSummary } from '../../tests/integration/helpers/monitoring-run-summary';

const root = process.cwd();
const out = path.resolve(process.argv[2] ?? 'test-results/screens');
fs.mkdirSync(out, { recursive: true });
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function main(): Promise<void> {
  const fixture = JSON.parse(fs.readFileSync(path.join(root, 'tests/fixtures/spc/demo-scanner-signal.json'), 'utf8')) as {
    studies: { patientId: string; studyDate: string; newScanner: boolean; itvDice: number }[];
  };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-demo-signal-'));
  const [port, pgPort, dicomPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ISEG_DATA_DIR: dataDir,
    PORT: String(port),
    ISEG_PG_PORT: String(pgPort),
    ISEG_DICOM_PORT: String(dicomPort),
    ISEG_SEED_DEMO: '0',
    ISEG_REUSE_BUILD: '1',
  };
  delete env.DATABASE_URL;
  delete env.ISEG_ADMIN_EMAIL;
  delete env.ISEG_ADMIN_PASSWORD;
  const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  app.stdout!.on('data', (d) => (log += d));
  app.stderr!.on('data', (d) => (log += d));
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the app did not start within 600 s:\n${log.slice(-2000)}`)), 600_000);
      const check = () => {
        const m = /iSeg QA is running at (\S+)/.exec(log);
        if (m && /one-time setup token: \S+\)|Sign in /.test(log)) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      app.stdout!.on('data', check);
      app.once('exit', (c) => reject(new Error(`the app exited with ${c}:\n${log.slice(-2000)}`)));
    });
    const pw = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const db = createDb(`postgresql://iseg:${encodeURIComponent(pw)}@127.0.0.1:${pgPort}/iseg`);
    const user = { email: 'physicist@demo-signal.test', password: 'physicist-password-1' };
    await createUser(db, { caller: 'bootstrap', input: { ...user, name: 'Demo signal physicist', role: 'PHYSICIST' } });
    const inst = await db.institution.create({ data: { name: 'Phantom University Clinic' } });
    const model = await db.modelVersion.create({ data: { name: 'demo', version: '1.0.0', sha256: 'd'.repeat(64), manifest: {} } });
    let n = 0;
    for (const s of fixture.studies) {
      n++;
      const p = await db.patient.create({ data: { pseudonym: `SYN${s.patientId.slice(-4)}`, institutionId: inst.id } });
      const date = new Date(`${s.studyDate.slice(0, 4)}-${s.studyDate.slice(4, 6)}-${s.studyDate.slice(6)}T00:00:00Z`);
      const study = await db.study.create({
        data: {
          patientId: p.id,
          studyInstanceUid: `2.25.1707${n}`,
          contentHash: `demo-signal-${s.patientId}`,
          studyDate: date,
          physician: 'SYNTH^CLARA^DR',
          scanner: s.newScanner ? 'SYNTHETIC PhantomScan Ultra 256' : 'SYNTHETIC PhantomScan Pro 128',
        },
      });
      await db.segmentationRun.create({
        data: {
          studyId: study.id,
          modelVersionId: model.id,
          status: 'SUCCEEDED',
          queuedAt: date,
          finishedAt: date,
          summary: { create: runSummaryCreate(monitoringRunSummary(s.itvDice)) },
        },
      });
    }
    const saved = await saveMonitoringConfig(db, {
      caller: { userId: 'system:demo-signal', email: 'system:demo-signal', name: 'demo signal', role: 'PHYSICIST' },
      input: DEMO_ALERT_CONFIG,
      basedOnVersion: 0,
      note: 'demo-signal-screenshot',
    });
    console.log(`stored ${n} studies; configuration version ${saved.version}; ${saved.newAlerts} alerts`);
    const alerts = await db.monitoringAlert.findMany({ orderBy: { createdAt: 'asc' } });
    for (const a of alerts) console.log(JSON.stringify(a));
    await db.$disconnect();

    const browser = await chromium.launch({ executablePath: fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined, args: ['--no-sandbox'] });
    const context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const csrf = (await (await context.request.get('/api/auth/csrf')).json()) as { csrfToken: string };
    await context.request.post('/api/auth/callback/credentials', {
      form: { csrfToken: csrf.csrfToken, ...user, callbackUrl: '/', json: 'true' },
      maxRedirects: 0,
    });
    for (const chart of ['shewhart', 'ewma', 'cusum']) {
      await page.goto(`/monitoring?split=institution&baseline=${DEMO_ALERT_CONFIG.baselineN}&chart=${chart}`);
      await page.locator('svg.recharts-surface').first().waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500);
      await page.screenshot({ path: path.join(out, `demo-signal-${chart}.png`), fullPage: true });
      const outTable = await page
        .getByTestId('monitoring-series-0')
        .getByTestId('monitoring-out-of-control')
        .textContent()
        .catch(() => '(no table)');
      console.log(`${chart}: ${outTable?.replace(/\s+/g, ' ').slice(0, 600)}`);
    }
    await page.goto('/monitoring#alerts');
    await page.screenshot({ path: path.join(out, 'demo-signal-alerts.png'), fullPage: true });
    await browser.close();
    console.log(`screenshots in ${out}`);
  } finally {
    app.kill('SIGINT');
    await new Promise((r) => app.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
