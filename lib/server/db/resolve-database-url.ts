/**
 * DATABASE_URL when set; otherwise the embedded Postgres of this checkout, as the app's role
 * (`iseg_app`, its password in `$ISEG_DATA_DIR/pg-app-password`) on ISEG_PG_PORT. Used by
 * processes that join a running `npm start` (a second worker, the CLI) rather than start the
 * database themselves. The owner's login (`pg-password`) is used only by an install that this
 * version's `npm start` has not started yet (it creates the app role and its password file).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Env } from '../env';
import { APP_PASSWORD_FILE, EMBEDDED_APP_ROLE } from './ensure-app-role';

export function resolveDatabaseUrl(env: Env): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  for (const [file, role] of [
    [APP_PASSWORD_FILE, EMBEDDED_APP_ROLE],
    ['pg-password', 'iseg'],
  ]) {
    const pwFile = path.join(env.dataDir, file);
    if (!fs.existsSync(pwFile)) continue;
    const password = fs.readFileSync(pwFile, 'utf8').trim();
    return `postgresql://${role}:${encodeURIComponent(password)}@127.0.0.1:${env.ISEG_PG_PORT}/iseg`;
  }
  return undefined;
}
