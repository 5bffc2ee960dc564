/**
 * A new install: no administrator yet. The login page points to /setup; the one-time token
 * printed by `npm start` creates the first admin, and cannot be used twice.
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

  await page.getByLabel('Setup token').fill(token);
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
