/**
 * Gives the app's database role exactly the rights it needs, run by the owner (migration) role
 * after every migration (prepare-database.ts), so new tables are covered at once:
 * - `public`: USAGE; SELECT, INSERT, UPDATE, DELETE on every table; USAGE and SELECT on every
 *   sequence; but only INSERT and SELECT on the append-only tables (`AuditEvent`, the outcomes
 *   versions, the review decisions) and only SELECT on `_prisma_migrations`. No CREATE, no TRUNCATE, no TRIGGER, no
 *   ownership: it cannot alter, disable or drop anything (docs/security.md, "Database roles").
 * - pg-boss's schema (`pgboss`) and everything in it are owned by the app role, since pg-boss
 *   manages its own tables at run time (queues, maintenance). The owner installs or upgrades it
 *   first; this hands it over.
 * Refuses an app role that is a superuser or has BYPASSRLS: the audit log could not be protected.
 */
import pg from 'pg';
import { BOSS_SCHEMA } from '../jobs/boss';

/** Tables the app may only insert into and read. */
export const APPEND_ONLY_TABLES = [
  'AuditEvent',
  'OutcomeVersion',
  'OutcomeVersionChange',
  'StructureRuleVersion',
  'ReviewDecision',
  'FlagRuleSet',
  'AnalysisSnapshot',
] as const;

export class DatabaseRoleError extends Error {
  readonly code = 'DATABASE_ROLE';
}

export function roleOfUrl(url: string): string {
  const u = new URL(url);
  const user = decodeURIComponent(u.username);
  if (!user)
    throw new DatabaseRoleError(
      `The database URL ${u.protocol}//${u.host}${u.pathname} names no user: put the role in it (postgresql://ROLE:PASSWORD@host/db).`,
    );
  return user;
}

export async function grantAppRole({ ownerUrl, appRole }: { ownerUrl: string; appRole: string }): Promise<void> {
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const r = await c.query<{ rolsuper: boolean; rolbypassrls: boolean; owner: string }>(
      'SELECT rolsuper, rolbypassrls, current_user AS owner FROM pg_roles WHERE rolname = $1',
      [appRole],
    );
    if (!r.rowCount)
      throw new DatabaseRoleError(`The app's database role "${appRole}" does not exist: create it (docs/security.md, "Database roles") or fix DATABASE_URL.`);
    const { rolsuper, rolbypassrls, owner } = r.rows[0];
    if (owner === appRole) return; // one role for both: nothing to separate (doctor says so)
    if (rolsuper || rolbypassrls)
      throw new DatabaseRoleError(
        `The app's database role "${appRole}" is a ${rolsuper ? 'superuser' : 'BYPASSRLS role'}: it could rewrite the audit log. Connect the app as an ordinary role (ALTER ROLE ${appRole} NOSUPERUSER NOBYPASSRLS; docs/security.md, "Database roles").`,
      );
    const app = c.escapeIdentifier(appRole);
    const list = (names: readonly string[]) => names.map((n) => `public.${c.escapeIdentifier(n)}`).join(', ');
    const present = (await c.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'`)).rows.map((x) => x.t);
    const appendOnly = APPEND_ONLY_TABLES.filter((t) => present.includes(t));
    await c.query('BEGIN');
    await c.query(`SELECT pg_advisory_xact_lock(7324118040)`);
    await c.query(`GRANT USAGE ON SCHEMA public TO ${app}`);
    await c.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${app}`);
    await c.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${app}`);
    await c.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app}`);
    await c.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app}`);
    if (appendOnly.length) await c.query(`REVOKE UPDATE, DELETE ON ${list(appendOnly)} FROM ${app}`);
    if (present.includes('_prisma_migrations')) await c.query(`REVOKE INSERT, UPDATE, DELETE ON public."_prisma_migrations" FROM ${app}`);
    // Postgres before 15 lets everyone create objects in `public`; the app must not.
    await c.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`).catch(() => undefined);
    // pg-boss: its schema and every object in it belong to the app role.
    const boss = await c.query(`SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1`, [BOSS_SCHEMA]);
    if (boss.rowCount) {
      const schema = c.escapeIdentifier(BOSS_SCHEMA);
      await c.query(`ALTER SCHEMA ${schema} OWNER TO ${app}`);
      const objects = await c.query<{ stmt: string }>(
        `SELECT format('ALTER %s %s OWNER TO %I',
                  CASE WHEN c.relkind = 'S' THEN 'SEQUENCE' WHEN c.relkind IN ('v') THEN 'VIEW' WHEN c.relkind = 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                  c.oid::regclass, $2::text) AS stmt
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
            AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
         UNION ALL
         SELECT format('ALTER %s %s OWNER TO %I', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, p.oid::regprocedure, $2::text)
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = $1 AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)
         UNION ALL
         SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, $2::text)
           FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
          WHERE n.nspname = $1 AND t.typtype IN ('e', 'd') AND t.typowner <> (SELECT oid FROM pg_roles WHERE rolname = $2)`,
        [BOSS_SCHEMA, appRole],
      );
      for (const o of objects.rows) await c.query(o.stmt);
    }
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    if (e instanceof DatabaseRoleError) throw e;
    throw new DatabaseRoleError(
      `Could not give the app's database role "${appRole}" its rights: ${(e as Error).message}. The migration role must own the tables and be a superuser or a member of "${appRole}" (docs/security.md, "Database roles").`,
    );
  } finally {
    await c.end();
  }
}
