import fs from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/**
 * Analysis snapshots (issue #16 item 2): a researcher freezes the analysis on the outcomes page,
 * lands on the snapshot's page (citable id, hash, code version, the frozen results), downloads the
 * zip (dataset.csv, dictionary.json, results.json, reproduce.R) and finds it in the list. Uses the
 * outcomes the demo seed writes (present whatever other specs did); the R refit itself is checked
 * by tests/integration/outcomes/analysis-snapshots.test.ts.
 */
test('a researcher freezes an analysis, opens its snapshot page and downloads the zip', async ({ signedIn }) => {
  test.setTimeout(600_000);
  const page = await signedIn('RESEARCHER');
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  // The demo cohort seeds in the background: wait until outcomes exist (the analysis form shows).
  await expect(async () => {
    await page.goto('/outcomes');
    await expect(page.getByTestId('analysis-form')).toBeVisible({ timeout: 5_000 });
  }).toPass({ timeout: 480_000, intervals: [5_000] });

  // Whatever covariate is usable now (clinical columns or contour measures), if any: a Cox model too.
  const usable = page.getByTestId('analysis-form').locator('input[name="cov"]:not([disabled])');
  if ((await usable.count()) > 0) await usable.first().check();
  await page.getByRole('button', { name: 'Run analysis' }).click();
  // The form navigates in a transition (components/get-form.tsx): the URL changes when the new
  // page has rendered, so waiting for it keeps the steps below off the page being replaced.
  await expect(page).toHaveURL(/\/outcomes\?/);
  await expect(page.getByTestId('km-section')).toBeVisible();

  const freeze = page.getByTestId('freeze-snapshot');
  await freeze.scrollIntoViewIfNeeded();
  await expect(freeze.getByRole('button', { name: 'Freeze as snapshot' })).toBeDisabled(); // no title yet
  const title = `e2e snapshot ${Date.now()}`;
  await freeze.getByLabel('Title').fill(title);
  await freeze.screenshot({ path: 'test-results/screens/snapshot-freeze.png' });
  await freeze.getByRole('button', { name: 'Freeze as snapshot' }).click();

  await expect(page).toHaveURL(/\/outcomes\/snapshots\/ISQ-[A-Z2-7]{10}/, { timeout: 60_000 });
  const id = (await page.getByTestId('snapshot-id').textContent())!.trim();
  expect(id).toMatch(/^ISQ-[A-Z2-7]{10}$/);
  expect(page.url()).toContain(id);
  await expect(page.getByTestId('snapshot-hash')).toHaveText(/^[0-9a-f]{64}$/);
  await expect(page.getByTestId('snapshot-header')).toContainText('checked against the stored content');
  await expect(page.getByTestId('snapshot-code-version')).toHaveText(/^iseg-qa /);
  await expect(page.getByTestId('km-section').locator('svg.recharts-surface').first()).toBeVisible();
  await expect(page.getByTestId('snapshot-settings')).toContainText('What was analysed');
  await page.screenshot({ path: 'test-results/screens/snapshot-page.png', fullPage: true });

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('snapshot-download').click()]);
  expect(download.suggestedFilename()).toBe(`${id}.zip`);
  const zipPath = `test-results/${id}.zip`;
  await download.saveAs(zipPath);
  const files = unzipSync(new Uint8Array(fs.readFileSync(zipPath)));
  const names = Object.keys(files).map((n) => n.replace(`${id}/`, ''));
  for (const f of ['dataset.csv', 'dictionary.json', 'results.json', 'reproduce.R']) expect(names).toContain(f);
  const csv = strFromU8(files[`${id}/dataset.csv`]!);
  expect(csv.split('\r\n')[0]).toMatch(/^pseudonym,.*analysis_set,km_group$/);
  expect(strFromU8(files[`${id}/reproduce.R`]!)).toContain('library(survival)');
  // pseudonyms only: no demo patient's name or MRN
  for (const p of DEMO_PATIENTS) for (const v of [p.name, p.mrn]) if (v) expect(csv).not.toContain(v);

  await page.goto('/outcomes/snapshots');
  await expect(page.getByTestId('snapshots-table')).toContainText(id);
  await expect(page.getByTestId('snapshots-table')).toContainText(title);
  expect(consoleErrors).toEqual([]);
});
