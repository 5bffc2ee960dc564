/**
 * Sign-in fixtures. Specs sign in through next-auth's credentials endpoint (`signIn`): fast and
 * independent of the login page's timing, so a loaded machine does not turn a slow form into a
 * failed test. tests/e2e/sign-in.spec.ts keeps signing in through the real form
 * (`signInThroughForm`).
 */
import { test as base, expect, type Page } from '@playwright/test';

type Role = 'ADMIN' | 'PHYSICIST' | 'RESEARCHER' | 'REVIEWER';
export const USERS = JSON.parse(process.env.E2E_USERS ?? '{}') as Record<Role, { email: string; password: string }>;

/** The demo cohort `npm start` seeded, with the identifiers a researcher must never see. */
export const DEMO_PATIENTS = JSON.parse(process.env.E2E_DEMO_PATIENTS ?? '[]') as { pseudonym: string; mrn: string | null; name: string | null }[];

/** Signs the page's browser context in through the API, then opens the cohort page as that role. */
export async function signIn(page: Page, role: Role): Promise<void> {
  const request = page.context().request;
  const csrf = await request.get('/api/auth/csrf');
  expect(csrf.ok(), `GET /api/auth/csrf answered ${csrf.status()}`).toBe(true);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await request.post('/api/auth/callback/credentials', {
    form: { csrfToken, email: USERS[role].email, password: USERS[role].password, callbackUrl: '/', json: 'true' },
    maxRedirects: 0,
    failOnStatusCode: false,
  });
  const cookies = await page.context().cookies();
  expect(
    cookies.some((c) => c.name.endsWith('next-auth.session-token')),
    `sign-in of ${role} through /api/auth/callback/credentials gave no session cookie (status ${res.status()}, location ${res.headers()['location'] ?? '-'})`,
  ).toBe(true);
  await page.goto('/');
  await expect(page.getByTestId('who')).toContainText(role.toLowerCase());
}

/** Signs in through the real login form, as a person does. */
export async function signInThroughForm(page: Page, role: Role): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(USERS[role].email);
  await page.getByLabel('Password').fill(USERS[role].password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText(role.toLowerCase());
}

export const test = base.extend<{ signedIn: (role: Role) => Promise<Page> }>({
  signedIn: async ({ page }, use) => {
    await use(async (role: Role) => {
      await signIn(page, role);
      return page;
    });
  },
});
export { expect };
