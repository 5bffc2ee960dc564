/**
 * Slow actions say so (issue #16 item 7). The server action's request (or the download) is held
 * by the test until the pending state has been checked, so nothing here depends on how fast the
 * server is:
 * - "Create user" (components/pending-button.tsx) reads "Creating…", is disabled and aria-busy
 *   while the action runs; a double click sends one request and creates one user;
 * - the analysis-dataset CSV (components/download-link.tsx) reads "Exporting…" until the file is
 *   there, a second click fetches nothing more, and the browser then saves one file.
 */
import fs from 'node:fs';
import type { Page, Route } from '@playwright/test';
import { test, expect, signIn } from './fixtures';

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
