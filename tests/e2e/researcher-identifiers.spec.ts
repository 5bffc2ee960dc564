/**
 * What a researcher can reach carries no identifier: the pages in the nav, a study's page, and the
 * de-identified DICOM export of a seeded study (every byte of the zip checked for every seeded
 * name, MRN, birth date and real StudyInstanceUID, and for the PHI planted in its DICOM free text:
 * study and series descriptions, ROI names, the physician; tests/e2e/free-text.ts). The role
 * matrix (role-matrix.spec.ts) checks every other route for every role.
 */
import fs from 'node:fs';
import pg from 'pg';
import { unzipSync } from 'fflate';
import { test, expect, signIn } from './fixtures';
import { plantFreeText } from './free-text';

fs.mkdirSync('test-results/screens', { recursive: true });

async function seeded(): Promise<{ studyId: string; pseudonym: string; identifiers: string[]; freeText: string[] }> {
  const planted = await plantFreeText();
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    const s = (
      await client.query(
        `SELECT s.id, p.pseudonym FROM "Study" s JOIN "Patient" p ON p.id = s."patientId" ORDER BY p."createdAt", s."importedAt", s.id LIMIT 1`,
      )
    ).rows[0];
    const ids = new Set<string>();
    for (const r of (await client.query(`SELECT name, mrn, to_char("birthDate", 'YYYYMMDD') AS dob FROM "PatientIdentity"`)).rows) {
      for (const v of [r.name, r.mrn, r.dob]) if (v) ids.add(v);
    }
    for (const r of (
      await client.query(
        `SELECT "studyInstanceUid" AS u FROM "Study" UNION SELECT split_part("seriesInstanceUid", '#', 1) FROM "ImageSeries" UNION SELECT "frameOfReferenceUid" FROM "ImageSeries" WHERE "frameOfReferenceUid" IS NOT NULL`,
      )
    ).rows)
      ids.add(r.u);
    for (const v of planted.needles) ids.add(v);
    return { studyId: s.id, pseudonym: s.pseudonym, identifiers: [...ids].filter((x) => x.length >= 6), freeText: planted.needles };
  } finally {
    await client.end();
  }
}

test('a researcher downloads a de-identified DICOM export that holds no identifier', async ({ page }) => {
  test.setTimeout(180_000);
  await signIn(page, 'RESEARCHER');
  const { studyId, pseudonym, identifiers } = await seeded();
  expect(identifiers.length).toBeGreaterThan(100);
  const res = await page.request.get(`/api/studies/${studyId}/export/deid`, { timeout: 120_000 });
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toBe('application/zip');
  const files = unzipSync(new Uint8Array(await res.body()));
  const names = Object.keys(files);
  expect(names.filter((n) => n.endsWith('.dcm')).length).toBeGreaterThan(16);
  expect(names.some((n) => n.includes('RS_'))).toBe(true);
  expect(names.every((n) => n.startsWith(`${pseudonym}/`))).toBe(true);
  const leaks: string[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    const text = Buffer.from(bytes).toString('latin1');
    for (const id of identifiers) if (text.includes(id)) leaks.push(`${name}: ${id}`);
    if (name.endsWith('.dcm')) expect(text).toContain(pseudonym);
  }
  expect(leaks).toEqual([]);
  // ROIs by role and phase, series by phase: the planted ROI names and descriptions are not copied
  const all = Object.values(files)
    .map((b) => Buffer.from(b).toString('latin1'))
    .join('\n');
  expect(all).toMatch(/GTV \d+%/);
  expect(all).toContain('4D CT phase ');

  // the study page's data: description and reference names generated, no planted text
  const view = await page.request.get(`/api/studies/${studyId}`);
  const json = await view.text();
  expect(identifiers.filter((id) => json.includes(id))).toEqual([]);
  expect(JSON.parse(json).study.description).toBe('CT study');
});

test('reviewers and admins are refused the de-identified export', async ({ browser }) => {
  test.setTimeout(120_000);
  const { studyId } = await seeded();
  for (const role of ['REVIEWER', 'ADMIN'] as const) {
    const context = await browser.newContext({ baseURL: process.env.E2E_BASE_URL });
    const page = await context.newPage();
    await signIn(page, role);
    const res = await page.request.get(`/api/studies/${studyId}/export/deid`);
    expect(res.status(), role).toBe(403);
    expect((await res.json()).error.code).toBe('FORBIDDEN');
    await context.close();
  }
});
