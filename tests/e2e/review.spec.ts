/**
 * The peer-review meeting, as a reviewer: open the ranked queue, present the first case,
 * record a decision with a comment, then find it in the queue, the printable minutes and the
 * minutes CSV, without any patient identifier. The demo model segments the seeded cohort in
 * the background, so the spec waits for the first finished runs.
 */
import fs from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/** A full-page screenshot in test-results/screens, copied to $REVIEW_SCREENS_COPY when set (other runs clear test-results). */
async function shot(page: Page, name: string) {
  const file = `test-results/screens/${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  const copyDir = process.env.REVIEW_SCREENS_COPY;
  if (copyDir) {
    fs.mkdirSync(copyDir, { recursive: true });
    fs.copyFileSync(file, `${copyDir}/${name}.png`);
  }
}

function expectNoIdentifiers(text: string) {
  for (const p of DEMO_PATIENTS) {
    for (const id of [p.mrn, p.name]) if (id) expect(text).not.toContain(id);
  }
}

test('a reviewer ranks the queue, records a decision and finds it in the queue, the minutes and the CSV', async ({ signedIn }) => {
  test.setTimeout(420_000);
  const page = await signedIn('REVIEWER');
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.getByRole('link', { name: 'Review', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Review meeting', level: 1 })).toBeVisible();
  // Wait until the worker has finished at least three runs (reloading, as a user would).
  await expect(async () => {
    await page.reload();
    expect(await page.getByTestId('review-row').count()).toBeGreaterThanOrEqual(3);
  }).toPass({ timeout: 300_000, intervals: [5_000] });

  const meeting = await page.getByLabel('Meeting').inputValue();
  expect(meeting).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  // Rank by the largest FP volume: the URL carries the setting, and the FP column is in order.
  await page.getByLabel('Rank by').selectOption('large-fp');
  await page.getByRole('button', { name: 'Show queue' }).click();
  await expect(page).toHaveURL(/sort=large-fp/);
  const fpCells = await page.getByTestId('review-row').locator('td:nth-child(6)').allInnerTexts();
  const fp = fpCells.map((s) => (s === '—' ? -Infinity : Number(s)));
  expect(fp).toEqual([...fp].sort((a, b) => b - a));
  await shot(page, 'review-queue');
  expectNoIdentifiers(await page.content());

  // Present the first case.
  const firstRow = page.getByTestId('review-row').first();
  const studyId = (await firstRow.getAttribute('data-study-id'))!;
  const pseudonym = (await firstRow.locator('td').nth(1).innerText()).trim();
  await firstRow.getByRole('link', { name: 'Present' }).click();
  await expect(page).toHaveURL(new RegExp(`/review/${studyId}\\?sort=large-fp`));
  await expect(page.getByTestId('review-case-title')).toContainText(pseudonym);
  await expect(page.getByTestId('review-position')).toContainText('Case 1 of');
  await expect(page.getByTestId('review-key-numbers')).toContainText('Dice, ITV');
  await expect(page.getByTestId('review-key-numbers')).toContainText('Largest FP distance');
  await expect(page.getByTestId('study-viewer')).toBeVisible();
  // The presenter is only useful once the images are on screen (the viewer's cursor line appears with them).
  await expect(page.getByTestId('study-viewer').getByTestId('cursor')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('link', { name: 'Next case →' }).first()).toBeVisible();

  // A decision with a comment that a spreadsheet would run as a formula.
  const comment = `=1+2 FP region next to the heart (e2e ${Date.now()})`;
  const form = page.getByTestId('decision-form');
  await form.getByLabel('Machine wrong').check();
  await form.getByLabel('Comment').fill(comment);
  await expect(form.getByLabel('Meeting')).toHaveValue(meeting);
  await expect(form).toContainText('Reviewer: E2E reviewer (you)');
  await shot(page, 'review-presenter');
  await form.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByTestId('decision-status')).toContainText(`Recorded “Machine wrong” for meeting ${meeting}.`);
  await expect(page.getByTestId('review-history')).toContainText(comment);
  await expect(page.getByTestId('review-history')).toContainText('E2E reviewer');

  // Bad input is refused with a clear message (the meeting name), nothing recorded.
  // The recorded form is cleared for the next decision, the meeting kept.
  await expect(form.getByLabel('Comment')).toHaveValue('');
  await expect(form.getByLabel('Meeting')).toHaveValue(meeting);
  await form.getByLabel('Discuss').check();
  await form.getByLabel('Comment').fill('second thoughts');
  await form.getByLabel('Meeting').fill('bad;meeting');
  await form.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByTestId('decision-status')).toContainText('Meeting: use letters, digits');
  await expect(page.getByTestId('review-history').locator('li')).toHaveCount(1);
  // What the reviewer typed survives the refusal.
  await expect(form.getByLabel('Comment')).toHaveValue('second thoughts');
  await expect(form.getByLabel('Discuss')).toBeChecked();
  await shot(page, 'review-presenter-after');

  // A second case, through "Next case": the minutes then hold two cases.
  await page.getByRole('link', { name: 'Next case →' }).first().click();
  await expect(page.getByTestId('review-position')).toContainText('Case 2 of');
  const second = page.getByTestId('decision-form');
  await second.getByLabel('Machine acceptable').check();
  await second.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByTestId('decision-status')).toContainText('Recorded “Machine acceptable”');

  // Back in the queue: the case shows the decision; "undecided only" leaves it out.
  await page.getByRole('link', { name: '← Queue' }).click();
  const row = page.locator(`[data-testid="review-row"][data-study-id="${studyId}"]`);
  await expect(row.getByTestId('review-latest-decision')).toContainText('Machine wrong');
  await expect(row.getByTestId('review-latest-decision')).toContainText(`${meeting} · E2E reviewer`);
  await page.getByLabel('Undecided only').check();
  await page.getByRole('button', { name: 'Show queue' }).click();
  await expect(page).toHaveURL(/undecided=1/);
  await expect(page.getByTestId('review-counts')).toContainText('showing the');
  await expect(page.locator(`[data-testid="review-row"][data-study-id="${studyId}"]`)).toHaveCount(0);

  // The minutes of the meeting, on screen and as printed.
  await page.getByRole('link', { name: `Minutes of ${meeting}` }).click();
  await expect(page.getByRole('heading', { name: `Minutes of the review meeting ${meeting}` })).toBeVisible();
  const minutesCase = page.getByTestId('minutes-case').filter({ hasText: pseudonym });
  await expect(minutesCase).toContainText('Machine wrong');
  await expect(minutesCase).toContainText(comment);
  await expect(minutesCase).toContainText('E2E reviewer');
  await expect(minutesCase).toContainText('Dice, ITV');
  expectNoIdentifiers(await page.content());
  await shot(page, 'review-minutes');
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('header.top')).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print minutes' })).toBeHidden();
  await shot(page, 'review-minutes-print');
  await page.emulateMedia({ media: 'screen' });
  // Printed, each case starts a page: two short cases give two pages (one page without the page break).
  await expect(page.getByTestId('minutes-case')).toHaveCount(2);
  const pdf = (await page.pdf({ format: 'A4' })).toString('latin1');
  expect(pdf.match(/\/Type\s*\/Page(?!s)/g)).toHaveLength(2);

  // The CSV: one line for this decision, the formula neutralised, no identifier columns.
  const href = (await page.getByTestId('minutes-csv').getAttribute('href'))!;
  const res = await page.request.get(href);
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('text/csv');
  const csv = await res.text();
  const [header] = csv.split('\r\n');
  expect(header).toBe(
    'meeting,pseudonym,decision,decision_label,comment,reviewer,decided_at_utc,itv_dice,gtv_median_dice,itv_hd95_mm,itv_fp_cc,max_fp_distance_mm,machine_motion_mm,study_id,run_id,decision_id,status,supersedes_decision_id,correction_reason',
  );
  expect(csv).toContain(`${meeting},${pseudonym},MACHINE_WRONG,Machine wrong,'${comment},E2E reviewer,`);
  expectNoIdentifiers(csv);
  expect(consoleErrors).toEqual([]);
});

test('a physicist sees names in the queue; a researcher is refused the review pages and the CSV', async ({ browser }) => {
  const { signIn } = await import('./fixtures');
  const pctx = await browser.newContext();
  const p = await pctx.newPage();
  await signIn(p, 'PHYSICIST');
  await p.goto('/review');
  await expect(async () => {
    await p.reload();
    expect(await p.getByTestId('review-row').count()).toBeGreaterThan(0);
  }).toPass({ timeout: 120_000, intervals: [5_000] });
  await expect(p.getByTestId('review-identity').first()).toContainText('MRN');
  await pctx.close();

  const rctx = await browser.newContext();
  const r = await rctx.newPage();
  await signIn(r, 'RESEARCHER');
  await expect(r.getByRole('link', { name: 'Review', exact: true })).toHaveCount(0);
  const page = await r.goto('/review');
  expect(page!.status()).toBe(403);
  expectNoIdentifiers(await r.content());
  const csv = await r.request.get('/api/review/minutes?meeting=2026-11-28');
  expect(csv.status()).toBe(403);
  await rctx.close();
});
