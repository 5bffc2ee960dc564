/**
 * `iseg-qa doctor [--json]`: checks configuration, the database and its migrations, the job
 * queue and live workers, the model files and the execution provider, and says what is wrong.
 * Exit 0 when every check passes, 1 otherwise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { parseEnv, type Env } from '../../lib/server/env';
import { resolveDatabaseUrl } from '../../lib/server/db/resolve-database-url';
import { readMigrations } from '../../lib/server/db/migrate';
import { BOSS_SCHEMA } from '../../lib/server/jobs/boss';
import { checkExecutionProvider, checkModel } from '../../lib/inference';
import { printJson } from '../output';
import { createDb } from '../../lib/server/db/client';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { findOrphanVolumes } from '../../lib/server/storage/find-orphan-volumes';
import { findUploadLeftovers } from '../../lib/server/storage/find-upload-leftovers';
import { checkDatabaseRole } from '../../lib/server/db/check-database-role';
import { walkAuditChain } from '../../lib/server/audit/verify-audit-chain';
import { findLiveWorkers } from '../../lib/server/jobs/find-live-workers';
import { findUnservedModelVersions } from '../../lib/server/jobs/find-unserved-model-versions';

/** The app's database role cannot rewrite the audit log, and the log's hash chain is intact. */
async function auditIntegrityChecks(client: pg.Client): Promise<Check[]> {
  const role = await checkDatabaseRole(client);
  try {
    const chain = await walkAuditChain(async (text, values) => (await client.query(text, values)).rows);
    const head = chain.head ? `; head: event ${chain.head.id}, hash ${chain.head.hash}` : '';
    return [
      { name: 'database role', ok: role.ok, detail: role.detail },
      chain.ok
        ? { name: 'audit chain', ok: true, detail: `${chain.checked} event(s), hash chain intact${head}` }
        : { name: 'audit chain', ok: false, detail: `BROKEN at ${chain.firstBroken!.message} (${chain.checked} event(s) checked)` },
    ];
  } catch (e) {
    return [
      { name: 'database role', ok: role.ok, detail: role.detail },
      { name: 'audit chain', ok: false, detail: `could not be verified: ${(e as Error).message} (are the migrations applied? \`npm start\` applies them)` },
    ];
  }
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** Passing, but worth a look (printed as WARN). */
  warning?: boolean;
}

/** What crashes left behind (lib/server/storage/find-*); `npm start` removes it at start-up. */
async function leftoverChecks(env: Env, databaseOk: boolean): Promise<Check[]> {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  const checks: Check[] = [];
  const uploads = await findUploadLeftovers();
  checks.push(
    uploads.leftovers.length
      ? {
          name: 'upload leftovers',
          ok: true,
          warning: true,
          detail: `${uploads.leftovers.length} upload temp folder(s) (${mb(uploads.bytes)}) left by processes that died: ${uploads.leftovers.map((l) => l.dir).join(', ')}; \`npm start\` removes them`,
        }
      : { name: 'upload leftovers', ok: true, detail: 'no upload temp folders left by dead processes' },
  );
  const url = resolveDatabaseUrl(env);
  if (!url || !databaseOk) return checks;
  const db = createDb(url);
  try {
    const r = await findOrphanVolumes(db, { store: createVolumeStore({ dir: env.volumeDir }) });
    const slices = r.sliceStores.length
      ? `; ${r.sliceStores.length} viewer slice-store folder(s) (${mb(r.sliceStoreBytes)}) of volumes no row references (deleted studies), which \`npm start\` removes too`
      : '';
    checks.push(
      r.orphans.length || r.sliceStores.length
        ? {
            name: 'volume store',
            ok: true,
            warning: true,
            detail: `${r.orphans.length} of ${r.scanned} file(s) (${mb(r.bytes)}) in ${env.volumeDir} that no row references (left by imports or runs that failed or were killed); \`npm start\` removes them${slices}`,
          }
        : { name: 'volume store', ok: true, detail: `${r.scanned} volume file(s) in ${env.volumeDir}, none unreferenced` },
    );
  } catch (e) {
    checks.push({ name: 'volume store', ok: true, warning: true, detail: `not checked for unreferenced files: ${(e as Error).message}` });
  } finally {
    await db.$disconnect().catch(() => undefined);
  }
  return checks;
}

