import fs from 'node:fs';
import { test, expect, USERS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

test('an unauthenticated visitor is sent to the login page, and APIs answer 401', async ({ page, request }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole('heading', { name: 'iSeg QA' })).toBeVisible();
  const api = await request.get('/api/anything');
  expect(api.status()).toBe(401);
  const health = await request.get('/api/health');
  expect(await health.json()).toEqual({ status: 'ok', database: 'ok' });
});

test('a wrong password is refused with a clear message', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').fill(USERS.PHYSICIST.email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not correct' })).toHaveText('Email or password is not correct.');
  await expect(page).toHaveURL(/\/login/);
});

test('a physicist signs in, asks for the cohort summary, and the worker computes it', async ({ signedIn }) => {
  const page = await signedIn('PHYSICIST');
  await page.getByRole('button', { name: 'Recompute cohort summary' }).click();
  // The worker process computes it in the background; reload until it is there.
  await expect(async () => {
    await page.reload();
    await expect(page.getByTestId('cohort-summary')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 45_000 });
  await expect(page.getByTestId('cohort-summary')).toContainText('40');
  await expect(page.getByTestId('computed-at')).toContainText('by job');
  await page.screenshot({ path: 'test-results/screens/cohort-physicist.png', fullPage: true });
});

test('each role can sign in; only roles that may enqueue jobs see the button', async ({ browser }) => {
  for (const role of ['ADMIN', 'RESEARCHER', 'REVIEWER'] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(USERS[role].email);
    await page.getByLabel('Password').fill(USERS[role].password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('who')).toContainText(role.toLowerCase());
    const button = page.getByRole('button', { name: 'Recompute cohort summary' });
    if (role === 'ADMIN') await expect(button).toBeVisible();
    else await expect(button).toHaveCount(0);
    await context.close();
  }
});

test('sign out ends the session', async ({ signedIn }) => {
  const page = await signedIn('REVIEWER');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/login/);
});
