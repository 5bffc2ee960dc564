/**
 * The /monitoring page in a real browser on the seeded demo cohort, which the demo model segments
 * in the background: a physicist opens it from the navigation, sees a control chart with its
 * baseline, switches to CUSUM and sees the studies beyond the limits, splits by institution; a
 * malformed parameter is named on the page (not a 500); a researcher gets the 403 page. Drift
 * alerts: a sensitive stored configuration raises alerts at once, listed on /monitoring, and the
 * cohort page shows the banner (acknowledging: tests/integration/monitoring/monitoring-alerts.test.ts).
 */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, signIn } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/** Reload until at least `n` studies are charted; returns how many. */
async function waitForStudies(page: Page, n: number): Promise<number> {
  let done = 0;
  await expect(async () => {
    await page.goto('/monitoring');
    const summary = page.getByTestId('monitoring-summary');
    const text = (await summary.count()) ? ((await summary.textContent({ timeout: 10_000 })) ?? '') : '';
    done = Number(/(\d+) studies in/.exec(text)?.[1] ?? 0);
    expect(done).toBeGreaterThanOrEqual(n);
  }).toPass({ timeout: 600_000, intervals: [5_000] });
  return done;
}

test('a physicist reads the control charts, changes chart and split; a researcher is refused', async ({ signedIn }) => {
  test.setTimeout(780_000);
  const page = await signedIn('PHYSICIST');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  // exact: the cohort page's drift-alert banner also links to Monitoring once the demo's runs raise alerts.
  await page.getByRole('link', { name: 'Monitoring', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Monitoring', level: 1 })).toBeVisible();
  await expect(page.getByText('voxel overlap on the native CT grid, as on the cohort page')).toBeVisible();
  // The demo model segments the seeded studies in the background (slowly on a loaded machine).
  const studies = await waitForStudies(page, 4);

  // The default: Shewhart chart of ITV Dice over all studies, baseline = the first N, N from the
  // stored alert configuration (the demo seed stores a baseline of 8; the built-in default is 20).
  const source = (await page.getByTestId('monitoring-defaults-source').textContent()) ?? '';
  const baselineN = Number(/baseline the first (\d+) studies/.exec(source)?.[1]);
  expect(baselineN, source).toBeGreaterThanOrEqual(2);
  const series = page.getByTestId('monitoring-series-0');
  await expect(series.getByRole('heading', { name: 'All studies' })).toBeVisible();
  await expect(series.getByTestId('monitoring-baseline')).toContainText(`the first ${baselineN} studies`);
  // n counts the baseline studies with a value (a study without one, e.g. no ITV, is skipped),
  // so at most the first N of the studies charted when the page was read.
  const baseline = (await series.getByTestId('monitoring-baseline').textContent()) ?? '';
  const n = Number(/n = (\d+)/.exec(baseline)?.[1]);
  expect(n, baseline).toBeGreaterThanOrEqual(2);
  expect(n, baseline).toBeLessThanOrEqual(Math.min(baselineN, studies));
  await expect(series.locator('svg.recharts-surface')).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/monitoring-shewhart.png', fullPage: true });

  // CUSUM with k = 0 and a small h signals within a few studies: the table lists them.
  const form = page.getByTestId('monitoring-choices');
  await form.locator('select[name="chart"]').selectOption('cusum');
  await form.locator('input[name="k"]').fill('0');
  await form.locator('input[name="h"]').fill('0.5');
  await form.getByRole('button', { name: 'Draw' }).click();
  await expect(page).toHaveURL(/chart=cusum/);
  await expect(page.getByText(/Two-sided tabular CUSUM with k = 0 σ and h = 0.5 σ/).first()).toBeVisible();
  const table = page.getByTestId('monitoring-series-0').getByTestId('monitoring-out-of-control');
  await expect(table).toBeVisible();
  await expect(table.locator('caption')).toContainText(/\d+ stud(y|ies) beyond the limits/);
  await expect(table.locator('tbody a').first()).toHaveAttribute('href', /^\/studies\/\w+$/);
  await expect(page.getByTestId('monitoring-series-0').locator('svg.recharts-surface circle[data-out="true"]').first()).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/monitoring-cusum.png', fullPage: true });

  // Split by institution: one chart per institution.
  await form.locator('select[name="split"]').selectOption('institution');
  await form.getByRole('button', { name: 'Draw' }).click();
  await expect(page).toHaveURL(/split=institution/);
  await expect(page.getByTestId('monitoring-summary')).toContainText('split by institution');
  await expect(page.getByTestId('monitoring-series-0').getByRole('heading', { level: 2 })).not.toHaveText('All studies');
  await page.screenshot({ path: 'test-results/screens/monitoring-split.png', fullPage: true });

  // A malformed value is named, with what it accepts; nothing is drawn.
  const bad = await page.goto('/monitoring?lambda=2&chart=pie');
  expect(bad?.status()).toBe(200);
  await expect(page.getByTestId('monitoring-bad-query')).toContainText('lambda=2: expected λ: greater than 0 and at most 1');
  await expect(page.getByTestId('monitoring-bad-query')).toContainText('chart=pie: expected one of shewhart, ewma, cusum');
  await expect(page.locator('svg.recharts-surface')).toHaveCount(0);
  expect(errors).toEqual([]);

  // A researcher has no Monitoring link and gets the 403 page.
  await page.context().clearCookies();
  await signIn(page, 'RESEARCHER');
  // No link to it at all: neither the menu entry nor the drift-alert banner's (researchers see the banner without one).
  await expect(page.locator('a[href^="/monitoring"]')).toHaveCount(0);
  const refused = await page.goto('/monitoring');
  expect(refused?.status()).toBe(403);
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('The researcher role may not view monitoring.');
});

test('drift alerts: a physicist saves a sensitive monitoring configuration; the alerts are listed on /monitoring and the cohort page shows the banner', async ({
  signedIn,
}) => {
  test.setTimeout(780_000);
  const page = await signedIn('PHYSICIST');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await waitForStudies(page, 4);

  // A configuration that signals within a few studies: baseline 2, CUSUM with k = 0 and h = 0.5.
  await page.goto('/monitoring');
  const config = page.getByTestId('monitoring-config');
  await config.locator('summary').click();
  await config.locator('input[name="baselineN"]').fill('2');
  await config.locator('input[name="cusumK"]').fill('0');
  await config.locator('input[name="cusumH"]').fill('0.5');
  await config.locator('input[name="note"]').fill('e2e: sensitive CUSUM');
  await config.getByRole('button', { name: 'Save a new version' }).click();
  await expect(page.getByTestId('monitoring-alert-done')).toContainText(/Monitoring configuration version \d+ saved and evaluated/);
  await expect(page.getByTestId('monitoring-alert-list')).toBeVisible();

  // The cohort page shows the banner with a link to the list.
  await page.goto('/');
  const banner = page.getByTestId('drift-alerts-banner');
  await expect(banner).toContainText(/\d+ open drift alerts?/);
  await expect(banner.getByRole('link', { name: 'See and acknowledge the alerts on Monitoring' })).toHaveAttribute('href', '/monitoring#alerts');
  await page.screenshot({ path: 'test-results/screens/monitoring-alert-banner.png', fullPage: true });
  expect(errors).toEqual([]);
});
