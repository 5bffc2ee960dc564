/**
 * A physicist uploads a synthetic 4D CT study (10 phase CT series plus the physician's
 * RTSTRUCTs, written as real DICOM by the phantom generator) through the import page.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { test, expect } from './fixtures';
import { writePhantomStudy } from '../integration/import/phantom-fixture';

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

test('a physicist uploads a 4D CT study and sees every phase and structure in the report; a second upload is a no-op', async ({ signedIn }) => {
  test.setTimeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-upload-'));
  const study = await writePhantomStudy(path.join(tmp, 'patient'), { seed: 'e2e-upload', index: 7, dims: [32, 32, 16], spacingMm: [10, 10, 12] });
  const zip = Buffer.from(zipFolder(study.dicomDir));
  const page = await signedIn('PHYSICIST');
  await page.getByRole('link', { name: 'Import' }).click();
  await page.getByTestId('import-file').setInputFiles({ name: 'phantom-4dct.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('import-submit').click();
  const report = page.getByTestId('import-report');
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  await expect(report).toContainText('10 series, 11 structures');
  for (const p of [0, 50, 90]) await expect(report).toContainText(`${p}% (#${p / 10})`);
  await expect(report).toContainText('GTV_20%');
  await expect(report.getByRole('cell', { name: 'ITV', exact: true }).first()).toBeVisible();
  // The demo model is installed in this test run, so the import queues a segmentation run.
  await expect(page.getByTestId('import-segmentation')).toContainText('Segmentation run queued');
  await page.screenshot({ path: 'test-results/screens/import-physicist.png', fullPage: true });

  await page.getByTestId('import-file').setInputFiles({ name: 'phantom-4dct.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('import-submit').click();
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Already imported', { timeout: 60_000 });
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a zip with a path outside its folder is refused with the reason', async ({ signedIn }) => {
  const page = await signedIn('PHYSICIST');
  await page.goto('/import');
  const evil = Buffer.from(zipSync({ '../escape.dcm': new Uint8Array([1, 2, 3]) }));
  await page.getByTestId('import-file').setInputFiles({ name: 'evil.zip', mimeType: 'application/zip', buffer: evil });
  await page.getByTestId('import-submit').click();
  await expect(page.getByTestId('import-error')).toContainText('..');
});
