import fs from 'node:fs';
import { test, expect, signIn, signInThroughForm, USERS } from './fixtures';

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

test('a physicist signs in through the form and lands on the cohort page with the seeded studies', async ({ page }) => {
  await signInThroughForm(page, 'PHYSICIST');
  await expect(page.getByRole('heading', { name: 'Cohort QA' })).toBeVisible();
  // The cohort page reads the studies live (tests/e2e/cohort.spec.ts checks its numbers).
  // 40 seeded, plus any a spec that ran earlier imported.
  await expect(page.getByTestId('cohort-summary')).toContainText(/\b(4\d|[5-9]\d) studies/);
  await page.screenshot({ path: 'test-results/screens/signed-in-physicist.png', fullPage: true });
});

test('each role can sign in and open the cohort page', async ({ browser }) => {
  for (const role of ['ADMIN', 'RESEARCHER', 'REVIEWER'] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(USERS[role].email);
    await page.getByLabel('Password').fill(USERS[role].password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('who')).toContainText(role.toLowerCase());
    await expect(page.getByTestId('cohort-status')).toContainText(/\b(4\d|[5-9]\d) studies/);
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

test('a hostile callbackUrl on the login page keeps the browser on the app after sign-in', async ({ browser }) => {
  const base = process.env.E2E_BASE_URL!;
  for (const callback of ['%2F%5Cevil.example%2F', '%2F%09%2Fevil.example%2F', 'http%3A%2F%2F127.0.0.1%40evil.example%2F', '%2F%2Fevil.example']) {
    const context = await browser.newContext({ baseURL: base });
    const page = await context.newPage();
    await page.goto(`/login?callbackUrl=${callback}`);
    await page.getByLabel('Email').fill(USERS.REVIEWER.email);
    await page.getByLabel('Password').fill(USERS.REVIEWER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('who')).toContainText('reviewer');
    expect(new URL(page.url()).origin, callback).toBe(new URL(base).origin);
    await context.close();
  }
});

test('a session cookie captured before sign-out is refused afterwards', async ({ browser }) => {
  const base = process.env.E2E_BASE_URL!;
  const context = await browser.newContext({ baseURL: base });
  const page = await context.newPage();
  await signIn(page, 'REVIEWER');
  const captured = (await context.cookies()).filter((c) => c.name.endsWith('next-auth.session-token'));
  expect(captured.length).toBeGreaterThan(0);
  const api = '/api/review/minutes?meeting=2000-01-01';
  expect((await context.request.get(api, { failOnStatusCode: false })).status()).not.toBe(401);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  const replay = await browser.newContext({ baseURL: base });
  await replay.addCookies(captured);
  expect((await replay.request.get(api, { failOnStatusCode: false })).status()).toBe(401);
  expect(await (await replay.request.get('/api/auth/session')).json()).toEqual({});
  await context.close();
  await replay.close();
});
