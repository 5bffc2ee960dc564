/**
 * The embedded Postgres's two logins (docs/security.md, "Database roles"):
 * - `iseg`, the cluster's bootstrap superuser (password in `$ISEG_DATA_DIR/pg-password`): owns
 *   the database and every table, runs the migrations (`npm start` only);
 * - `iseg_app` (password in `$ISEG_DATA_DIR/pg-app-password`, mode 0600, created once like the
 *   auth secret): what the web server, the workers and the CLI connect as. Not a superuser, no
 *   BYPASSRLS, CREATEDB or CREATEROLE, owns nothing in `public`; its grants are set after each
 *   migration by lib/server/startup/grant-app-role.ts.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type pg from 'pg';

export const EMBEDDED_APP_ROLE = 'iseg_app';
export const APP_PASSWORD_FILE = 'pg-app-password';

/** Reads the password in `file`, creating it (0600, never overwriting) with a random one if missing. */
export function ensurePasswordFile(file: string): string {
  try {
    const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
    try {
      fs.writeSync(fd, randomBytes(18).toString('base64url'));
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const password = fs.readFileSync(file, 'utf8').trim();
  if (!password) throw new Error(`The database password file ${file} is empty: delete it and start again (a new password is generated).`);
  return password;
}

/**
 * Creates the app's login role, or brings an existing one back to exactly these attributes and
 * this password. `admin` must be a superuser (or hold CREATEROLE) connection.
 */
export async function ensureAppRole(admin: pg.Client, { role = EMBEDDED_APP_ROLE, password }: { role?: string; password: string }): Promise<void> {
  const ident = admin.escapeIdentifier(role);
  const attrs = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD ${admin.escapeLiteral(password)}`;
  const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  await admin.query(exists.rowCount ? `ALTER ROLE ${ident} WITH ${attrs}` : `CREATE ROLE ${ident} WITH ${attrs}`);
}
