/**
 * Applies prisma/migrations/<name>/migration.sql in name order at start-up, recording each in
 * `_prisma_migrations` with the same columns and checksum (sha256 of the file) as Prisma Migrate,
 * so `prisma migrate status` elsewhere agrees with us. Each migration runs in one transaction
 * under an advisory lock, so two processes starting together cannot apply one twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  constructor(
    readonly code: 'MIGRATION_CHECKSUM_MISMATCH' | 'MIGRATION_FAILED' | 'MIGRATION_UNKNOWN',
    message: string,
  ) {
    super(message);
  }
}

const LOCK_KEY = 7_324_118_001; // arbitrary, constant: "iseg-qa migrations"

function defaultMigrationsDir(): string {
  return path.resolve(process.cwd(), 'prisma', 'migrations');
}

export function readMigrations(dir = defaultMigrationsDir()): MigrationFile[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/** Applies pending migrations to `databaseUrl`. Throws MigrationError naming the migration. */
export async function migrateDatabase({
  databaseUrl,
  migrationsDir = defaultMigrationsDir(),
}: {
  databaseUrl: string;
  migrationsDir?: string;
}): Promise<MigrateResult> {
  const files = readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(CREATE_TABLE);
    const done = await client.query<{ migration_name: string; checksum: string }>(
      'SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    );
    const applied = new Map(done.rows.map((r) => [r.migration_name, r.checksum]));
    const known = new Set(files.map((f) => f.name));
    for (const name of applied.keys()) {
      if (!known.has(name)) {
        throw new MigrationError(
          'MIGRATION_UNKNOWN',
          `The database has migration ${name}, which this version of iseg-qa does not know: it was migrated by a newer version. Upgrade iseg-qa, or point DATABASE_URL at another database.`,
        );
      }
    }
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const f of files) {
      const prior = applied.get(f.name);
      if (prior) {
        if (prior !== f.checksum) {
          throw new MigrationError(
            'MIGRATION_CHECKSUM_MISMATCH',
            `Migration ${f.name} was changed after it was applied to this database (checksum differs). Restore the original prisma/migrations/${f.name}/migration.sql and add a new migration instead.`,
          );
        }
        result.alreadyApplied.push(f.name);
        continue;
      }
      const id = randomUUID();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [id, f.checksum, f.name]);
        await client.query(f.sql);
        await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
        await client.query('COMMIT');
        result.applied.push(f.name);
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw new MigrationError('MIGRATION_FAILED', `Migration ${f.name} failed and was rolled back: ${(e as Error).message}`);
      }
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
}
