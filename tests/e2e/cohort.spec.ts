/**
 * The cohort QA page in a real browser on the seeded demo cohort, which the demo model segments
 * in the background: a physicist sees the summary, the charts and the case table fill in, sorts
 * and filters it, and clicks through to a study; a researcher sees pseudonyms and shifted dates,
 * never a name or MRN.
 */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/** Reload until at least `n` studies have finished runs; returns how many. */
async function waitForResults(page: Page, n: number): Promise<number> {
  let done = 0;
  await expect(async () => {
    await page.goto('/');
    const text = (await page.getByTestId('cohort-status').textContent({ timeout: 10_000 })) ?? '';
    done = Number(/(\d+)\s*with results/.exec(text)?.[1] ?? 0);
    expect(done).toBeGreaterThanOrEqual(n);
    // The worker segments the seeded cohort in the background: seconds per study on an idle
    // machine, more than a minute on a loaded one.
  }).toPass({ timeout: 600_000, intervals: [3_000] });
  return done;
}

async function column(page: Page, index: number): Promise<string[]> {
  return page.getByTestId('cohort-case').locator(`td:nth-child(${index})`).allTextContents();
}

test('a physicist sees the cohort summary, charts and cases, sorts, filters and opens a study', async ({ signedIn }) => {
  test.setTimeout(720_000);
  const page = await signedIn('PHYSICIST');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await waitForResults(page, 8);

  await expect(page.getByTestId('cohort-status')).toContainText(`${DEMO_PATIENTS.length} studies`);
  // The iSeg-study table: median [IQR] for the GTV per phase and the ITV.
  await expect(page.getByTestId('cohort-row-gtv')).toContainText(/\d+ phases \(\d+ studies\)/);
  await expect(page.getByTestId('cohort-row-gtv')).toContainText(/0\.\d{3} \[0\.\d{3}–[01]\.\d{3}\]/);
  await expect(page.getByTestId('cohort-row-itv')).toContainText(/0\.\d{3} \[0\.\d{3}–[01]\.\d{3}\]/);
  // Charts are drawn (one symbol per study) and the paired test is reported.
  await expect(page.getByTestId('cohort-institution-plot').locator('.recharts-scatter-symbol').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('cohort-volumes').locator('.recharts-scatter-symbol').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('cohort-dice-motion').locator('.recharts-scatter-symbol').first()).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('cohort-wilcoxon')).toContainText(/paired Wilcoxon signed-rank p = [\d.e-]+|Needs at least two/);
  const pseudonyms = await column(page, 1);
  expect(pseudonyms.length).toBe(DEMO_PATIENTS.length);
  for (const p of pseudonyms) expect(DEMO_PATIENTS.map((d) => d.pseudonym)).toContain(p);
  await page.screenshot({ path: 'test-results/screens/cohort-physicist.png', fullPage: true });

  // Sort by ITV Dice, ascending then descending (studies without a result stay last).
  await page.getByTestId('sort-itvDice').click();
  await expect(page).toHaveURL(/sort=itvDice&dir=asc/);
  const asc = (await column(page, 6)).filter((v) => v !== '—').map(Number);
  expect(asc.length).toBeGreaterThanOrEqual(8);
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  await page.getByTestId('sort-itvDice').click();
  await expect(page).toHaveURL(/sort=itvDice&dir=desc/);
  const desc = (await column(page, 6)).filter((v) => v !== '—').map(Number);
  expect(desc).toEqual([...desc].sort((a, b) => b - a));

  // Filter by an institution: every row is from it, the count drops, the sort is kept.
  const institution = (await column(page, 2))[0];
  await page.getByLabel('Institution').selectOption({ label: institution });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/institution=.+sort=itvDice&dir=desc/);
  const insts = await column(page, 2);
  expect(new Set(insts)).toEqual(new Set([institution]));
  expect(insts.length).toBeLessThan(DEMO_PATIENTS.length);
  await expect(page.getByTestId('cohort-status')).toContainText(`${insts.length} studies`);
  await page.screenshot({ path: 'test-results/screens/cohort-physicist-filtered.png', fullPage: true });

  // Click through to the study.
  const first = page.getByTestId('cohort-case').first().locator('td:first-child a');
  const name = (await first.textContent())!;
  await first.click();
  await expect(page).toHaveURL(/\/studies\/[^/?]+$/);
  await expect(page.locator('main')).toContainText(name);
  expect(errors).toEqual([]);
});

test('a researcher sees pseudonyms and shifted dates, never a name or MRN', async ({ signedIn }) => {
  test.setTimeout(300_000);
  const page = await signedIn('RESEARCHER');
  await waitForResults(page, 1);
  const html = await page.content();
  const text = await page.locator('body').innerText();
  for (const p of DEMO_PATIENTS) {
    if (p.mrn) {
      expect(html).not.toContain(p.mrn);
      expect(text).not.toContain(p.mrn);
    }
    if (p.name) {
      expect(html).not.toContain(p.name);
      // DICOM PN "Family^Given" may also show as "Family Given", "Family, Given" or "Given Family".
      const [family, given] = p.name.split('^');
      for (const form of [p.name.replace(/\^/g, ' '), `${family}, ${given}`, `${given} ${family}`])
        expect(text.toUpperCase()).not.toContain(form.toUpperCase());
    }
  }
  expect(await column(page, 1)).toContain(DEMO_PATIENTS[0].pseudonym);
  await expect(page.getByTestId('cohort-case').first().locator('td:nth-child(3)')).toContainText('shifted');
  await expect(page.getByLabel(/Study date from \(shifted\)/)).toBeVisible();
  await page.screenshot({ path: 'test-results/screens/cohort-researcher.png', fullPage: true });
});
