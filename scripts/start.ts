/**
 * `npm start`: database (embedded unless DATABASE_URL is set) → migrations → first admin →
 * demo cohort on first run → build if needed → Next.js server + one worker. Ctrl-C stops all
 * of it, the embedded Postgres last. A second start reuses .data/.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseEnv, ConfigError, type Env } from '../lib/server/env';
import { startEmbeddedPostgres, EmbeddedPostgresError, type EmbeddedPostgres } from '../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../lib/server/db/prepare-database';
import { MigrationError } from '../lib/server/db/migrate';
import { ensureAuthSecret, AuthSecretError } from '../lib/server/auth/auth-secret';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const say = (msg: string) => console.log(`[iseg-qa] ${msg}`);

function fatal(msg: string, code = 1): never {
  console.error(`[iseg-qa] ${msg}`);
  process.exit(code);
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.once('listening', () => srv.close(() => resolve(true)));
    srv.listen(port, host);
  });
}

function authSecret(env: Env): string {
  try {
    const r = ensureAuthSecret({ dataDir: env.dataDir, provided: env.NEXTAUTH_SECRET });
    if (r.source === 'generated') say(`Generated a session secret in ${path.relative(root, r.file!)} (mode 600).`);
    return r.secret;
  } catch (e) {
    if (e instanceof AuthSecretError) fatal(e.message, 2);
    throw e;
  }
}

/** A fingerprint of everything `next build` reads, so we rebuild only after a change. */
function sourceFingerprint(): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (e !== 'generated' && e !== 'node_modules') walk(path.join(p, e));
    } else if (/\.(tsx?|css|json|js|mjs)$/.test(p)) {
      h.update(p).update(fs.readFileSync(p));
    }
  };
  for (const p of ['app', 'components', 'lib', 'proxy.ts', 'next.config.js', 'package-lock.json', 'prisma/schema.prisma']) walk(p);
  return h.digest('hex');
}

function buildIfNeeded(): void {
  const stamp = path.join('.next', 'iseg-source-fingerprint');
  const fp = sourceFingerprint();
  if (fs.existsSync(path.join('.next', 'BUILD_ID')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === fp) return;
  say('Building the web app (first start or sources changed)…');
  const r = spawnSync(process.execPath, ['node_modules/next/dist/bin/next', 'build'], {
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (r.status !== 0) fatal('`next build` failed; the messages above say why.');
  fs.writeFileSync(stamp, fp);
}

async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error('the web server exited during start-up (see above)');
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`the web server did not answer ${url}/api/health within ${timeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  let env: Env;
  try {
    env = parseEnv();
  } catch (e) {
    if (e instanceof ConfigError) fatal(e.message, 2);
    throw e;
  }
  if (!(await portFree(env.PORT, env.HOSTNAME))) {
    fatal(`Port ${env.PORT} on ${env.HOSTNAME} is already in use. Stop whatever is using it, or start with PORT=<another port> npm start.`, 2);
  }
  // Before anything starts, so that a refused secret file stops nothing half-way; after the
  // port check, so that a refused start-up writes nothing (not even a new secret).
  const sessionSecret = authSecret(env);

  let pg: EmbeddedPostgres | undefined;
  let databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) {
    try {
      pg = await startEmbeddedPostgres({ dataDir: path.join(env.dataDir, 'pg'), port: env.ISEG_PG_PORT, log: say });
    } catch (e) {
      if (e instanceof EmbeddedPostgresError) fatal(e.message);
      throw e;
    }
    databaseUrl = pg.url;
    say(`Embedded PostgreSQL running on 127.0.0.1:${pg.port} (data in ${path.relative(root, path.join(env.dataDir, 'pg')) || pg.dataDir}).`);
  } else {
    say('Using the database at DATABASE_URL.');
  }

  const children: ChildProcess[] = [];
  let stopping = false;
  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('Stopping…');
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 35_000).unref();
          }),
      ),
    );
    if (pg) await pg.stop();
    say('Stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const prep = await prepareDatabase({
      databaseUrl,
      adminEmail: env.ISEG_ADMIN_EMAIL,
      adminPassword: env.ISEG_ADMIN_PASSWORD,
      seedDemo:
        env.ISEG_SEED_DEMO === '1'
          ? (() => {
              const dims = env.ISEG_DEMO_DIMS.split(',').map(Number) as [number, number, number];
              const fovMm = [320, 320, 192];
              return {
                dataDir: env.dataDir,
                volumeDir: env.volumeDir,
                patients: env.ISEG_DEMO_PATIENTS,
                dims,
                spacingMm: dims.map((n, a) => fovMm[a] / n) as [number, number, number],
              };
            })()
          : null,
      log: say,
    });
    if (prep.migrations.applied.length) say(`Applied migrations: ${prep.migrations.applied.join(', ')}`);
    if (prep.demoSeeded) say('Seeded the demo cohort: synthetic 4D CT patients with simulated outcomes (not real patients).');

    buildIfNeeded();

    const url = env.NEXTAUTH_URL ?? `http://${env.HOSTNAME === '0.0.0.0' ? 'localhost' : env.HOSTNAME}:${env.PORT}`;
    const childEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: sessionSecret,
      NEXTAUTH_URL: url,
      NEXT_TELEMETRY_DISABLED: '1',
    };
    const web = spawn(process.execPath, ['node_modules/next/dist/bin/next', 'start', '-p', String(env.PORT), '-H', env.HOSTNAME], {
      stdio: 'inherit',
      env: childEnv,
    });
    children.push(web);
    web.on('exit', (code) => {
      if (!stopping) {
        console.error(`[iseg-qa] The web server exited (code ${code}); stopping.`);
        void shutdown(1);
      }
    });

    const startWorker = (): void => {
      const w = spawn(process.execPath, ['--import', 'tsx', 'workers/main.ts'], { stdio: 'inherit', env: childEnv });
      children.push(w);
      w.on('exit', (code, signal) => {
        if (stopping) return;
        if (code === 3) {
          // The configured model or execution provider cannot start: restarting will not help.
          console.error('[iseg-qa] The worker cannot start its model (see the message above). Fix ISEG_MODEL / ISEG_EXECUTION_PROVIDER and start again.');
          void shutdown(1);
          return;
        }
        // A dead worker loses no work (its jobs are retried); restart it after a pause.
        console.error(`[iseg-qa] The worker exited (${signal ?? `code ${code}`}); restarting it in 5 s.`);
        setTimeout(() => !stopping && startWorker(), 5_000);
      });
    };
    startWorker();

    await waitHealthy(url, web, 60_000);
    console.log('');
    say(`iSeg QA is running at ${url}`);
    if (prep.admin.kind === 'setup-token') {
      say(`No administrator exists yet. Open ${url}/setup?token=${prep.admin.token}`);
      say(`  (one-time setup token: ${prep.admin.token}) and create the first admin, then sign in.`);
    } else if (prep.admin.kind === 'created-from-env') {
      say(`Sign in as ${prep.admin.email} with the password in ISEG_ADMIN_PASSWORD.`);
    } else {
      say('Sign in with your account. Press Ctrl-C to stop.');
    }
  } catch (e) {
    if (e instanceof MigrationError) console.error(`[iseg-qa] ${e.message}`);
    else console.error(`[iseg-qa] Start-up failed: ${(e as Error).message}`);
    await shutdown(1);
  }
}

void main();
