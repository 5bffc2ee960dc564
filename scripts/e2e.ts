/**
 * `npm run test:e2e`: starts the app exactly as `npm start` does (scripts/start.ts) in a
 * throw-away data directory on free ports, seeds one account per role, runs Playwright in
 * headless Chromium, then stops the app with SIGINT (as Ctrl-C would) and checks it stopped.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDb } from '../lib/server/db/client';
import { createUser } from '../lib/server/users/create-user';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const E2E_USERS = {
  ADMIN: { email: 'admin@e2e.test', password: 'admin-password-1' },
  PHYSICIST: { email: 'physicist@e2e.test', password: 'physicist-password-1' },
  RESEARCHER: { email: 'researcher@e2e.test', password: 'researcher-password-1' },
  REVIEWER: { email: 'reviewer@e2e.test', password: 'reviewer-password-1' },
} as const;

async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-'));
  fs.chmodSync(dataDir, 0o755);
  const [port, pgPort, dicomPort] = [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string | undefined> = {
    ...process.env,
    ISEG_DATA_DIR: dataDir,
    PORT: String(port),
    ISEG_PG_PORT: String(pgPort),
    // A free port for the DICOM listener too, so a second run (or a department's node on 11112)
    // on the same machine does not collide with this one.
    ISEG_DICOM_PORT: String(dicomPort),
    ISEG_SEED_DEMO: '1',
    // The worker's lower CPU priority (ISEG_WORKER_NICE, default 10) is for a server whose other
    // load is our own web server; on the shared test machine other jobs run at priority 0 and a
    // niced worker would wait behind them, past the specs' timeouts for the demo's runs.
    // tests/unit/start/niced-command.test.ts checks the priority itself.
    ISEG_WORKER_NICE: process.env.ISEG_WORKER_NICE ?? '0',
    // The demo cohort as `npm start` seeds it (40 synthetic 4D CT patients), on small grids.
    ISEG_DEMO_PATIENTS: '40',
    ISEG_DEMO_DIMS: '32,32,16',
    // The bundled demo model segments the seeded studies in the background (a few seconds each
    // on these small grids), so the viewer, review and jobs specs see finished runs.
    ISEG_MODEL: 'demo',
  };
  // The first admin is created in the browser through the one-time setup token, as a new
  // install does (tests/e2e/first-run.setup.ts).
  delete env.DATABASE_URL;
  delete env.ISEG_ADMIN_EMAIL;
  delete env.ISEG_ADMIN_PASSWORD;
  const startedAt = Date.now();
  const app = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  app.stdout!.on('data', (d) => {
    out += d;
    process.stdout.write(d);
  });
  app.stderr!.on('data', (d) => {
    out += d;
    process.stderr.write(d);
  });
  const exited = new Promise<number | null>((resolve) => app.once('exit', (c) => resolve(c)));
  let code = 1;
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      // A first start may build Next (minutes on a loaded 2-core machine) before the web server
      // answers, so the limit is generous and can be raised (E2E_START_TIMEOUT_S).
      const limitS = Number(process.env.E2E_START_TIMEOUT_S ?? 900);
      const t = setTimeout(() => reject(new Error(`the app did not start within ${limitS} s (E2E_START_TIMEOUT_S)`)), limitS * 1000);
      app.stdout!.on('data', () => {
        const m = /iSeg QA is running at (\S+)/.exec(out);
        // The sign-in lines follow the URL line, possibly in a later chunk.
        if (m && /one-time setup token: \S+\)|Sign in /.test(out)) {
          clearTimeout(t);
          resolve(m[1]);
        }
      });
      app.once('exit', (c) => reject(new Error(`the app exited with ${c} during start-up`)));
    });
    const token = /one-time setup token: (\S+)\)/.exec(out)?.[1];
    if (!token) throw new Error('npm start did not print a setup token on first start');
    // How long a first start keeps a new user waiting (issue: usable within a minute).
    const login = await fetch(`${baseUrl}/login`);
    if (login.status !== 200) throw new Error(`the sign-in page answered ${login.status}`);
    console.log(`[e2e] the sign-in page answered ${((Date.now() - startedAt) / 1000).toFixed(1)} s after npm start`);
    const pw = fs.readFileSync(path.join(dataDir, 'pg-password'), 'utf8').trim();
    const databaseUrl = `postgresql://iseg:${encodeURIComponent(pw)}@127.0.0.1:${pgPort}/iseg`;
    const db = createDb(databaseUrl);
    // The demo cohort is seeded in the background after the web server answers; the specs
    // expect all of it.
    for (;;) {
      const seed = await db.demoSeed.findUnique({ where: { id: 1 } });
      if (seed?.state === 'done') break;
      if (seed?.state === 'failed') throw new Error(`seeding the demo cohort failed: ${seed.error}`);
      if (app.exitCode !== null) throw new Error('the app exited while seeding the demo cohort');
      if (Date.now() - startedAt > Number(process.env.E2E_START_TIMEOUT_S ?? 900) * 1000)
        throw new Error(`the demo cohort was not seeded within ${process.env.E2E_START_TIMEOUT_S ?? 900} s of npm start (E2E_START_TIMEOUT_S)`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    console.log(`[e2e] the demo cohort was seeded ${((Date.now() - startedAt) / 1000).toFixed(1)} s after npm start`);
    for (const role of ['PHYSICIST', 'RESEARCHER', 'REVIEWER'] as const) {
      await createUser(db, { caller: 'bootstrap', input: { ...E2E_USERS[role], name: `E2E ${role.toLowerCase()}`, role } });
    }
    // The seeded patients' pseudonyms and identifiers, for specs that must find the one and
    // never the other.
    const demo = await db.patient.findMany({ include: { identity: true }, orderBy: { pseudonym: 'asc' } });
    const demoPatients = demo.map((p) => ({ pseudonym: p.pseudonym, mrn: p.identity?.mrn ?? null, name: p.identity?.name ?? null }));
    await db.$disconnect();
    const r = spawnSync(process.execPath, ['node_modules/@playwright/test/cli.js', 'test', ...process.argv.slice(2)], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        E2E_BASE_URL: baseUrl,
        E2E_USERS: JSON.stringify(E2E_USERS),
        E2E_SETUP_TOKEN: token,
        E2E_DEMO_PATIENTS: JSON.stringify(demoPatients),
        // For specs that look up seeded ids (the role matrix fills /studies/[id] with a real one).
        E2E_DATABASE_URL: databaseUrl,
        // The DICOM listener's port (tests/e2e/dicom-node.spec.ts sends a study to it with storescu).
        E2E_DICOM_PORT: String(dicomPort),
      },
    });
    code = r.status ?? 1;
  } catch (e) {
    console.error(`[e2e] ${(e as Error).message}`);
  } finally {
    app.kill('SIGINT');
    const exit = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000))]);
    if (exit === 'timeout' || !out.includes('[iseg-qa] Stopped.')) {
      console.error('[e2e] the app did not stop cleanly on SIGINT');
      app.kill('SIGKILL');
      code = code || 1;
    }
    const leftover = spawnSync('pgrep', ['-f', `-D ${dataDir}`], { encoding: 'utf8' }).stdout.trim();
    if (leftover) {
      console.error(`[e2e] Postgres still running after stop (pid ${leftover})`);
      code = code || 1;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}

main().then((c) => process.exit(c));
