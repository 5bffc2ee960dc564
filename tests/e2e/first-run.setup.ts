/**
 * A new install: no administrator yet. The login page points to /setup; a wrong token is
 * refused; the one-time link printed by `npm start` creates the first admin, and cannot be used
 * twice.
 */
import { test, expect } from '@playwright/test';
import { USERS } from './fixtures';

test('the first administrator is created with the printed setup token', async ({ page }) => {
  const token = process.env.E2E_SETUP_TOKEN!;
  await page.goto('/login');
  await expect(page.getByText('No administrator yet')).toBeVisible();
  await page.getByRole('link', { name: 'setup page' }).click();
  await page.getByLabel('Setup token').fill('not-the-token');
  await page.getByLabel('Email').fill(USERS.ADMIN.email);
  await page.getByLabel('Name').fill('E2E admin');
  await page.getByLabel('Password (at least 10 characters)').fill(USERS.ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'not valid' })).toBeVisible();

  // Then through the link npm start printed, which fills the token in. (Typing into the form
  // that answered the wrong token can race React's reset of that form after its action.)
  await page.goto(`/setup?token=${token}`);
  await expect(page.getByLabel('Setup token')).toHaveValue(token);
  await page.getByLabel('Email').fill(USERS.ADMIN.email);
  await page.getByLabel('Name').fill('E2E admin');
  await page.getByLabel('Password (at least 10 characters)').fill(USERS.ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByText('No administrator yet')).toHaveCount(0);

  // The token is burnt: /setup now sends you to sign in.
  await page.goto(`/setup?token=${token}`);
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel('Email').fill(USERS.ADMIN.email);
  await page.getByLabel('Password').fill(USERS.ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toContainText('admin');
});
