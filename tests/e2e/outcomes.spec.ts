import fs from 'node:fs';
import { test, expect, signIn, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/**
 * Outcomes for the 40 demo patients (by pseudonym, as `npm start` seeded them) with two
 * clinical columns, so that a Cox model has covariates before any segmentation has run.
 */
function outcomesCsv(): string {
  const lines = ['pseudonym,local_failure,local_failure_days,died,death_days,last_follow_up_days,age,stage'];
  for (let i = 0; i < 40; i++) {
    const u = (k: number) => {
      const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
      return x - Math.floor(x);
    };
    const age = 50 + ((i * 7) % 30);
    const lf = Math.round(-Math.log(1 - u(1)) / (0.001 * Math.exp(0.03 * (age - 60))));
    const death = Math.round(-Math.log(1 - u(2)) / 0.0004);
    const follow = Math.round(200 + u(3) * 900);
    const end = Math.min(lf, death, follow);
    const isLf = end === lf ? 1 : 0;
    const died = !isLf && end === death ? 1 : 0;
    lines.push([DEMO_PATIENTS[i].pseudonym, isLf, isLf ? lf : '', died, died ? death : '', end, age, ['I', 'II', 'III'][(i * 7 + 3) % 3]].join(','));
  }
  return lines.join('\n') + '\n';
}

test('a physicist imports outcomes; a researcher runs a Cox model and sees the KM plot, without identifiers', async ({ signedIn }) => {
  test.setTimeout(120_000);
  // Importing is outcomes:import (physicists, admins); researchers analyse.
  const page = await signedIn('PHYSICIST');
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  await page.getByRole('link', { name: 'Outcomes' }).click();
  await expect(page.getByRole('heading', { name: 'Outcomes', level: 1 })).toBeVisible();

  // A file with an error is reported by row and column and cannot be imported.
  await page.getByLabel('Outcomes CSV').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`pseudonym,local_failure,local_failure_days,died,death_days,last_follow_up_days\n${DEMO_PATIENTS[0].pseudonym},yes,,0,,100\n`),
  });
  const report = page.getByTestId('upload-report');
  await expect(report).toContainText('1 problem found');
  await expect(report).toContainText('Row 1 (line 2), column "local_failure": "yes" is not a number');
  await expect(page.getByRole('button', { name: /^Import/ })).toHaveCount(0);

  // A good file: preview, then import.
  await page.getByLabel('Outcomes CSV').setInputFiles({ name: 'outcomes.csv', mimeType: 'text/csv', buffer: Buffer.from(outcomesCsv()) });
  await expect(report).toContainText('No problems found in 40 rows');
  await expect(report).toContainText('age (numeric), stage (categorical)');
  await page.getByRole('button', { name: 'Import 40 outcomes' }).click();
  await expect(report).toContainText('Imported 40 outcomes');

  await page.context().clearCookies();
  await signIn(page, 'RESEARCHER');
  await page.getByRole('link', { name: 'Outcomes' }).click();
  await expect(page.getByRole('heading', { name: 'Outcomes', level: 1 })).toBeVisible();
  await expect(page.getByLabel('Outcomes CSV')).toHaveCount(0);

  // Choose covariates and a grouping, run the analysis.
  await expect(page.getByRole('checkbox', { name: /^age/ })).toBeEnabled();
  await page.getByRole('checkbox', { name: /^age/ }).check();
  await page.getByRole('checkbox', { name: /^stage/ }).check();
  // The contour measures are offered too (enabled once runs have finished; the worker segments
  // the seeded studies while the specs run, so this spec does not depend on how many have).
  await expect(page.getByRole('checkbox', { name: /false-positive voxels/ })).toBeVisible();
  await page.locator('select[name="group"]').selectOption('median');
  await page.locator('select[name="groupBy"]').selectOption('clinical:age');
  await page.getByRole('button', { name: 'Run analysis' }).click();
  await expect(page).toHaveURL(/cov=clinical%3Aage/);

  const cox = page.getByTestId('cox-table');
  await expect(cox).toBeVisible();
  await expect(cox).toContainText('per unit of the CSV column');
  await expect(cox).toContainText('II vs I');
  await expect(page.getByTestId('cox-tests')).toContainText('Concordance C =');
  await expect(page.getByTestId('forest-plot').locator('svg.recharts-surface')).toBeVisible();

  const km = page.getByTestId('km-plot');
  await expect(km.locator('svg.recharts-surface')).toBeVisible();
  // two groups: two survival step lines, two CI bands, and censoring ticks
  await expect(km.locator('.recharts-line-curve[stroke-width="2.5"]')).toHaveCount(2);
  await expect(km.locator('.recharts-area-area')).toHaveCount(2);
  expect(await km.locator('path.km-censor').count()).toBeGreaterThan(5);
  await expect(page.getByTestId('logrank')).toContainText(/Log-rank p (< 0\.001|= 0\.\d{3})/);
  await expect(page.getByTestId('km-risk-table')).toContainText('Number at risk');
  await expect(page.getByTestId('gray')).toContainText("Gray's test for local failure: p =");
  await expect(page.getByTestId('fine-gray-table')).toContainText('II vs I');

  // Downloads: the figure as SVG and PNG, the table as CSV.
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), km.getByRole('button', { name: 'Download SVG' }).click()]);
  const svg = fs.readFileSync((await svgDownload.path())!, 'utf8');
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toContain('Number at risk');
  expect(svg).toContain('recharts-line-curve');
  const [pngDownload] = await Promise.all([page.waitForEvent('download'), km.getByRole('button', { name: 'Download PNG' }).click()]);
  const png = fs.readFileSync((await pngDownload.path())!);
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  expect(png.length).toBeGreaterThan(5000);
  await pngDownload.saveAs('test-results/screens/outcomes-km-download.png');
  const csvHref = await page.getByRole('link', { name: 'Download the Cox table (CSV)' }).getAttribute('href');
  const csv = await (await page.request.get(csvHref!)).text();
  expect(csv.split('\r\n')[0]).toBe('model,event,n,events,covariate,unit,coef,se,hazard_ratio,lower95,upper95,z,p');
  expect(csv).toContain('per unit of the CSV column');

  // No MRN and no patient name of any seeded patient anywhere on the page.
  expect(DEMO_PATIENTS).toHaveLength(40);
  const text = await page.locator('body').innerText();
  const html = await page.content();
  for (const p of DEMO_PATIENTS) {
    for (const id of [p.mrn, p.name]) {
      if (!id) continue;
      expect(text).not.toContain(id);
      expect(html).not.toContain(id);
    }
  }
  await page.screenshot({ path: 'test-results/screens/outcomes-researcher.png', fullPage: true });
  expect(consoleErrors).toEqual([]);
});

test('a reviewer is refused the outcomes page and its CSV', async ({ signedIn }) => {
  const page = await signedIn('REVIEWER');
  await page.goto('/outcomes');
  await expect(page.getByText('The reviewer role may not view outcomes.')).toBeVisible();
  await expect(page.getByTestId('analysis-form')).toHaveCount(0);
  const r = await page.request.get('/api/outcomes/table?table=km');
  expect(r.status()).toBe(403);
});
