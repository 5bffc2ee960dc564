/**
 * DATABASE_URL when set; otherwise the embedded Postgres of this checkout (its password file
 * under the data directory and ISEG_PG_PORT). Used by processes that join a running
 * `npm start` (a second worker, the CLI) rather than start the database themselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../env';

export function resolveDatabaseUrl(env: Env): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  const pwFile = path.join(env.dataDir, 'pg-password');
  if (!fs.existsSync(pwFile)) return undefined;
  const password = fs.readFileSync(pwFile, 'utf8').trim();
  return `postgresql://iseg:${encodeURIComponent(password)}@127.0.0.1:${env.ISEG_PG_PORT}/iseg`;
}
