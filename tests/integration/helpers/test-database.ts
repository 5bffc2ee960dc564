/**
 * A fresh, migrated database per test file, cloned from the suite's template.
 *
 * `url` and `db` connect as the app's role (`iseg_app`: no superuser, owns no table, only INSERT
 * and SELECT on the audit log), as the web server and workers do. `ownerUrl` / `ownerDb()` connect
 * as the owner (the cluster's superuser), for what only a migration may do (DDL, tampering tests).
 * A database made with `{ template: null }` is empty and has no grants yet: there `url` is the
 * owner's too, so a test can migrate it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDb, type Db } from '../../../lib/server/db/client';

export interface TestDatabase {
  /** The app role's connection (the owner's for an empty database). */
  url: string;
  name: string;
  db: Db;
  /** The owner's (superuser's) connection. */
  ownerUrl: string;
  /** A Prisma client on ownerUrl, created on first use and closed by drop(). */
  ownerDb(): Db;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

/** The owner's URL for `database`. */
export function urlFor(database: string): string {
  return adminUrl().replace(/\/postgres$/, `/${database}`);
}

/** The app role's URL for `database` (the owner's if the suite set up no app role). */
export function appUrlFor(database: string): string {
  const app = inject('pgAppUrl') as string | undefined;
  return app ? app.replace(/\/postgres$/, `/${database}`) : urlFor(database);
}

export async function createTestDatabase(label: string, { template = inject('pgTemplate') as string | null } = {}): Promise<TestDatabase> {
  const name = `t_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  await admin.end();
  const ownerUrl = urlFor(name);
  const url = template ? appUrlFor(name) : ownerUrl;
  const db = createDb(url);
  let owner: Db | undefined;
  return {
    url,
    name,
    db,
    ownerUrl,
    ownerDb: () => (owner ??= url === ownerUrl ? db : createDb(ownerUrl)),
    async drop() {
      await db.$disconnect();
      if (owner && owner !== db) await owner.$disconnect();
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
