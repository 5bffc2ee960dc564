/**
 * `npm start`: database (embedded unless DATABASE_URL is set) → migrations → first admin →
 * demo cohort on first run → clean-up of what crashes left (upload temp folders, unreferenced
 * volume files) → build if needed → Next.js server + one worker + the DICOM node
 * (workers/dicom-node.ts; not with ISEG_DICOM_PORT=0/off). A second start reuses .data/.
 *
 * Supervision: a web server, worker, DICOM node or embedded Postgres that dies is restarted after a pause
 * that doubles with each quick death (1 s, 2 s, 4 s … 30 s); one that dies 5 times in a row
 * within 30 s of starting is not restarted again and everything stops with a message.
 * Ctrl-C (SIGINT), SIGTERM or SIGHUP stop the web server and the worker first, wait for them,
 * then the embedded Postgres: it runs in its own process group, so the terminal's Ctrl-C does
 * not reach it directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseEnv, ConfigError, type Env } from '../lib/server/env';
import { startEmbeddedPostgres, EmbeddedPostgresError, type EmbeddedPostgres } from '../lib/server/db/embedded-postgres';
import { prepareDatabase } from '../lib/server/startup/prepare-database';
import { MigrationError } from '../lib/server/db/migrate';
import { ensureAuthSecret, AuthSecretError } from '../lib/server/auth/auth-secret';
import { createDb } from '../lib/server/db/client';
import { createVolumeStore } from '../lib/server/storage/volume-store';
import { removeOrphanVolumes } from '../lib/server/storage/remove-orphan-volumes';
import { removeUploadLeftovers } from '../lib/server/storage/remove-upload-leftovers';
import { buildIfNeeded, BuildError } from './build-if-needed';
import { RestartPolicy, MAX_QUICK_DEATHS, STABLE_MS } from './restart-policy';
import { DICOM_NODE_V8_OPTIONS } from '../lib/server/dicom-receive/dicom-node-v8-options';
import { nicedCommand } from '../lib/server/startup/niced-command';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const say = (msg: string) => console.log(`[iseg-qa] ${msg}`);

function fatal(msg: string, code = 1): never {
  console.error(`[iseg-qa] ${msg}`);
  process.exit(code);
}

const howDied = (code: number | null, signal: NodeJS.Signals | null) => (signal ? `killed by ${signal}` : `exit code ${code}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One `npm start` per data folder: a second one would stop the first one's database. The lock
 * names the supervisor's pid; a lock of a dead process is taken over.
 */
function otherSupervisor(lockFile: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lockFile, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {}
  return cmdline.includes('start.ts') ? pid : null;
}

const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;

