/**
 * /admin/alert-webhooks in a real browser (docs/monitoring.md, "Webhooks"): an admin reaches it
 * from /monitoring, a plain-http URL to another host is refused with the rule on the page, an
 * http://127.0.0.1 URL with a secret is saved (the secret is not shown again), and a physicist
 * gets the refusal. Deliveries themselves: tests/integration/monitoring/alert-webhooks.test.ts.
 */
import fs from 'node:fs';
import { test, expect, signIn } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

test('an admin sets the Dice alert webhook; bad URLs are refused on the page; a physicist may not', async ({ signedIn }) => {
  test.setTimeout(180_000);
  const page = await signedIn('ADMIN');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/monitoring');
  await page.getByRole('link', { name: 'Alert webhooks' }).click();
  await expect(page.getByRole('heading', { name: 'Alert webhooks', level: 1 })).toBeVisible();

  const form = page.getByTestId('webhook-form-dice');
  await form.getByLabel('Webhook URL for ITV Dice').fill('http://hooks.example.org/iseg');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('webhooks-error')).toContainText('must use https:// (plain http:// only to localhost');

  await page.getByTestId('webhook-form-dice').getByLabel('Webhook URL for ITV Dice').fill('http://127.0.0.1:9/iseg-e2e');
  await page.getByTestId('webhook-form-dice').getByLabel('Signing secret for ITV Dice').fill('e2e-secret-0123456789abcdef');
  await page.getByTestId('webhook-form-dice').getByRole('button', { name: 'Save' }).click();
  await expect(page.getByTestId('webhooks-done')).toContainText('Saved the webhook for dice alerts: http://127.0.0.1:9/iseg-e2e, signed.');
  const saved = page.getByTestId('webhook-form-dice');
  await expect(saved.getByLabel('Webhook URL for ITV Dice')).toHaveValue('http://127.0.0.1:9/iseg-e2e');
  await expect(saved.getByLabel('Signing secret for ITV Dice')).toHaveValue('');
  await expect(saved.getByLabel('Signing secret for ITV Dice')).toHaveAttribute('placeholder', 'Secret set (blank: keep it)');
  expect(await page.content()).not.toContain('e2e-secret-0123456789abcdef');
  await page.screenshot({ path: 'test-results/screens/alert-webhooks.png', fullPage: true });

  // Removed again, so no other spec's alerts are sent to the dead test URL.
  await page.getByTestId('webhook-form-dice').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('webhooks-done')).toContainText('Removed the webhook for dice alerts.');
  expect(errors).toEqual([]);

  await page.context().clearCookies();
  await signIn(page, 'PHYSICIST');
  const res = await page.goto('/admin/alert-webhooks');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
});
