/**
 * The cohort page's dose view (issue #15 item 3, docs/dose-cohort.md "Cohort page") in a real
 * browser on the seeded demo cohort: every demo study has a plan and a dose, so once the demo model
 * has segmented some of them the table per institution shows numbers: studies, with dose (every
 * demo study; other specs' studies may have none), the median FP volume, the fraction below 95 %
 * of the prescription and "k of n". A screenshot of the view is kept in
 * test-results/screens/cohort-dose.png.
 */
import fs from 'node:fs';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

type Cells = { institution: string; cells: string[] };

test('the cohort page shows the planned dose in the FP regions per institution, with numbers', async ({ signedIn }) => {
  test.setTimeout(720_000);
  const page = await signedIn('PHYSICIST');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  let rows: Cells[] = [];
  // The worker segments the seeded cohort in the background; the FP columns fill in as runs end.
  await expect(async () => {
    await page.goto('/');
    const view = page.getByTestId('cohort-dose');
    await expect(view).toBeVisible({ timeout: 10_000 });
    rows = await view.getByTestId('cohort-dose-row').evaluateAll((trs) =>
      trs.map((tr) => ({
        institution: tr.querySelector('th')?.textContent?.trim() ?? '',
        cells: [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? ''),
      })),
    );
    const total = rows.at(-1);
    expect(total?.institution).toBe('All institutions');
    // "k of n": n = studies whose latest succeeded run has an FP dose row.
    expect(Number(/of (\d+)/.exec(total!.cells[4]!)?.[1] ?? 0)).toBeGreaterThanOrEqual(8);
  }).toPass({ timeout: 600_000, intervals: [3_000] });

  const total = rows.at(-1)!;
  const institutions = rows.slice(0, -1);
  expect(institutions.length).toBeGreaterThanOrEqual(2);
  // Studies and "with dose": every demo study has a plan and a dose. Other specs add studies of
  // their own (uploads, a DICOM receive), with or without a dose, so the demo gives lower bounds
  // and the rows must add up to the total.
  expect(Number(total.cells[0])).toBeGreaterThanOrEqual(DEMO_PATIENTS.length);
  expect(Number(total.cells[1])).toBeGreaterThanOrEqual(DEMO_PATIENTS.length);
  expect(institutions.reduce((s, r) => s + Number(r.cells[0]), 0)).toBe(Number(total.cells[0]));
  expect(institutions.reduce((s, r) => s + Number(r.cells[1]), 0)).toBe(Number(total.cells[1]));
  for (const r of [...institutions, total]) {
    expect(Number(r.cells[1]), `${r.institution}: with dose ≤ studies`).toBeLessThanOrEqual(Number(r.cells[0]));
    // Median FP volume in cc; the fraction below 95 % in percent (— only where no study has an FP
    // volume above 0); "k of n" with k ≤ n.
    expect(r.cells[2], `${r.institution}: median FP volume`).toMatch(/^\d+\.\d{2}$|^—$/);
    expect(r.cells[3], `${r.institution}: fraction < 95 % Rx`).toMatch(/^\d+ %$|^—$/);
    const [, k, n] = /^(\d+) of (\d+)$/.exec(r.cells[4]!) ?? [];
    expect(Number(k), `${r.institution}: ${r.cells[4]}`).toBeLessThanOrEqual(Number(n));
  }
  expect(total.cells[2]).toMatch(/^\d+\.\d{2}$/);
  await page.getByTestId('cohort-dose').scrollIntoViewIfNeeded();
  await page.getByTestId('cohort-dose').screenshot({ path: 'test-results/screens/cohort-dose.png' });
  await page.screenshot({ path: 'test-results/screens/cohort-dose-page.png', fullPage: true });
  expect(errors).toEqual([]);
});
