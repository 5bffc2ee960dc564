/**
 * Is the connection's role one that cannot rewrite the audit log? (`iseg-qa doctor`.) It must
 * not be a superuser or BYPASSRLS role, must not own `AuditEvent`, and may hold only INSERT and
 * SELECT on it (docs/security.md, "Database roles").
 */
import type pg from 'pg';

export interface DatabaseRoleCheck {
  ok: boolean;
  role: string;
  detail: string;
}

export async function checkDatabaseRole(client: Pick<pg.Client, 'query'>): Promise<DatabaseRoleCheck> {
  const r = await client.query<{
    role: string;
    rolsuper: boolean;
    rolbypassrls: boolean;
    owns: boolean | null;
    upd: boolean | null;
    del: boolean | null;
    trunc: boolean | null;
  }>(
    `SELECT current_user AS role, r.rolsuper, r.rolbypassrls,
            pg_has_role(current_user, c.relowner, 'USAGE') AS owns,
            has_table_privilege(c.oid, 'UPDATE') AS upd, has_table_privilege(c.oid, 'DELETE') AS del, has_table_privilege(c.oid, 'TRUNCATE') AS trunc
       FROM pg_roles r LEFT JOIN pg_class c ON c.oid = to_regclass('public."AuditEvent"')
      WHERE r.rolname = current_user`,
  );
  const x = r.rows[0];
  const problems = [
    x.rolsuper ? 'is a superuser' : '',
    x.rolbypassrls ? 'has BYPASSRLS' : '',
    x.owns ? 'owns (or is a member of the owner of) the AuditEvent table' : '',
    !x.owns && (x.upd || x.del || x.trunc) ? 'may UPDATE, DELETE or TRUNCATE AuditEvent' : '',
  ].filter(Boolean);
  return problems.length
    ? {
        ok: false,
        role: x.role,
        detail: `the app connects as "${x.role}", which ${problems.join(' and ')}: it could rewrite the audit log. Connect as a role with only the app's grants and migrate with DATABASE_MIGRATION_URL (docs/security.md, "Database roles").`,
      }
    : { ok: true, role: x.role, detail: `the app connects as "${x.role}": not a superuser, owns no audit table, only INSERT and SELECT on AuditEvent` };
}
