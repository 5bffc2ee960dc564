/**
 * Slow actions say so (issue #16 item 7). The server action's request (or the download) is held
 * by the test until the pending state has been checked, so nothing here depends on how fast the
 * server is:
 * - "Create user" (components/pending-button.tsx) reads "Creating…", is disabled and aria-busy
 *   while the action runs; a double click sends one request and creates one user;
 * - the analysis-dataset CSV (components/download-link.tsx) reads "Exporting…" until the file is
 *   there, a second click fetches nothing more, and the browser then saves one file;
 * - "Prepare de-identified export" on the study page (components/viewer/deid-export-panel.tsx)
 *   reads "Queueing the export…" while its request is held, a double click queues one export, the
 *   panel shows its state and progress, then a Download link with size and sha256; the browser
 *   saves a zip with that sha256;
 * - the cohort filters (a GET form, components/get-form.tsx) read "Applying…", disabled and
 *   aria-busy, until the filtered cohort has loaded.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import type { Page, Route } from '@playwright/test';
import { test, expect, signIn, DEMO_PATIENTS, USERS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/** Holds the matching requests until `release()`; counts them. */
async function hold(page: Page, matches: (url: URL, method: string) => boolean) {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const seen = { count: 0 };
  const handler = async (route: Route) => {
    if (!matches(new URL(route.request().url()), route.request().method())) return route.continue();
    seen.count++;
    await released;
    await route.continue();
  };
  await page.route('**/*', handler);
  return { seen, release, done: () => page.unroute('**/*', handler) };
}

test('Create user shows its pending state and a double click creates one user', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'ADMIN');
  await page.goto('/admin/users');
  const email = `pending-${Date.now()}@e2e.test`;
  const form = page.getByTestId('create-user');
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Name').fill('Pending user');
  await form.getByLabel(/Initial password/).fill('pending-password-1');
  await form.getByLabel('Role').selectOption('RESEARCHER');

  const held = await hold(page, (url, method) => method === 'POST' && url.pathname === '/admin/users');
  await form.getByRole('button', { name: 'Create user' }).dblclick();
  const pending = form.getByRole('button', { name: 'Creating…' });
  await expect(pending).toBeDisabled();
  await expect(pending).toHaveAttribute('aria-busy', 'true');
  await page.screenshot({ path: 'test-results/screens/pending-create-user.png', fullPage: false });
  await expect.poll(() => held.seen.count).toBe(1);
  held.release();

  await expect(page.getByTestId('users-done')).toHaveText(`Created ${email} (researcher).`);
  await expect(page.getByTestId(`user-${email}`)).toHaveCount(1);
  expect(held.seen.count).toBe(1);
  await expect(page.getByTestId('create-user').getByRole('button', { name: 'Create user' })).toBeEnabled();
  await held.done();
});

test('the analysis-dataset download reads "Exporting…" until the file is saved', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'RESEARCHER');
  await page.goto('/outcomes');
  const link = page.getByTestId('download-analysis-dataset');
  await expect(link).toHaveText('Download the analysis dataset (CSV, one row per patient)');

  const held = await hold(page, (url) => url.pathname === '/api/outcomes/dataset.csv');
  const download = page.waitForEvent('download');
  await link.click();
  await expect(link).toHaveText('Exporting the analysis dataset…');
  await expect(link).toHaveAttribute('aria-busy', 'true');
  await link.click({ force: true }); // aria-disabled: Playwright would wait; a person's click is ignored while the first is under way
  await page.screenshot({ path: 'test-results/screens/pending-download.png', fullPage: false });
  held.release();

  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.csv$/);
  const text = fs.readFileSync((await file.path())!, 'utf8');
  expect(text.split('\n')[0]).toContain('pseudonym');
  await expect(link).toHaveText('Download the analysis dataset (CSV, one row per patient)');
  expect(held.seen.count).toBe(1);
  await held.done();
});

