/**
 * `npm start` (scripts/start.ts) as a user runs it, for the process-level fault tests: its own
 * process group (as in a terminal), a throw-away data folder and temp dir, free ports, no demo
 * cohort, the small tiny-test model. The web app must be built once (`ensureWebBuild`); a build
 * that exists is reused even when sources changed since (ISEG_REUSE_BUILD=1), so the suite
 * builds at most once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { buildIfNeeded } from '../../../scripts/build-if-needed';
import { TEST_MODELS_DIR } from '../helpers/test-models';

export const root = path.resolve(import.meta.dirname, '..', '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function ensureWebBuild(): void {
  buildIfNeeded({ root, log: (l) => console.log(`[fault tests] ${l}`), reuse: true });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitUntil<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000, everyMs = 200): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface AppSettings {
  dataDir: string;
  tmpDir: string;
  port: number;
  pgPort: number;
}

/** Environment for the app and for the CLI joining it (no DATABASE_URL: the embedded database). */
export function appEnv(s: AppSettings): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ISEG_DATA_DIR: s.dataDir,
    PORT: String(s.port),
    ISEG_PG_PORT: String(s.pgPort),
    ISEG_SEED_DEMO: '0',
    ISEG_MODELS_DIR: TEST_MODELS_DIR,
    ISEG_MODEL: 'tiny-test',
    ISEG_REUSE_BUILD: '1',
    // No DICOM listener unless a test asks for one (on a free port): 11112 may be taken.
    ISEG_DICOM_PORT: 'off',
    TMPDIR: s.tmpDir,
    ISEG_ADMIN_EMAIL: 'admin@faults.test',
    ISEG_ADMIN_PASSWORD: 'fault-tests-password',
  };
  delete env.DATABASE_URL;
  delete env.DATABASE_MIGRATION_URL;
  delete env.NEXTAUTH_URL;
  delete env.NEXTAUTH_SECRET;
  return env;
}

export interface App {
  child: ChildProcess;
  pid: number;
  output(): string;
  /** Resolves with the first match of `re` in the output after `from` (a length of output()). */
  waitFor(re: RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<RegExpExecArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startApp(s: AppSettings, extraEnv: Record<string, string> = {}): App {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...appEnv(s), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, like a command typed in a terminal: Ctrl-C and kill -9 of the
    // group reach the supervisor and its children (and, by design, not the embedded Postgres).
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    pid: child.pid!,
    output: () => out,
    exited,
    async waitFor(re, { from = 0, timeoutMs = 120_000 } = {}) {
      return waitUntil(
        `${re} in the output of npm start`,
        () => {
          const m = re.exec(out.slice(from));
          if (m) return m;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}) before ${re}:\n${out.slice(-4000)}`);
          return null;
        },
        timeoutMs,
      );
    },
  };
}

/** The pid in the cluster's postmaster.pid, when a server is running there. */
export function postmasterPid(dataDir: string): number | null {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : null;
  } catch {
    return null;
  }
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, signal);
  } catch {}
}

/**
 * The cluster's real folder: as root, the "postgres" user cannot enter the 0700 data folder, so
 * the cluster lives under /var/lib/iseg-qa and .data/pg links to it (embedded-postgres.ts).
 */
export function removeRelocatedCluster(dataDir: string): void {
  let real: string;
  try {
    real = fs.realpathSync(path.join(dataDir, 'pg'));
  } catch {
    return;
  }
  const parent = path.dirname(real);
  if (/^\/var\/lib\/iseg-qa\/data-[0-9a-f]{12}$/.test(parent)) fs.rmSync(parent, { recursive: true, force: true });
}

/** Everything the tests started, whatever state it is in. */
export async function killEverything(app: App | undefined, dataDir: string): Promise<void> {
  if (app) {
    killGroup(app.pid);
    await Promise.race([app.exited, new Promise((r) => setTimeout(r, 5000))]);
  }
  const pg = postmasterPid(dataDir);
  if (pg) {
    process.kill(pg, 'SIGKILL');
    await waitUntil('the test Postgres to exit', () => !alive(pg), 10_000).catch(() => undefined);
  }
}
