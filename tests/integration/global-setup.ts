/**
 * One real Postgres (the embedded server binaries) for the integration suite, in a temporary
 * folder on a free port, with a migrated template database. Each test file clones the template
 * (tests/integration/helpers/test-database.ts), so tests are isolated and start fast.
 *
 * As in production, the template is migrated by the owner (the cluster's superuser) and the app's
 * role `iseg_app` gets only its grants (lib/server/startup/prepare-database.ts); clones keep both, so
 * tests connect as the app does.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../lib/server/db/embedded-postgres';
import { prepareSchema } from '../../lib/server/startup/prepare-database';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
    /** The app role's URL to the `postgres` database (swap the database name for a clone's). */
    pgAppUrl: string;
    pgTemplate: string;
  }
}

export const TEMPLATE_DB = 'iseg_template';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

let server: EmbeddedPostgres | undefined;
let dir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-it-'));
  // The server may run as the `postgres` user (when tests run as root): let it traverse.
  fs.chmodSync(dir, 0o755);
  server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  const adminUrl = server.url.replace(/\/iseg$/, '/postgres');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
  await admin.end();
  const templateUrl = server.url.replace(/\/iseg$/, `/${TEMPLATE_DB}`);
  await prepareSchema({ migrationUrl: templateUrl, databaseUrl: server.appUrl.replace(/\/iseg$/, `/${TEMPLATE_DB}`) });
  project.provide('pgAdminUrl', adminUrl);
  project.provide('pgAppUrl', server.appUrl.replace(/\/iseg$/, '/postgres'));
  project.provide('pgTemplate', TEMPLATE_DB);
}

export async function teardown(): Promise<void> {
  await server?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
}