test('"Prepare de-identified export": pending, one export for a double click, progress, then Download of the zip', async ({ page }) => {
  test.setTimeout(300_000);
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    // Any seeded demo study with a stored CT (other specs upload their own).
    let studyId: string | undefined;
    for (const deadline = Date.now() + 240_000; !studyId; await new Promise((r) => setTimeout(r, 2000))) {
      const r = await client.query(
        `SELECT s.id FROM "Study" s JOIN "Patient" p ON p.id = s."patientId" JOIN "ImageSeries" i ON i."studyId" = s.id
          WHERE p.pseudonym = ANY($1::text[]) AND i."volumeKey" IS NOT NULL ORDER BY p.pseudonym LIMIT 1`,
        [DEMO_PATIENTS.map((p) => p.pseudonym)],
      );
      studyId = r.rows[0]?.id as string | undefined;
      if (!studyId && Date.now() > deadline) throw new Error('no seeded demo study within 4 minutes: is the demo cohort seeding?');
    }
    const countMine = async () =>
      Number(
        (await client.query(`SELECT count(*)::int AS n FROM "DeidExport" WHERE "studyId" = $1 AND "requestedByEmail" = $2`, [studyId, USERS.RESEARCHER.email]))
          .rows[0].n,
      );
    const before = await countMine();

    await signIn(page, 'RESEARCHER');
    await page.goto(`/studies/${studyId}`);
    const panel = page.getByTestId('deid-export');
    const prepare = panel.getByTestId('deid-prepare');
    await expect(prepare).toBeEnabled();

    const held = await hold(page, (url, method) => method === 'POST' && url.pathname === `/api/studies/${studyId}/export/deid/jobs`);
    await prepare.dblclick();
    await expect(prepare).toHaveText('Queueing the export…');
    await expect(prepare).toBeDisabled();
    await page.screenshot({ path: 'test-results/screens/pending-deid-queueing.png', fullPage: false });
    held.release();
    // Queued or being written: the button says so and stays disabled; the row is one.
    await expect(panel).toHaveAttribute('data-state', /QUEUED|RUNNING|READY/);
    await page.screenshot({ path: 'test-results/screens/pending-deid-progress.png', fullPage: false });
    await expect.poll(countMine).toBe(before + 1);
    const latest = async () =>
      (
        await client.query(
          `SELECT id, state::text AS state, sha256, "sizeBytes"::text AS size FROM "DeidExport" WHERE "studyId" = $1 AND "requestedByEmail" = $2 ORDER BY "requestedAt" DESC LIMIT 1`,
          [studyId, USERS.RESEARCHER.email],
        )
      ).rows[0] as { id: string; state: string; sha256: string | null; size: string | null };
    const { id } = await latest();
    await expect(panel.getByTestId('deid-download')).toHaveAttribute('href', new RegExp(`/jobs/${id}$`), { timeout: 240_000 });
    await expect(panel).toHaveAttribute('data-state', 'READY');
    expect(held.seen.count).toBe(1);
    const row = await latest();
    expect(row.state).toBe('READY');

    const ready = panel.getByTestId('deid-ready');
    await expect(ready).toContainText('sha256');
    await expect(ready).toContainText(`requested by ${USERS.RESEARCHER.email}`);
    await expect(ready.locator('code')).toHaveAttribute('title', row.sha256!);
    await page.screenshot({ path: 'test-results/screens/pending-deid-ready.png', fullPage: false });

    const download = page.waitForEvent('download');
    await panel.getByTestId('deid-download').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/-deid\.zip$/);
    const bytes = fs.readFileSync((await file.path())!);
    expect(bytes.length).toBe(Number(row.size));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(row.sha256);
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');
    await held.done();
  } finally {
    await client.end();
  }
});

test('the cohort filters (a GET form) read "Applying…" until the filtered cohort has loaded', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, 'PHYSICIST');
  await page.goto('/');
  const form = page.getByTestId('cohort-filters');
  const apply = form.getByRole('button', { name: 'Apply filters' });
  await expect(apply).toBeEnabled();
  // Hydrated (React has attached its props to the form): before that a click is the plain GET navigation.
  await page.waitForFunction(() => {
    const f = document.querySelector('[data-testid="cohort-filters"]');
    return !!f && Object.keys(f).some((k) => k.startsWith('__reactProps'));
  });
  await form.getByLabel('Institution').selectOption({ index: 1 });

  const held = await hold(page, (url, method) => method === 'GET' && url.pathname === '/' && url.searchParams.has('institution'));
  await apply.click();
  const pending = form.getByRole('button', { name: 'Applying…' });
  await expect(pending).toBeDisabled();
  await expect(pending).toHaveAttribute('aria-busy', 'true');
  await expect(form).toHaveAttribute('aria-busy', 'true');
  await page.screenshot({ path: 'test-results/screens/pending-cohort-filters.png', fullPage: false });
  await expect.poll(() => held.seen.count).toBeGreaterThanOrEqual(1);
  held.release();

  await expect(page).toHaveURL(/[?&]institution=[^&]+/);
  await expect(form.getByRole('button', { name: 'Apply filters' })).toBeEnabled();
  await expect(form).not.toHaveAttribute('aria-busy', 'true');
  await held.done();
});
