/**
 * The DICOM node in the browser (issue #14): an admin adds a DICOM destination and an allowed
 * calling AE title; the navigation has one "PACS" entry; a physicist opens Receive (the
 * listener's AE title and port, the received studies) and sends a small phantom study to the
 * e2e app's listener with dcmtk's storescu (E2E_DICOM_PORT, from scripts/e2e.ts), which appears
 * on Receive and is imported; with no PACS configured, the PACS page shows its empty state.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from './fixtures';
import { writePhantomStudy } from '../integration/import/phantom-fixture';
import { haveDcmtk, storescu } from '../peers/dcmtk';

const DICOM_PORT = Number(process.env.E2E_DICOM_PORT ?? 0);
const SENDER = 'E2E_TPS';
const shot = (name: string) => path.join('test-results', `dicom-node-${name}.png`);

test('an admin adds a DICOM destination and an allowed AE title; one PACS entry in the navigation', async ({ signedIn }) => {
  const page = await signedIn('ADMIN');
  const nav = page.locator('header.top');
  await expect(nav.getByRole('link', { name: 'PACS', exact: true })).toHaveCount(1);
  await expect(nav.getByRole('link', { name: /PACS/ })).toHaveCount(1);

  await nav.getByRole('link', { name: 'DICOM destinations' }).click();
  await expect(page.getByRole('heading', { name: 'DICOM destinations' })).toBeVisible();
  const form = page.getByTestId('destination-form-new');
  await form.getByLabel('Name').fill('E2E Eclipse');
  await form.getByLabel('Peer AE title').fill('ECLIPSE_E2E');
  await form.getByLabel('Host').fill('127.0.0.1');
  await form.getByLabel('Port').fill('104');
  await form.getByRole('button', { name: 'Add destination' }).click();
  await expect(page.getByTestId('destinations-done')).toBeVisible();
  await expect(page.getByTestId('destination-form-E2E Eclipse')).toBeVisible();
  await page.screenshot({ path: shot('destinations'), fullPage: true });

  await nav.getByRole('link', { name: 'Receive' }).click();
  const allowed = page.getByTestId('receive-allowed');
  await allowed.getByLabel('AE title').fill(SENDER);
  await allowed.getByLabel('Note').fill('e2e planning system');
  await allowed.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByTestId('receive-done')).toBeVisible();
  await expect(page.getByTestId('receive-allowed')).toContainText(SENDER);

  // The PACS settings are reached from the query page.
  await page.locator('header.top').getByRole('link', { name: 'PACS', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Query PACS' })).toBeVisible();
  await page.getByTestId('pacs-settings-link').getByRole('link', { name: 'PACS settings' }).click();
  await expect(page.getByRole('heading', { name: 'PACS (DICOMweb)' })).toBeVisible();
});

test('a physicist sees the listener on Receive, a study sent with storescu appears and is imported; PACS shows its empty state', async ({ signedIn }) => {
  test.setTimeout(5 * 60_000);
  const page = await signedIn('PHYSICIST');
  const nav = page.locator('header.top');
  await nav.getByRole('link', { name: 'Receive' }).click();
  await expect(page.getByRole('heading', { name: 'Receive', exact: true })).toBeVisible();
  await expect(page.getByTestId('receive-listener')).toContainText(`AE title ISEG_QA on 127.0.0.1:${DICOM_PORT}`);
  await expect(page.getByTestId('receive-spool')).toContainText('Spool:');
  // No form to change the allow-list for a physicist.
  await expect(page.getByTestId('receive-allowed').getByRole('button', { name: 'Allow' })).toHaveCount(0);

  expect(DICOM_PORT, 'E2E_DICOM_PORT is set by scripts/e2e.ts (npm run test:e2e)').toBeGreaterThan(0);
  if (haveDcmtk()) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-dicom-'));
    try {
      const study = await writePhantomStudy(path.join(tmp, 'patient'), {
        seed: 'e2e-dicom-node',
        index: 12,
        phasePercents: [0, 50],
        dims: [32, 32, 16],
        spacingMm: [10, 10, 12],
      });
      const r = await storescu({ port: DICOM_PORT, calledAe: 'ISEG_QA', callingAe: SENDER }, [study.dicomDir]).done;
      expect(r.code, r.output).toBe(0);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    const row = page.getByTestId('receive-studies').locator('tr', { hasText: SENDER }).first();
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(row).toContainText('CT, RTSTRUCT');
    await page.screenshot({ path: shot('receive-waiting'), fullPage: true });
    // Imported after the quiet time (30 s by default); the page refreshes itself.
    await expect(row.getByTestId('received-state')).toContainText('imported', { timeout: 150_000 });
    await expect(row.getByRole('link', { name: 'study' })).toBeVisible();
    await expect(page.getByTestId('receive-associations')).toContainText('released');
    await page.screenshot({ path: shot('receive-imported'), fullPage: true });
  }

  await nav.getByRole('link', { name: 'PACS', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Query PACS' })).toBeVisible();
  await expect(page.getByText('No PACS is configured.')).toBeVisible();
  await expect(page.getByText('An administrator adds one on the PACS settings page.')).toBeVisible();
  await expect(page.getByTestId('pacs-settings-link')).toHaveCount(0);
  await page.screenshot({ path: shot('pacs-empty'), fullPage: true });
});
