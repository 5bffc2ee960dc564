/**
 * Fails when prisma/schema.prisma and prisma/migrations drift apart: a database built by our
 * migrations must have exactly the catalog (columns, types, nullability, defaults, enums,
 * indexes, constraints) of one built from the schema by Prisma's own schema engine.
 */
import fs from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers/test-database';
import { diffDatamodels } from '../../lib/server/db/schema-diff';
import { readCatalogSnapshot } from '../../lib/server/db/catalog-snapshot';

describe('schema.prisma vs migrations', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => Promise.all(dbs.map((d) => d.drop())));

  it('a migrated database has the catalog Prisma derives from schema.prisma', async () => {
    const migrated = await createTestDatabase('drift_migrated'); // cloned from the migrated template
    const fromSchema = await createTestDatabase('drift_schema', { template: null });
    dbs.push(migrated, fromSchema);
    const sql = diffDatamodels({ fromSchema: null, toSchema: fs.readFileSync('prisma/schema.prisma', 'utf8'), databaseUrl: fromSchema.url });
    expect(sql).toContain('CREATE TABLE "Study"');
    const c = new pg.Client({ connectionString: fromSchema.url });
    await c.connect();
    await c.query(sql);
    await c.end();
    const expected = await readCatalogSnapshot(fromSchema.url);
    const actual = await readCatalogSnapshot(migrated.ownerUrl);
    // Compare piecewise so a failure names the drifting column or index.
    expect(actual.enums).toEqual(expected.enums);
    expect(actual.columns).toEqual(expected.columns);
    expect(actual.indexes).toEqual(expected.indexes);
    expect(actual.constraints).toEqual(expected.constraints);
  });

  it('the snapshot sees a one-column difference (the check can fail)', async () => {
    const a = await createTestDatabase('drift_detect');
    dbs.push(a);
    const before = await readCatalogSnapshot(a.ownerUrl);
    const c = new pg.Client({ connectionString: a.ownerUrl });
    await c.connect();
    await c.query('ALTER TABLE "Study" ADD COLUMN "sneaky" integer');
    await c.end();
    const after = await readCatalogSnapshot(a.ownerUrl);
    expect(after.columns).not.toEqual(before.columns);
    expect(after.columns).toContain('Study.sneaky integer');
  });
});
