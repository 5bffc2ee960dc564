/**
 * Outcomes imports are versions: each import records who, when, the file's name and sha256, the
 * rows added/changed/unchanged and every changed row's previous values; a restore brings back an
 * earlier version's values exactly, as a new, audited version. Researchers may not import.
 * Also the one size limit of an outcomes CSV (lib/server/outcomes/outcomes-csv-limit.ts).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import type { Caller } from '@/lib/server/auth/roles';
import { importOutcomes } from '@/lib/server/outcomes/import-outcomes';
import { restoreOutcomeVersion } from '@/lib/server/outcomes/restore-outcome-version';
import { findOutcomeVersions } from '@/lib/server/outcomes/find-outcome-versions';
import { MAX_OUTCOMES_CSV_BYTES } from '@/lib/server/outcomes/outcomes-csv-limit';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { seedOutcomeCohort } from './seed-outcome-cohort';

const caller = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@t.test`, name: role, role });
const PHYSICIST = caller('PHYSICIST');
const ADMIN = caller('ADMIN');
const RESEARCHER = caller('RESEARCHER');
const HEADER = 'pseudonym,local_failure,local_failure_days,died,death_days,last_follow_up_days,smoker';

describe('outcomes versions (real Postgres)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('outcome_versions');
    await seedOutcomeCohort(t.db);
  });
  afterAll(async () => t.drop());

  /** Every outcome's values, by pseudonym (ids and timestamps left out). */
  const snapshot = async () =>
    (await t.db.outcome.findMany({ include: { patient: { select: { pseudonym: true } } } }))
      .map(({ id: _id, updatedAt: _u, patientId: _p, patient, ...v }) => ({ pseudonym: patient.pseudonym, ...v }))
      .sort((a, b) => a.pseudonym.localeCompare(b.pseudonym));

  it('refuses a researcher (they could overwrite every outcome) and writes nothing', async () => {
    const before = await snapshot();
    const csv = `${HEADER}\nOUT-001,0,,0,,1,no\n`;
    const e = await importOutcomes(t.db, { caller: RESEARCHER, csvText: csv, mode: 'import' }).catch((x) => x);
    expect(e).toMatchObject({ code: 'FORBIDDEN', message: 'The researcher role may not outcomes import.' });
    await expect(restoreOutcomeVersion(t.db, { caller: RESEARCHER, versionId: 0 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(findOutcomeVersions(t.db, { caller: RESEARCHER })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await snapshot()).toEqual(before);
    expect(await t.db.outcomeVersion.count()).toBe(0);
  });

  it('keeps two imports as two versions, and a restore brings back the earlier values exactly', async () => {
    const seeded = await snapshot();
    const ids = Object.fromEntries((await t.db.patient.findMany({ select: { id: true, pseudonym: true } })).map((p) => [p.pseudonym, p.id]));
    // NOOUT-1 and NOOUT-2 have no outcome in the seed: the first import adds one of them.
    expect(seeded.some((o) => o.pseudonym === 'NOOUT-1')).toBe(false);
    const first = [HEADER, 'OUT-001,1,120,0,,400,yes', 'OUT-002,0,,1,800,800,no', 'NOOUT-1,0,,0,,365,NA'].join('\n') + '\n';
    const r1 = await importOutcomes(t.db, { caller: PHYSICIST, csvText: first, fileName: 'first.csv', mode: 'import' });
    expect(r1.version).toMatchObject({ rowsAdded: 1, rowsChanged: 2, rowsUnchanged: 0, rowsRemoved: 0 });
    const afterFirst = await snapshot();

    // The second file changes OUT-002, repeats OUT-001 unchanged, and changes NOOUT-1.
    const second = [HEADER, 'OUT-001,1,120,0,,400,yes', 'OUT-002,1,50,0,,900,yes', 'NOOUT-1,1,10,0,,20,no'].join('\n') + '\n';
    const r2 = await importOutcomes(t.db, { caller: ADMIN, csvBytes: Buffer.from(second), fileName: 'second.csv', mode: 'import' });
    expect(r2.version).toMatchObject({ rowsAdded: 0, rowsChanged: 2, rowsUnchanged: 1, rowsRemoved: 0 });
    expect(r2.version!.id).toBeGreaterThan(r1.version!.id);

    const { versions, total } = await findOutcomeVersions(t.db, { caller: ADMIN });
    expect(total).toBe(2);
    expect(versions.map((v) => [v.id, v.kind, v.fileName, v.userEmail, v.sha256, v.rowsAdded, v.rowsChanged, v.rowsUnchanged])).toEqual([
      [r2.version!.id, 'import', 'second.csv', ADMIN.email, createHash('sha256').update(second).digest('hex'), 0, 2, 1],
      [r1.version!.id, 'import', 'first.csv', PHYSICIST.email, createHash('sha256').update(first).digest('hex'), 1, 2, 0],
    ]);
    // The previous values of every changed row are kept: OUT-002 as the first import left it.
    const change = await t.db.outcomeVersionChange.findUniqueOrThrow({
      where: { versionId_patientId: { versionId: r2.version!.id, patientId: ids['OUT-002'] } },
    });
    const { pseudonym: _p, ...o2AfterFirst } = afterFirst.find((o) => o.pseudonym === 'OUT-002')!;
    expect(change.before).toEqual(o2AfterFirst);
    expect(await t.db.outcomeVersionChange.count({ where: { versionId: r2.version!.id } })).toBe(2); // OUT-001 was unchanged

    // Restore version 1: every value as the first import left it, as a new version, audited.
    const restored = await restoreOutcomeVersion(t.db, { caller: ADMIN, versionId: r1.version!.id });
    expect(restored).toMatchObject({ restoredFromId: r1.version!.id, rowsChanged: 2, rowsAdded: 0, rowsRemoved: 0, rowsUnchanged: 0 });
    expect(await snapshot()).toEqual(afterFirst);
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'outcomes.restored' } });
    expect(audit).toMatchObject({ userEmail: ADMIN.email, role: 'ADMIN', details: { restoredFrom: r1.version!.id, version: restored.id, rowsChanged: 2 } });
    expect((await findOutcomeVersions(t.db, { caller: PHYSICIST })).versions[0]).toMatchObject({
      id: restored.id,
      kind: 'restore',
      restoredFromId: r1.version!.id,
    });

    // Restoring what is already current changes nothing and says so.
    await expect(restoreOutcomeVersion(t.db, { caller: ADMIN, versionId: restored.id })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(restoreOutcomeVersion(t.db, { caller: ADMIN, versionId: 9999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    // Version 0: the outcomes before the first import, the added row removed again.
    const zero = await restoreOutcomeVersion(t.db, { caller: PHYSICIST, versionId: 0 });
    expect(zero).toMatchObject({ rowsRemoved: 1, rowsChanged: 2 });
    expect(await snapshot()).toEqual(seeded);
    // …and forward again to the second import.
    await restoreOutcomeVersion(t.db, { caller: PHYSICIST, versionId: r2.version!.id });
    const afterSecond = await snapshot();
    expect(afterSecond.find((o) => o.pseudonym === 'NOOUT-1')).toMatchObject({
      localFailure: true,
      localFailureDays: 10,
      lastFollowUpDays: 20,
      clinical: { smoker: 'no' },
      source: 'csv:second.csv',
    });
    expect(afterSecond.find((o) => o.pseudonym === 'OUT-001')).toEqual(afterFirst.find((o) => o.pseudonym === 'OUT-001'));
  });

  it('the version tables are insert-only for the app: no version can be rewritten or deleted', async () => {
    await expect(t.db.outcomeVersion.updateMany({ data: { rowsChanged: 0 } })).rejects.toThrow(/permission denied/);
    await expect(t.db.outcomeVersion.deleteMany({})).rejects.toThrow(/permission denied/);
    await expect(t.db.outcomeVersionChange.deleteMany({})).rejects.toThrow(/permission denied/);
    await expect(t.db.outcomeVersionChange.updateMany({ data: { before: {} } })).rejects.toThrow(/permission denied/);
  });

  describe('the one size limit of an outcomes CSV', () => {
    it('the server action body limit is the CSV limit plus the multipart envelope', async () => {
      const configFile = pathToFileURL(path.resolve(import.meta.dirname, '..', '..', '..', 'next.config.js')).href;
      const nextConfig = (await import(/* @vite-ignore */ configFile)).default as { experimental: { serverActions: { bodySizeLimit: number } } };
      const limit = nextConfig.experimental.serverActions.bodySizeLimit;
      expect(limit).toBeGreaterThan(MAX_OUTCOMES_CSV_BYTES);
      expect(limit - MAX_OUTCOMES_CSV_BYTES).toBeLessThanOrEqual(128 * 1024);
    });

    it('refuses a file over the limit on the server, naming the file, its size and the limit, and accepts one at the limit', async () => {
      const row = 'OUT-003,0,,0,,365,no\n';
      const atLimit = HEADER + '\n' + row + ' '.repeat(MAX_OUTCOMES_CSV_BYTES - HEADER.length - 1 - row.length);
      expect(Buffer.byteLength(atLimit)).toBe(MAX_OUTCOMES_CSV_BYTES);
      const ok = await importOutcomes(t.db, { caller: PHYSICIST, csvText: atLimit, fileName: 'at-limit.csv', mode: 'preview' });
      expect(ok.errors).toEqual([]);
      const e = await importOutcomes(t.db, { caller: PHYSICIST, csvBytes: Buffer.from(atLimit + ' '), fileName: 'big.csv', mode: 'preview' }).catch((x) => x);
      expect(e).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      expect(e.message).toContain('big.csv is 2.0 MB (2,097,153 bytes); an outcomes CSV may be at most 2 MB (2,097,152 bytes)');
    });

    it('refuses a file that is not UTF-8 with a FILE error saying how to save it', async () => {
      const latin1 = Buffer.from(`${HEADER}\nOUT-003,0,,0,,365,r\u00e9gime\n`, 'latin1');
      const r = await importOutcomes(t.db, { caller: PHYSICIST, csvBytes: latin1, fileName: 'excel.csv', mode: 'preview' });
      expect(r.errors).toMatchObject([{ code: 'FILE', message: expect.stringContaining('excel.csv is not UTF-8 text') }]);
    });
  });
});