async function databaseChecks(env: Env): Promise<Check[]> {
  const url = resolveDatabaseUrl(env);
  if (!url) {
    return [{ name: 'database', ok: false, detail: 'DATABASE_URL is not set and no embedded database exists yet: run `npm start` once, or set DATABASE_URL.' }];
  }
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (e) {
    const where = env.DATABASE_URL ? 'DATABASE_URL' : `the embedded Postgres on port ${env.ISEG_PG_PORT} (is \`npm start\` running?)`;
    return [{ name: 'database', ok: false, detail: `cannot connect to ${where}: ${(e as Error).message}` }];
  }
  const checks: Check[] = [];
  try {
    const v = await client.query<{ server_version: string }>('SHOW server_version');
    checks.push({ name: 'database', ok: true, detail: `PostgreSQL ${v.rows[0].server_version} reachable` });
    const files = readMigrations();
    const has = await client.query(`SELECT to_regclass('public._prisma_migrations') AS t`);
    const applied = has.rows[0].t
      ? (
          await client.query<{ migration_name: string; checksum: string }>(
            'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL',
          )
        ).rows
      : [];
    const appliedMap = new Map(applied.map((r) => [r.migration_name, r.checksum]));
    const pending = files.filter((f) => !appliedMap.has(f.name)).map((f) => f.name);
    const changed = files.filter((f) => appliedMap.has(f.name) && appliedMap.get(f.name) !== f.checksum).map((f) => f.name);
    const unknown = [...appliedMap.keys()].filter((n) => !files.some((f) => f.name === n));
    const problems = [
      pending.length ? `${pending.length} pending (${pending.join(', ')}): \`npm start\` applies them` : '',
      changed.length ? `changed after being applied: ${changed.join(', ')}` : '',
      unknown.length ? `applied by a newer version: ${unknown.join(', ')}` : '',
    ].filter(Boolean);
    checks.push({ name: 'migrations', ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `${files.length} applied` });
    const boss = await client.query(`SELECT to_regclass('${BOSS_SCHEMA}.job') AS t`);
    checks.push({
      name: 'job queue',
      ok: !!boss.rows[0].t,
      detail: boss.rows[0].t ? 'pg-boss schema installed' : 'pg-boss schema missing: `npm start` installs it',
    });
    if (has.rows[0].t) {
      checks.push(...(await workerChecks(url)));
      checks.push(...(await auditIntegrityChecks(client)));
    }
  } finally {
    await client.end();
  }
  return checks;
}

/**
 * Live workers (the same window as the jobs page, lib/server/jobs/live-worker.ts) and queued runs
 * that no live worker can take: a run is only executed by a worker serving exactly its model
 * version (name + sha256), so runs of a model no live worker serves wait until one starts.
 */
async function workerChecks(url: string): Promise<Check[]> {
  const db = createDb(url);
  try {
    const workers = await findLiveWorkers(db, { caller: 'system' });
    const unserved = await findUnservedModelVersions(db, { caller: 'system' });
    const n = workers.length;
    return [
      { name: 'workers', ok: n > 0, detail: n > 0 ? `${n} live worker(s)` : 'no live worker: start one with `npm run worker` (or `npm start`)' },
      unserved.length === 0
        ? { name: 'queued runs', ok: true, detail: 'every queued run has a live worker serving its model' }
        : {
            name: 'queued runs',
            ok: false,
            detail: unserved
              .map(
                (u) =>
                  `${u.queuedRuns} queued run(s) wait for a worker serving ${u.name} ${u.version} (sha256 ${u.sha256.slice(0, 12)}…): no live worker serves it; start one with ISEG_MODEL=<its folder> npm run worker`,
              )
              .join('; '),
          },
    ];
  } finally {
    await db.$disconnect().catch(() => undefined);
  }
}

async function modelChecks(env: Env): Promise<Check[]> {
  const modelDir = path.join(env.modelsDir, env.ISEG_MODEL);
  if (!fs.existsSync(path.join(modelDir, 'manifest.json'))) {
    const ep = await checkExecutionProvider({ provider: env.ISEG_EXECUTION_PROVIDER });
    return [
      {
        name: 'model',
        ok: false,
        detail: `no model "${env.ISEG_MODEL}": ${path.relative(process.cwd(), path.join(modelDir, 'manifest.json'))} is missing (set ISEG_MODEL to a folder under models/)`,
      },
      { name: `execution provider (${env.ISEG_EXECUTION_PROVIDER})`, ...ep },
    ];
  }
  // Loading the model checks the manifest, the file's sha256, the tensor names and starts a
  // session on the requested provider: the same checks the worker makes at start-up.
  const r = await checkModel({ modelDir, provider: env.ISEG_EXECUTION_PROVIDER });
  const providerFailed = r.code === 'PROVIDER_UNAVAILABLE';
  return [
    { name: 'model', ok: r.ok || providerFailed, detail: providerFailed ? `${env.ISEG_MODEL}: files verified; see the provider check` : r.detail },
    {
      name: `execution provider (${env.ISEG_EXECUTION_PROVIDER})`,
      ok: r.ok,
      detail: r.ok ? `a session starts on ${env.ISEG_EXECUTION_PROVIDER}` : providerFailed ? r.detail : 'not checked: the model did not load',
    },
  ];
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log('Usage: iseg-qa doctor [--json]\nChecks configuration, database, migrations, job queue, workers, model files and execution provider.');
    return 0;
  }
  const checks: Check[] = [];
  let env: Env | undefined;
  try {
    env = parseEnv();
    checks.push({ name: 'configuration', ok: true, detail: 'environment variables valid' });
  } catch (e) {
    checks.push({ name: 'configuration', ok: false, detail: (e as Error).message });
  }
  if (env) {
    const db = await databaseChecks(env);
    checks.push(...db);
    checks.push(...(await leftoverChecks(env, !!db.find((c) => c.name === 'database')?.ok)));
    checks.push(...(await modelChecks(env)));
  }
  const ok = checks.every((c) => c.ok);
  if (values.json) printJson({ ok, checks });
  else for (const c of checks) console.log(`${!c.ok ? 'FAIL' : c.warning ? 'WARN' : 'ok  '}  ${c.name.padEnd(28)} ${c.detail}`);
  return ok ? 0 : 1;
}
