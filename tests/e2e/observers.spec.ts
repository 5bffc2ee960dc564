/**
 * Several physician observers (docs/observers.md) in a real browser: every third seeded demo
 * patient has a second physician's RTSTRUCTs; once the demo model's run of such a study has
 * succeeded and the worker has measured it, the study page's Observers section shows physician vs
 * physician beside the machine vs each physician and vs their consensus (a physicist sees the
 * observers' names, a researcher pseudonyms), and the cohort page shows the inter-observer line.
 */
import fs from 'node:fs';
import pg from 'pg';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

/** A seeded demo study with a second observer whose run has succeeded and has inter-observer rows. */
async function studyWithObservers(): Promise<string> {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    const deadline = Date.now() + 540_000;
    for (;;) {
      const r = await client.query(
        `SELECT s.id FROM "Study" s JOIN "Patient" p ON p.id = s."patientId"
         WHERE p.pseudonym = ANY($1::text[])
           AND EXISTS (SELECT 1 FROM "ObserverMetric" m JOIN "SegmentationRun" r ON r.id = m."runId" WHERE m."studyId" = s.id AND r.status = 'SUCCEEDED' AND m.role = 'ITV')
         ORDER BY s.id LIMIT 1`,
        [DEMO_PATIENTS.map((p) => p.pseudonym)],
      );
      if (r.rows[0]) return r.rows[0].id as string;
      if (Date.now() > deadline) throw new Error('no demo study with a second observer was segmented and measured within 9 minutes: is the worker running?');
      await new Promise((res) => setTimeout(res, 3000));
    }
  } finally {
    await client.end();
  }
}

test('two observers: the study page compares machine and physicians, the cohort page summarises', async ({ signedIn }) => {
  test.setTimeout(720_000);
  const studyId = await studyWithObservers();

  const page = await signedIn('PHYSICIST');
  await page.goto(`/studies/${studyId}`);
  const section = page.getByTestId('study-observers');
  await expect(section).toBeVisible();
  await expect(page.getByTestId('study-observer-list')).toContainText('reference observer');
  await expect(page.getByTestId('study-observer-list')).toContainText('SYNTH^');
  const itv = page.getByTestId('study-observers-itv');
  await expect(itv.locator('tr[data-comparison="physician-physician"]')).toHaveCount(1);
  await expect(itv.locator('tr[data-comparison="machine-physician"]')).toHaveCount(2);
  await expect(itv.locator('tr[data-comparison="machine-consensus"]')).toHaveCount(2);
  await expect(itv.locator('tr[data-comparison="physician-physician"] td').first()).toHaveText(/^0\.\d{3}$|^1\.000$/);
  await section.scrollIntoViewIfNeeded();
  await section.screenshot({ path: 'test-results/screens/observers-study-physicist.png' });

  await page.goto('/');
  const line = page.getByTestId('cohort-observers-line');
  await expect(line).toContainText(/Machine vs physicians: median Dice \d\.\d\d; physician vs physician: \d\.\d\d; n = \d+/);
  await page.getByTestId('cohort-observers').screenshot({ path: 'test-results/screens/observers-cohort.png' });
});

test('a researcher sees the observers by pseudonym only', async ({ signedIn }) => {
  test.setTimeout(720_000);
  const studyId = await studyWithObservers();
  const researcher = await signedIn('RESEARCHER');
  await researcher.goto(`/studies/${studyId}`);
  await expect(researcher.getByTestId('study-observer-list')).toContainText(/Physician [A-Z2-9]{6}/);
  await expect(researcher.getByTestId('study-observers')).not.toContainText('SYNTH^');
  await researcher.getByTestId('study-observers').screenshot({ path: 'test-results/screens/observers-study-researcher.png' });
});
