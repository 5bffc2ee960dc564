/**
 * The study viewer in a real browser on a seeded demo phantom, segmented in the background by
 * the demo model: a physicist waits for the run, steps and plays the 4D CT phases, toggles
 * overlays, jumps to a discordant region and downloads the metrics CSV; a researcher sees the
 * same study by pseudonym only.
 */
import fs from 'node:fs';
import pg from 'pg';
import type { Page } from '@playwright/test';
import { test, expect, DEMO_PATIENTS } from './fixtures';

fs.mkdirSync('test-results/screens', { recursive: true });

// Every browser console line and the page text of a failed test, kept where a concurrent run
// does not clean up (Playwright empties test-results/ at start).
const DEBUG_DIR = '/tmp/iseg-viewer-e2e';
fs.mkdirSync(DEBUG_DIR, { recursive: true });
const consoleLines: string[] = [];
test.beforeEach(({ page }) => {
  consoleLines.length = 0;
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
  page.on('response', (r) => {
    if (r.url().includes('/api/studies/')) consoleLines.push(`[response] ${r.status()} ${r.url()}`);
  });
});
test.afterEach(async ({ page }, info) => {
  const name = info.title.replace(/\W+/g, '-').slice(0, 60);
  if (info.status !== info.expectedStatus) {
    const text = await page
      .locator('body')
      .innerText()
      .catch((e: Error) => `(no body: ${e.message})`);
    fs.writeFileSync(`${DEBUG_DIR}/${name}.txt`, `${consoleLines.join('\n')}\n----\n${text}\n`);
    await page.screenshot({ path: `${DEBUG_DIR}/${name}.png`, fullPage: true }).catch(() => {});
  }
});

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/screens/${name}.png`, fullPage: true });
  fs.copyFileSync(`test-results/screens/${name}.png`, `${DEBUG_DIR}/${name}.png`);
}

/**
 * The demo patient this spec opens, always the same: PHANTOM-0031 of the demo cohort (seed
 * "iseg-demo", lib/core/phantom/cohort.ts), whose tumour is large (45 mm nominal diameter, so its
 * contours cross the slices the viewer opens on) and whose study is the first the demo imports
 * and queues (study-date order, lib/server/seed/seed-demo-cohort.ts), so its run is the first the
 * worker takes. Waits until its run is running (the page then shows live progress) or finished.
 */
const PINNED_MRN = 'PHANTOM-0031';
async function pickStudy(): Promise<{ studyId: string; pseudonym: string; status: string }> {
  const client = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    const deadline = Date.now() + 240_000;
    for (;;) {
      const r = await client.query(
        `SELECT s.id, p.pseudonym, r.status FROM "SegmentationRun" r JOIN "Study" s ON s.id = r."studyId" JOIN "Patient" p ON p.id = s."patientId"
           JOIN "PatientIdentity" pi ON pi."patientId" = p.id
         WHERE r.status IN ('RUNNING', 'SUCCEEDED') AND pi.mrn = $1 AND p.pseudonym = ANY($2::text[])
         ORDER BY (r.status = 'RUNNING') DESC, r."finishedAt" DESC NULLS LAST, r.id LIMIT 1`,
        // A seeded demo patient only: other specs upload their own studies (not 4D, no known identity).
        [PINNED_MRN, DEMO_PATIENTS.map((p) => p.pseudonym)],
      );
      if (r.rows[0]) return { studyId: r.rows[0].id, pseudonym: r.rows[0].pseudonym, status: r.rows[0].status };
      if (Date.now() > deadline)
        throw new Error(`the run of demo patient ${PINNED_MRN} did not start within 4 minutes: is the worker running, and was the demo cohort seeded?`);
      await new Promise((res) => setTimeout(res, 2000));
    }
  } finally {
    await client.end();
  }
}

/** Pixel statistics of a view's canvas: a hash, and how many pixels carry an overlay colour. */
async function canvasStats(page: Page, orientation: string): Promise<{ hash: number; coloured: number; nonBlack: number }> {
  return page
    .getByTestId(`view-${orientation}`)
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let hash = 0,
        coloured = 0,
        nonBlack = 0;
      for (let q = 0; q < d.length; q += 4) {
        hash = (hash * 31 + d[q] * 7 + d[q + 1] * 3 + d[q + 2]) | 0;
        const [r, g, b] = [d[q], d[q + 1], d[q + 2]];
        // the crosshair is yellow (240, 228, 66), blended into grey at its edges: not an overlay
        const crosshair = Math.abs(r - g) < 30 && b < Math.min(r, g) - 20;
        if (!crosshair && (Math.abs(r - g) > 12 || Math.abs(g - b) > 12)) coloured++;
        if (r + g + b > 30) nonBlack++;
      }
      return { hash, coloured, nonBlack };
    });
}

test('a physicist reviews a segmented 4D CT study in the viewer', async ({ signedIn }) => {
  test.setTimeout(600_000);
  const picked = await pickStudy();
  const patient = DEMO_PATIENTS.find((p) => p.pseudonym === picked.pseudonym)!;
  const studyId = picked.studyId;
  const page = await signedIn('PHYSICIST');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`/studies/${studyId}`);

  // identified header for a physicist
  const identity = page.getByTestId('identity');
  await expect(identity).toContainText(patient.name!);
  await expect(identity).toContainText(patient.mrn!);
  await expect(identity).toContainText(patient.pseudonym);

  // the demo model segments the seeded studies in the background: wait for this one
  const status = page.getByTestId('run-status');
  if (picked.status === 'RUNNING') {
    // live progress while it runs (unless it finished in the meantime)
    await expect(status).toContainText(/running|succeeded/);
  }
  await expect(status).toHaveAttribute('data-status', 'SUCCEEDED', { timeout: 240_000 });
  await expect(page.getByTestId('run-model')).toContainText(/model demo \S+ · sha256 [0-9a-f]{12}/);

  // three views with an image in each
  for (const o of ['axial', 'coronal', 'sagittal']) {
    await expect(page.getByTestId(`view-${o}`).locator('canvas')).toBeVisible();
    expect((await canvasStats(page, o)).nonBlack).toBeGreaterThan(100);
  }
  // the overlays are on by default and the metrics are there, labelled by convention. The viewer
  // starts at the physician ITV's centroid, where the ITV's outline always crosses the axial slice;
  // a small tumour's phase-0 GTV need not (10 mm voxels here), so the pixels are checked with the
  // ITV shown, then it is hidden again.
  const viewer = page.getByTestId('study-viewer');
  for (const name of ['Physician GTV', 'Machine GTV', 'FP voxels (machine ∖ physician)', 'FN voxels (physician ∖ machine)'])
    await expect(viewer.getByRole('checkbox', { name, exact: true })).toBeChecked();
  await viewer.getByRole('checkbox', { name: 'Physician ITV', exact: true }).check();
  await expect.poll(async () => (await canvasStats(page, 'axial')).coloured).toBeGreaterThan(0);
  await viewer.getByRole('checkbox', { name: 'Physician ITV', exact: true }).uncheck();
  const metrics = page.getByTestId('metrics-panel');
  await expect(metrics).toContainText('Overlap: voxel overlap on the native CT grid');
  await expect(metrics).toContainText('Surface, voxel convention');
  await expect(metrics).toContainText('Surface, surfel convention');
  await expect(metrics).toContainText(/Dice\s*0\.\d{3}/);
  await expect(page.getByTestId('volume-chart').getByRole('application')).toBeVisible();
  await expect(page.getByTestId('trajectory-chart').getByRole('application')).toBeVisible();
  await shot(page, 'viewer-physicist');

  // step phases with the scrubber: the label and the image follow
  const label = page.getByTestId('phase-label');
  await expect(label).toHaveText('0%');
  const at0 = await canvasStats(page, 'coronal');
  const scrubber = page.getByLabel('Respiratory phase');
  await scrubber.focus();
  for (let n = 0; n < 5; n++) await page.keyboard.press('ArrowRight');
  await expect(label).toHaveText('50%');
  await expect(page.getByTestId('cursor')).toContainText('phase on screen 50%');
  expect((await canvasStats(page, 'coronal')).hash).not.toBe(at0.hash);
  await page.keyboard.press('ArrowLeft');
  await expect(label).toHaveText('40%');

  // play, then pause
  await page.getByTestId('play').click();
  await expect(label).not.toHaveText('40%', { timeout: 10_000 });
  await page.getByTestId('play').click();
  await expect(page.getByTestId('play')).toHaveText('Play');

  // toggle overlays: all off leaves a grey image, one back on colours it again
  for (const name of ['Physician GTV', 'Machine GTV', 'FP voxels (machine ∖ physician)', 'FN voxels (physician ∖ machine)']) {
    // Within the viewer: the study page's DVH chart has its own "Physician GTV (… cc)" toggles.
    await page.getByTestId('study-viewer').getByRole('checkbox', { name, exact: true }).uncheck();
  }
  await expect.poll(async () => (await canvasStats(page, 'axial')).coloured).toBe(0);
  await page.getByTestId('study-viewer').getByRole('checkbox', { name: 'Machine ITV', exact: true }).check();
  await expect.poll(async () => (await canvasStats(page, 'axial')).coloured).toBeGreaterThan(0);

  // window presets change the image
  const lung = await canvasStats(page, 'axial');
  await page.getByRole('button', { name: /Mediastinum/ }).click();
  await expect.poll(async () => (await canvasStats(page, 'axial')).hash).not.toBe(lung.hash);

  // a discordant region: clicking it moves the cursor (all three views) to it
  const regions = page.getByTestId('discordance-region');
  expect(await regions.count()).toBeGreaterThan(0);
  const cursor = page.getByTestId('cursor');
  // The viewer starts at the tumour's centroid, which a region can share (a whole-structure FN):
  // first put the cursor in a corner of the axial view, so that a jump is visible.
  const beforeCorner = await cursor.getAttribute('data-cursor');
  await page
    .getByTestId('view-axial')
    .locator('canvas')
    .click({ position: { x: 3, y: 3 } });
  await expect(cursor).not.toHaveAttribute('data-cursor', beforeCorner!);
  const before = await cursor.getAttribute('data-cursor');
  let moved = false;
  for (let n = 0; n < (await regions.count()) && !moved; n++) {
    const region = regions.nth(n);
    const [, first, last] = /slices (\d+)–(\d+)/.exec((await region.textContent()) ?? '')!.map(Number);
    await region.click();
    await expect(region).toHaveAttribute('aria-pressed', 'true');
    // the axial view now shows a slice the region spans
    await expect
      .poll(async () => Number(/slice (\d+) \//.exec((await page.getByTestId('slice-axial').textContent()) ?? '')?.[1]))
      .toBeGreaterThanOrEqual(first);
    expect(Number(/slice (\d+) \//.exec((await page.getByTestId('slice-axial').textContent()) ?? '')?.[1])).toBeLessThanOrEqual(last);
    moved = (await cursor.getAttribute('data-cursor')) !== before;
  }
  expect(moved, 'some region lies away from the starting cursor').toBe(true);
  await shot(page, 'viewer-region');

  // scroll the axial view with the keyboard
  const slice = page.getByTestId('slice-axial');
  const s0 = await slice.textContent();
  await page.getByTestId('view-axial').locator('canvas').focus();
  await page.keyboard.press(/slice 1 \//.test(s0 ?? '') ? 'ArrowUp' : 'ArrowDown');
  await expect(slice).not.toHaveText(s0!);

  // the metrics CSV: every metric row, with its convention, no identifiers
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const csv = fs.readFileSync(await download.path(), 'utf8');
  // RFC 4180: CRLF line ends (lib/core/csv/format-csv.ts).
  const lines = csv.trim().split('\r\n');
  expect(lines[0]).toBe(
    'pseudonym,study_id,run_id,model,model_version,model_sha256,reference_structure,test_structure,scope,phase_index,phase_percent,convention,metric,value,null_reason,tolerance_mm,code_version',
  );
  expect(lines.length).toBeGreaterThan(100);
  expect(csv).toMatch(/,overlap,dice,0\.\d+/);
  expect(csv).toMatch(/,discordance,(falsePositive|falseNegative)#1\.volumeCc,/);
  expect(csv).not.toContain(patient.name!);
  expect(csv).not.toContain(patient.mrn!);
  // the RTSTRUCT export is offered to a physicist
  await expect(page.getByTestId('export-rtstruct')).toBeVisible();
  expect(errors).toEqual([]);
});

test("the first image: the middle axial slice, inline in the page's HTML as a PNG, on screen before the volume", async ({ signedIn }) => {
  test.setTimeout(360_000);
  const { studyId } = await pickStudy();
  const page = await signedIn('PHYSICIST');
  // The HTML itself carries the image (no script, no second request): a PNG data: URI once the
  // series' slice store is built (the worker builds it; a first view without one starts its build
  // and names the image route instead).
  let html = '';
  await expect
    .poll(
      async () => {
        html = await (await page.request.get(`/studies/${studyId}`)).text();
        return /<img[^>]+src="data:image\/png;base64,/.test(html);
      },
      { timeout: 60_000 },
    )
    .toBe(true);
  const b64 = /<img[^>]+src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html)?.[1];
  expect(Buffer.from(b64!, 'base64').subarray(0, 8).toString('hex'), 'a PNG inline in the page HTML').toBe('89504e470d0a1a0a');
  // The whole CT volume held back: the first image stays on screen alone.
  const held: { abort: () => Promise<void> }[] = [];
  await page.route(/\/volume\?series=[^&]+$/, (r) => {
    held.push(r);
  });
  await page.goto(`/studies/${studyId}`);
  const first = page.getByTestId('first-image');
  await expect(first).toContainText(/slice \d+ \/ \d+ · loading the volume…/);
  const img = first.locator('img');
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBeGreaterThan(0);
  // A CT in the lung window: many grey levels, dark lungs and air, bright body wall.
  const grey = await img.evaluate((i: HTMLImageElement) => {
    const c = document.createElement('canvas');
    [c.width, c.height] = [i.naturalWidth, i.naturalHeight];
    const g = c.getContext('2d')!;
    g.drawImage(i, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const levels = new Set<number>();
    for (let q = 0; q < d.length; q += 4) levels.add(d[q]!);
    return levels.size;
  });
  expect(grey).toBeGreaterThan(20);
  await shot(page, 'viewer-first-image');
  await Promise.all(held.map((r) => r.abort().catch(() => {})));
});

test('a researcher sees the study by pseudonym only', async ({ signedIn }) => {
  test.setTimeout(360_000);
  const picked = await pickStudy();
  const patient = DEMO_PATIENTS.find((p) => p.pseudonym === picked.pseudonym)!;
  const studyId = picked.studyId;
  const page = await signedIn('RESEARCHER');
  await page.goto(`/studies/${studyId}`);
  await expect(page.getByTestId('identity')).toContainText(patient.pseudonym);
  await expect(page.getByTestId('identity')).toContainText('Identifiers are hidden for your role');
  await expect(page.getByTestId('view-axial').locator('canvas')).toBeVisible({ timeout: 60_000 });
  const html = await page.content();
  for (const p of DEMO_PATIENTS) {
    if (p.name) expect(html).not.toContain(p.name);
    if (p.mrn) expect(html).not.toContain(p.mrn);
  }
  await expect(page.getByTestId('export-rtstruct')).toHaveCount(0);
  await expect(page.getByTestId('export-csv')).toBeVisible();
  // The de-identified study download (its bytes are checked in researcher-identifiers.spec.ts).
  await expect(page.getByTestId('export-deid')).toHaveAttribute('href', `/api/studies/${encodeURIComponent(studyId)}/export/deid`);
  await shot(page, 'viewer-researcher');
});
