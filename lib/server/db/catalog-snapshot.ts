/**
 * A normalised description of the public schema (tables, columns, enums, indexes, constraints)
 * read from the Postgres catalog. Two databases with equal snapshots have the same schema.
 * Bookkeeping tables and the hand-written triggers (the audit log's, and the cohort data
 * version's constraint triggers, contype 't') are left out.
 */
import pg from 'pg';

export interface CatalogSnapshot {
  enums: string[];
  columns: string[];
  indexes: string[];
  constraints: string[];
}

export async function readCatalogSnapshot(databaseUrl: string): Promise<CatalogSnapshot> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const enums = await c.query<{ s: string }>(`
      SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS s
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' GROUP BY t.typname ORDER BY 1`);
    const columns = await c.query<{ s: string }>(`
      SELECT table_name || '.' || column_name || ' ' ||
             CASE WHEN data_type IN ('USER-DEFINED', 'ARRAY') THEN udt_name ELSE data_type END ||
             COALESCE('(' || datetime_precision || ')', '') ||
             CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END ||
             COALESCE(' DEFAULT ' || column_default, '') AS s
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1`);
    const indexes = await c.query<{ s: string }>(`
      SELECT indexdef AS s FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`);
    const constraints = await c.query<{ s: string }>(`
      SELECT cl.relname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid) AS s
      FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
      WHERE n.nspname = 'public' AND cl.relname <> '_prisma_migrations' AND co.contype <> 't' ORDER BY 1`);
    return {
      enums: enums.rows.map((r) => r.s),
      columns: columns.rows.map((r) => r.s),
      indexes: indexes.rows.map((r) => r.s),
      constraints: constraints.rows.map((r) => r.s),
    };
  } finally {
    await c.end();
  }
}
