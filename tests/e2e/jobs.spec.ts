/**
 * Upload a synthetic 4D CT study, watch the run finish: a physicist uploads a phantom study
 * (10 phase CT series plus RTSTRUCTs, real DICOM) through /import, follows its segmentation run
 * on /jobs (the page refreshes itself) until it SUCCEEDED with the demo model, and finds the
 * model's sha256 on /models. The upload's run goes ahead of the seeded cohort's bulk runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { test, expect } from './fixtures';
import { writePhantomStudy } from '../integration/import/phantom-fixture';

const DEMO_MANIFEST = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'models', 'demo', 'manifest.json'), 'utf8')) as {
  name: string;
  version: string;
  sha256: string;
};

function zipFolder(dir: string): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files[path.relative(dir, p).split(path.sep).join('/')] = fs.readFileSync(p);
    }
  };
  walk(dir);
  return zipSync(files, { level: 1 });
}

test('a physicist uploads a synthetic 4D CT study and watches its run finish on the jobs page; the model hash is on the models page', async ({ signedIn }) => {
  test.setTimeout(6 * 60_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-jobs-'));
  const study = await writePhantomStudy(path.join(tmp, 'patient'), { seed: 'e2e-jobs', index: 11, dims: [32, 32, 16], spacingMm: [10, 10, 12] });
  const zip = Buffer.from(zipFolder(study.dicomDir));
  const page = await signedIn('PHYSICIST');
  await page.getByRole('link', { name: 'Import' }).click();
  await page.getByTestId('import-file').setInputFiles({ name: 'phantom-jobs.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('import-submit').click();
  await expect(page.getByTestId('import-report').getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  const queuedText = await page.getByTestId('import-segmentation').textContent();
  const runId = /Segmentation run queued \(([^)]+)\)/.exec(queuedText ?? '')?.[1];
  expect(runId, `import report: ${queuedText}`).toBeTruthy();
  fs.rmSync(tmp, { recursive: true, force: true });

  const nav = page.locator('header.top');
  await nav.getByRole('link', { name: 'Jobs', exact: true }).click();
  await expect(page).toHaveURL(/\/jobs$/);
  await expect(page.getByRole('heading', { name: 'Jobs', level: 1 })).toBeVisible();
  // A live worker serving the demo model, and the queues.
  await expect(page.getByTestId('workers')).toContainText(`${DEMO_MANIFEST.name}@${DEMO_MANIFEST.version}`);
  await expect(page.getByTestId('queues')).toContainText('segmentation.run');
  const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toContainText(`${DEMO_MANIFEST.name}@${DEMO_MANIFEST.version}`);
  // No reload from the test: the page refreshes itself while the worker reports progress.
  await expect(row).toHaveAttribute('data-status', /RUNNING|SUCCEEDED/, { timeout: 4 * 60_000 });
  await page.screenshot({ path: 'test-results/screens/jobs-progress.png', fullPage: true });
  await expect(row).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 4 * 60_000 });
  await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  await expect(row).toContainText('done');
  await expect(row.getByRole('button', { name: 'Retry' })).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screens/jobs-succeeded.png', fullPage: true });

  // The status filter keeps it among the succeeded runs.
  await page.getByTestId('count-SUCCEEDED').click();
  await expect(page).toHaveURL(/status=SUCCEEDED/);
  await expect(page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`)).toBeVisible();
  await expect(page.locator('[data-testid="run-row"]:not([data-status="SUCCEEDED"])')).toHaveCount(0);

  await nav.getByRole('link', { name: 'Models', exact: true }).click();
  const demo = page.locator('[data-testid="installed-model"][data-folder="demo"]');
  await expect(demo.getByTestId('model-sha256')).toHaveText(DEMO_MANIFEST.sha256);
  await expect(demo.getByTestId('verified')).toBeVisible();
  await expect(demo).toContainText('default (ISEG_MODEL)');
  await expect(demo).toContainText('lung GTV');
  await expect(page.getByTestId('registered-models')).toContainText(DEMO_MANIFEST.sha256);
  // Only administrators may queue a whole cohort.
  await expect(page.getByRole('button', { name: /Segment all studies/ })).toHaveCount(0);
  await page.screenshot({ path: 'test-results/screens/models-physicist.png', fullPage: true });
});

test('an administrator sees the segment-all action on the models page', async ({ signedIn }) => {
  const admin = await signedIn('ADMIN');
  await admin.locator('header.top').getByRole('link', { name: 'Models', exact: true }).click();
  await expect(admin.getByRole('button', { name: 'Segment all studies without a run for this model' }).first()).toBeVisible();
  await admin.screenshot({ path: 'test-results/screens/models-admin.png', fullPage: true });
  await admin.locator('header.top').getByRole('link', { name: 'Jobs', exact: true }).click();
  await expect(admin.getByTestId('runs')).toBeVisible();
});

test('cancel a queued run on the jobs page, then retry it: a fresh run is queued', async ({ signedIn }) => {
  test.setTimeout(4 * 60_000);
  // Its own study, so the test does not depend on how far the worker is with the seeded cohort;
  // on a finer grid than the seeded ones, so that its run is still queued or running when the
  // test cancels it a moment after the upload (the upload's run goes ahead of bulk runs).
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-cancel-'));
  const study = await writePhantomStudy(path.join(tmp, 'patient'), { seed: 'e2e-cancel', index: 12, dims: [64, 64, 32], spacingMm: [5, 5, 6] });
  const zip = Buffer.from(zipFolder(study.dicomDir));
  fs.rmSync(tmp, { recursive: true, force: true });
  const page = await signedIn('PHYSICIST');
  page.on('dialog', (d) => void d.accept()); // the run may have started meanwhile: cancelling a running run asks first
  await page.goto('/import');
  await page.getByTestId('import-file').setInputFiles({ name: 'phantom-cancel.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('import-submit').click();
  await expect(page.getByTestId('import-report').getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  const runId = /Segmentation run queued \(([^)]+)\)/.exec((await page.getByTestId('import-segmentation').textContent()) ?? '')?.[1];
  expect(runId).toBeTruthy();
  await page.goto('/jobs');
  const row = page.locator(`[data-testid="run-row"][data-run-id="${runId}"]`);
  await expect(row).toBeVisible();
  await expect(row).toHaveAttribute('data-status', /QUEUED|RUNNING/);
  const pseudonym = await row.getAttribute('data-pseudonym');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toHaveAttribute('data-status', 'CANCELLED', { timeout: 30_000 });
  await expect(row).toContainText('Cancelled by');
  await row.getByRole('button', { name: 'Retry' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Queued a fresh run.' })).toBeVisible({ timeout: 30_000 });
  // The fresh run: same patient, a new run id (the newest row below the pinned running runs, or
  // pinned at the top itself once a worker takes it).
  const fresh = page.locator(`[data-testid="run-row"][data-pseudonym="${pseudonym}"]:not([data-run-id="${runId}"])`).first();
  await expect(fresh).toBeVisible({ timeout: 30_000 });
  await expect(fresh).toHaveAttribute('data-status', /QUEUED|RUNNING|SUCCEEDED/);
  // Running runs are pinned above every other row.
  const statuses = await page.locator('[data-testid="run-row"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
  expect(statuses.slice(0, statuses.filter((x) => x === 'RUNNING').length).every((x) => x === 'RUNNING')).toBe(true);
  await expect(row).toHaveAttribute('data-status', 'CANCELLED');
  await page.screenshot({ path: 'test-results/screens/jobs-cancel-retry.png', fullPage: true });
});

test('a researcher has no jobs or models pages', async ({ signedIn }) => {
  const page = await signedIn('RESEARCHER');
  await expect(page.locator('header.top').getByRole('link', { name: 'Jobs', exact: true })).toHaveCount(0);
  await expect(page.locator('header.top').getByRole('link', { name: 'Models', exact: true })).toHaveCount(0);
  const res = await page.goto('/jobs');
  expect(res?.status()).toBe(403);
  await expect(page.getByRole('alert')).toContainText(/researcher role may not .*jobs/);
});