/** Removes what a crash left behind; never stops start-up (a failure is reported). */
async function removeLeftovers(env: Env, databaseUrl: string): Promise<void> {
  try {
    const uploads = await removeUploadLeftovers();
    if (uploads.removed.length) {
      say(
        `Removed ${uploads.removed.length} upload temp folder(s) (${mb(uploads.bytes)}) left by a process that died: ${uploads.removed.map((r) => r.dir).join(', ')}`,
      );
    }
  } catch (e) {
    say(`Could not remove old upload temp folders: ${(e as Error).message}`);
  }
  const db = createDb(databaseUrl);
  try {
    const volumes = await removeOrphanVolumes(db, { store: createVolumeStore({ dir: env.volumeDir }) });
    if (volumes.removed.length) {
      say(
        `Removed ${volumes.removed.length} file(s) (${mb(volumes.bytes)}) from the volume store ${path.relative(root, env.volumeDir) || env.volumeDir} that no study or run references (left by imports or runs that failed or were killed): ${volumes.removed.map((r) => path.basename(r.file)).join(', ')}`,
      );
    }
    if (volumes.removedSliceStores.length) {
      say(
        `Removed ${volumes.removedSliceStores.length} viewer slice-store folder(s) (${mb(volumes.sliceStoreBytes)}) of volumes no study references (deleted studies, replaced series): ${volumes.removedSliceStores.map((r) => path.basename(r.dir)).join(', ')}`,
      );
    }
  } catch (e) {
    say(`Could not check the volume store for unreferenced files: ${(e as Error).message}`);
  } finally {
    await db.$disconnect().catch(() => undefined);
  }
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

async function waitHealthy(url: string, gaveUp: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gaveUp()) throw new Error('the web server keeps exiting during start-up (see above)');
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
  const lockFile = path.join(env.dataDir, 'supervisor.pid');
  const other = otherSupervisor(lockFile);
  if (other !== null) {
    fatal(
      `Another npm start (pid ${other}) is running on the data folder ${path.relative(root, env.dataDir) || env.dataDir}. Stop it first (Ctrl-C in its terminal, or kill ${other}), or use another ISEG_DATA_DIR.`,
      2,
    );
  }
  // Before anything starts, so that a refused secret file stops nothing half-way; after the
  // port check, so that a refused start-up writes nothing (not even a new secret).
  const sessionSecret = authSecret(env);
  fs.mkdirSync(env.dataDir, { recursive: true });
  fs.writeFileSync(lockFile, `${process.pid}\n`);

  let stopping = false;
  const children = new Set<ChildProcess>();
  let pg: EmbeddedPostgres | undefined;
  /** Resolves when the embedded Postgres is up (again); pending while it restarts. */
  let pgReady: Promise<void> = Promise.resolve();
  let databaseUrl = env.DATABASE_URL;
  // Migrations run as the owner; the web server and the workers connect as the app's role
  // (docs/security.md, "Database roles").
  let migrationUrl = env.DATABASE_URL ? env.DATABASE_MIGRATION_URL : undefined;

  const shutdown = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say(`Stopping… (the web server, the worker and the DICOM node first${pg ? ', then the database' : ''})`);
    await Promise.all(
      [...children].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 35_000).unref();
          }),
      ),
    );
    if (pg) {
      say('The web server and the worker have stopped; stopping the database.');
      await pgReady.catch(() => undefined);
      await pg.stop();
      say('Database stopped.');
    }
    fs.rmSync(lockFile, { force: true });
    say('Stopped.');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  if (!databaseUrl) {
    const pgOptions = { dataDir: path.join(env.dataDir, 'pg'), port: env.ISEG_PG_PORT, log: say, ownProcessGroup: true, stopLeftover: true };
    const pgPolicy = new RestartPolicy();
    const watch = (p: EmbeddedPostgres) => {
      pgPolicy.started();
      p.onExit((code, signal) => {
        if (stopping || p !== pg) return;
        let pause = pgPolicy.died();
        if (pause === null) {
          console.error(
            `[iseg-qa] The embedded PostgreSQL (pid ${p.pid}) died (${howDied(code, signal)}), ${MAX_QUICK_DEATHS} times in a row within ${STABLE_MS / 1000} s of starting; not restarting it. Its messages above say why. Stopping.`,
          );
          void shutdown(1);
          return;
        }
        console.error(
          `[iseg-qa] The embedded PostgreSQL (pid ${p.pid}) died (${howDied(code, signal)}); restarting it in ${pause / 1000} s. The web server and the worker reconnect when it is back.`,
        );
        pgReady = (async () => {
          for (;;) {
            await sleep(pause);
            if (stopping) return;
            pgPolicy.started(); // a start that fails counts as a quick death
            try {
              pg = await startEmbeddedPostgres(pgOptions);
              watch(pg);
              say(`Embedded PostgreSQL restarted (pid ${pg.pid}) on 127.0.0.1:${pg.port}.`);
              return;
            } catch (e) {
              const next = pgPolicy.died();
              if (next === null) {
                console.error(`[iseg-qa] The embedded PostgreSQL did not start again ${MAX_QUICK_DEATHS} times in a row: ${(e as Error).message} Stopping.`);
                void shutdown(1);
                return;
              }
              console.error(`[iseg-qa] The embedded PostgreSQL did not start again: ${(e as Error).message} Trying again in ${next / 1000} s.`);
              pause = next;
            }
          }
        })();
      });
    };
    try {
      pg = await startEmbeddedPostgres(pgOptions);
    } catch (e) {
      fs.rmSync(lockFile, { force: true });
      if (e instanceof EmbeddedPostgresError) fatal(e.message);
      throw e;
    }
    watch(pg);
    databaseUrl = pg.appUrl;
    migrationUrl = pg.url;
    say(`Embedded PostgreSQL running on 127.0.0.1:${pg.port} (pid ${pg.pid}; data in ${path.relative(root, path.join(env.dataDir, 'pg')) || pg.dataDir}).`);
  } else {
    say('Using the database at DATABASE_URL.');
  }

  try {
    const prep = await prepareDatabase({
      databaseUrl,
      migrationUrl,
      adminEmail: env.ISEG_ADMIN_EMAIL,
      adminPassword: env.ISEG_ADMIN_PASSWORD,
    });
    if (prep.migrations.applied.length) say(`Applied migrations: ${prep.migrations.applied.join(', ')}`);

    await removeLeftovers(env, databaseUrl);

    try {
      buildIfNeeded({ root, log: say, reuse: process.env.ISEG_REUSE_BUILD === '1' });
    } catch (e) {
      if (e instanceof BuildError) {
        console.error(`[iseg-qa] ${e.message}`);
        return void (await shutdown(1));
      }
      throw e;
    }
    if (stopping) return;

    const url = env.NEXTAUTH_URL ?? `http://${env.HOSTNAME === '0.0.0.0' ? 'localhost' : env.HOSTNAME}:${env.PORT}`;
    const childEnv = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      NEXTAUTH_SECRET: sessionSecret,
      NEXTAUTH_URL: url,
      NEXT_TELEMETRY_DISABLED: '1',
      // scripts/exit-with-supervisor.mjs: children stop when this process is gone (kill -9).
      ISEG_SUPERVISOR_PID: String(process.pid),
    };
    const followSupervisor = ['--import', './scripts/exit-with-supervisor.mjs'];

    /** Starts `args` under supervision: restarted after it dies, with the policy's pauses. */
    const supervise = (name: string, args: string[], opts: { onExit?: (code: number | null) => boolean; onRestart?: () => void; nice?: number } = {}) => {
      const policy = new RestartPolicy();
      let gaveUp = false;
      const start = (restart: boolean): void => {
        const cmd = nicedCommand(process.execPath, [...followSupervisor, ...args], opts.nice ?? 0);
        const child = spawn(cmd.command, cmd.args, { stdio: 'inherit', env: childEnv });
        policy.started();
        children.add(child);
        say(`The ${name} ${restart ? 'restarted' : 'started'} (pid ${child.pid}).`);
        if (restart) opts.onRestart?.();
        child.on('exit', (code, signal) => {
          children.delete(child);
          if (stopping) return;
          if (opts.onExit?.(code) === false) return;
          const pause = policy.died();
          if (pause === null) {
            gaveUp = true;
            console.error(
              `[iseg-qa] The ${name} (pid ${child.pid}) died (${howDied(code, signal)}), ${MAX_QUICK_DEATHS} times in a row within ${STABLE_MS / 1000} s of starting; not restarting it again. Its messages above say why. Stopping everything: fix the cause and run npm start again.`,
            );
            void shutdown(1);
            return;
          }
          console.error(`[iseg-qa] The ${name} (pid ${child.pid}) died (${howDied(code, signal)}); restarting it in ${pause / 1000} s.`);
          void (async () => {
            await sleep(pause);
            // Restarting a worker against a database that is itself restarting would only fail.
            await pgReady.catch(() => undefined);
            if (!stopping) start(true);
          })();
        });
      };
      start(false);
      return { gaveUp: () => gaveUp };
    };

    let started = false;
    const web = supervise('web server', ['node_modules/next/dist/bin/next', 'start', '-p', String(env.PORT), '-H', env.HOSTNAME], {
      onRestart: () => {
        if (!started) return;
        void waitHealthy(url, () => stopping, 120_000).then(
          () => say(`The web server answers again at ${url}`),
          () => undefined,
        );
      },
    });
    // Below the web server's CPU priority (ISEG_WORKER_NICE): a page is served first while a run computes.
    supervise('worker', ['--import', 'tsx', 'workers/main.ts'], {
      nice: env.ISEG_WORKER_NICE,
      onExit: (code) => {
        if (code !== 3) return true; // a dead worker loses no work: its jobs are retried
        // The configured model or execution provider cannot start: restarting will not help.
        console.error('[iseg-qa] The worker cannot start its model (see the message above). Fix ISEG_MODEL / ISEG_EXECUTION_PROVIDER and start again.');
        void shutdown(1);
        return false;
      },
    });

    if (env.ISEG_DICOM_PORT !== 0) {
      // The DICOM listener (workers/dicom-node.ts): restarted like the worker; nothing received
      // is lost when it dies (its spool is picked up on restart). A port it cannot bind (exit 4)
      // is reported and not retried; the rest of the app keeps running.
      supervise('DICOM node', [...DICOM_NODE_V8_OPTIONS, '--import', 'tsx', 'workers/dicom-node.ts'], {
        onExit: (code) => {
          if (code === 0) return false;
          if (code !== 4) return true;
          console.error(
            `[iseg-qa] The DICOM listener is not running (see the message above); the rest of iSeg QA runs. Free port ${env.ISEG_DICOM_PORT} or set ISEG_DICOM_PORT (off: no listener), then start again.`,
          );
          return false;
        },
      });
    }

    await waitHealthy(url, () => web.gaveUp() || stopping, 120_000);
    started = true;
    console.log('');
    say(`iSeg QA is running at ${url}`);
    if (env.ISEG_DICOM_PORT !== 0)
      say(`DICOM listener: AE title ${env.ISEG_DICOM_AET} on ${env.ISEG_DICOM_HOST}:${env.ISEG_DICOM_PORT} (received studies on the Receive page).`);
    if (prep.admin.kind === 'setup-token') {
      say(`No administrator exists yet. Open ${url}/setup?token=${prep.admin.token}`);
      say(`  (one-time setup token: ${prep.admin.token}) and create the first admin, then sign in.`);
    } else if (prep.admin.kind === 'created-from-env') {
      say(`Sign in as ${prep.admin.email} with the password in ISEG_ADMIN_PASSWORD.`);
    } else {
      say('Sign in with your account. Press Ctrl-C to stop.');
    }
    if (env.ISEG_SEED_DEMO === '1') {
      // The first-run demo cohort is seeded after the web server answers (scripts/seed-demo.ts):
      // studies appear on the cohort page as they import, with the progress above them. Ctrl-C
      // stops it between patients and the next start resumes it; if it fails, the app keeps running.
      const seed = nicedCommand(process.execPath, [...followSupervisor, '--import', 'tsx', 'scripts/seed-demo.ts'], env.ISEG_WORKER_NICE);
      const seeder = spawn(seed.command, seed.args, { stdio: 'inherit', env: childEnv });
      children.add(seeder);
      seeder.on('exit', (code, signal) => {
        children.delete(seeder);
        if (!stopping && code !== 0)
          console.error(`[iseg-qa] Seeding the demo cohort stopped (${howDied(code, signal)}); the app keeps running, and the next start resumes the seed.`);
      });
    }
  } catch (e) {
    if (stopping) return;
    if (e instanceof MigrationError) console.error(`[iseg-qa] ${e.message}`);
    else console.error(`[iseg-qa] Start-up failed: ${(e as Error).message}`);
    await shutdown(1);
  }
}

void main();
