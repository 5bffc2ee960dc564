/** Sign-in fixture: a page signed in as the given role through the real login form. */
import { test as base, expect, type Page } from '@playwright/test';

type Role = 'ADMIN' | 'PHYSICIST' | 'RESEARCHER' | 'REVIEWER';
export const USERS = JSON.parse(process.env.E2E_USERS ?? '{}') as Record<Role, { email: string; password: string }>;

/** The demo cohort `npm start` seeded, with the identifiers a researcher must never see. */
export const DEMO_PATIENTS = JSON.parse(process.env.E2E_DEMO_PATIENTS ?? '[]') as { pseudonym: string; mrn: string | null; name: string | null }[];

export async function signIn(page: Page, role: Role): Promise<void> {
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
