/**
 * Through the running app (Next server build): a compressed CT export (real CT crop, JPEG 2000
 * and 8-bit JPEG, tests/fixtures/dicom/compressed) is decoded by the WASM codecs and imported;
 * a study exported again with another phase and the RTSTRUCTs is added to the stored study.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';
import { test, expect } from './fixtures';
import { writePhantomStudy } from '../integration/import/phantom-fixture';

const FIX = fileURLToPath(new URL('../fixtures/dicom/compressed', import.meta.url));

function zipFolder(dir: string, only?: (rel: string) => boolean): Buffer {
  const files: Record<string, Uint8Array> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join('/');
      if (e.isDirectory()) walk(p);
      else if (!only || only(rel)) files[rel] = fs.readFileSync(p);
    }
  };
  walk(dir);
  return Buffer.from(zipSync(files, { level: 1 }));
}

test('compressed CT (JPEG 2000, then lossy 8-bit JPEG) imports through the upload page', async ({ signedIn }) => {
  test.setTimeout(120_000);
  const page = await signedIn('PHYSICIST');
  await page.goto('/import');
  const report = page.getByTestId('import-report');
  await page.getByTestId('import-file').setInputFiles({ name: 'ct-j2k.zip', mimeType: 'application/zip', buffer: zipFolder(path.join(FIX, 'rtutils/j2k')) });
  await page.getByTestId('import-submit').click();
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  await expect(report).toContainText('1 series, 0 structures');
  await expect(report.getByRole('cell', { name: '80×96×2' })).toBeVisible();

  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'ct-jpeg.zip', mimeType: 'application/zip', buffer: zipFolder(path.join(FIX, 'totalseg/jpeg-baseline')) });
  await page.getByTestId('import-submit').click();
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  await expect(page.getByTestId('import-findings')).toContainText('LOSSY_COMPRESSION');
  await page.screenshot({ path: 'test-results/screens/import-compressed.png', fullPage: true });
});

test('a study exported again with another phase and the RTSTRUCTs is added to the stored study', async ({ signedIn }) => {
  test.setTimeout(120_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-merge-'));
  const study = await writePhantomStudy(path.join(tmp, 'patient'), {
    seed: 'e2e-merge',
    index: 11,
    dims: [32, 32, 16],
    spacingMm: [10, 10, 12],
    phasePercents: [0, 50],
  });
  const page = await signedIn('PHYSICIST');
  await page.goto('/import');
  const report = page.getByTestId('import-report');
  await page
    .getByTestId('import-file')
    .setInputFiles({ name: 'first.zip', mimeType: 'application/zip', buffer: zipFolder(study.dicomDir, (rel) => rel.startsWith('phase_00/')) });
  await page.getByTestId('import-submit').click();
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  await expect(report).toContainText('1 series, 0 structures');

  await page.getByTestId('import-file').setInputFiles({ name: 'again.zip', mimeType: 'application/zip', buffer: zipFolder(study.dicomDir) });
  await page.getByTestId('import-submit').click();
  await expect(report.getByRole('heading', { level: 2 })).toHaveText('Added to the stored study', { timeout: 60_000 });
  await expect(report).toContainText('2 series, 3 structures');
  await expect(page.getByTestId('import-findings')).toContainText('STUDY_MERGED');
  await page.screenshot({ path: 'test-results/screens/import-merge.png', fullPage: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});
