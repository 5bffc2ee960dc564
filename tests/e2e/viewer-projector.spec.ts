/**
 * The study viewer for a projector (issue #16 item 5) and the dose in it (issue #15 item 3), in a
 * real browser: a physicist uploads a small CT + RTSTRUCT + RTPLAN + RTDOSE written by the dose
 * phantom (lib/dicom/dose-phantom.ts), zooms (button and Ctrl + wheel), pans, switches to the
 * large layout with the shortcuts, toggles a non-target structure, enters and leaves full screen,
 * turns on the dose wash and the isodose lines (legend in Gy, % of the plan's 60 Gy), and sees the
 * DVH chart with its structure list. On a wide screen the viewer uses the window's width (past the
 * page's 1200 px column); in full screen the whole viewer fits 1920×1080, 1440×900 and 1280×720
 * with no scrolling. Screenshots at each size.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { writeDosePhantom } from '@/lib/dicom/dose-phantom';

const SHOTS = 'test-results/screens';
const COPY = '/tmp/iseg-viewer-projector';
fs.mkdirSync(SHOTS, { recursive: true });
fs.mkdirSync(COPY, { recursive: true });
async function shot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage });
  fs.copyFileSync(`${SHOTS}/${name}.png`, `${COPY}/${name}.png`);
}

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

/** Pixels of a view's canvas: a hash, how many carry a colour (not grey, not the yellow crosshair), its CSS width and area. */
async function canvasStats(page: Page, orientation: string): Promise<{ hash: number; coloured: number; width: number; area: number }> {
  return page
    .getByTestId(`view-${orientation}`)
    .locator('canvas')
    .evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      let coloured = 0;
      for (let q = 0; q < d.length; q += 4) {
        hash = (hash * 31 + d[q]! * 7 + d[q + 1]! * 3 + d[q + 2]!) | 0;
        const [r, g, b] = [d[q]!, d[q + 1]!, d[q + 2]!];
        const crosshair = Math.abs(r - g) < 30 && b < Math.min(r, g) - 20;
        if (!crosshair && (Math.abs(r - g) > 12 || Math.abs(g - b) > 12)) coloured++;
      }
      const r = c.getBoundingClientRect();
      return { hash, coloured, width: r.width, area: r.width * r.height };
    });
}

/** Left and right edges of the views' canvases, and the width they span. */
async function viewsSpan(page: Page): Promise<{ left: number; right: number; width: number }> {
  return page.getByTestId('viewer-views').evaluate((el) => {
    const rects = [...el.querySelectorAll('canvas')].map((c) => c.getBoundingClientRect());
    const left = Math.min(...rects.map((r) => r.left));
    const right = Math.max(...rects.map((r) => r.right));
    return { left, right, width: right - left };
  });
}

/**
 * The full-screen viewer against the window: what sticks out of it (the viewer's box, each
 * view's canvas, the cursor line), the viewer's scroll and client heights, the document's
 * scroll, and the large (axial) canvas's height.
 */
async function fullscreenFit(page: Page) {
  return page.evaluate(() => {
    const root = document.fullscreenElement as HTMLElement | null;
    const W = window.innerWidth;
    const H = window.innerHeight;
    const overflow: string[] = [];
    const check = (name: string, el: Element | null) => {
      if (!el) return overflow.push(`${name}: missing`);
      const r = el.getBoundingClientRect();
      if (r.top < -0.5 || r.left < -0.5 || r.bottom > H + 0.5 || r.right > W + 0.5)
        overflow.push(`${name} at ${Math.round(r.left)},${Math.round(r.top)}–${Math.round(r.right)},${Math.round(r.bottom)} in ${W}×${H}`);
    };
    check('viewer', root);
    for (const o of ['axial', 'coronal', 'sagittal']) check(`${o} view`, document.querySelector(`[data-testid="view-${o}"] canvas`));
    check('cursor line', document.querySelector('[data-testid="cursor"]'));
    if (root && root.scrollHeight > root.clientHeight) overflow.push(`viewer scrolls: ${root.scrollHeight} > ${root.clientHeight}`);
    return {
      overflow,
      scrollHeight: root?.scrollHeight ?? 0,
      clientHeight: root?.clientHeight ?? 0,
      documentScrollY: window.scrollY,
      largeHeight: document.querySelector('[data-testid="view-axial"] canvas')?.getBoundingClientRect().height ?? 0,
    };
  });
}

test('a physicist presents a study with dose: zoom, pan, large layout, structures, full screen, dose wash, isodoses and DVH', async ({ signedIn }) => {
  test.setTimeout(300_000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-e2e-projector-'));
  // A unique seed per run: a rerun on the same database imports a new study rather than finding the old one.
  const seed = `e2e-projector-${process.pid}-${Date.now()}`;
  await writeDosePhantom(path.join(tmp, 'study'), {
    ctDims: [96, 96, 40],
    ctSpacingMm: [3, 3, 3],
    doseSpacingMm: [4, 4, 4],
    structures: [
      { name: 'ITV', centreMm: [6, -3, 0], radiiMm: [22, 20, 16], interpretedType: 'GTV' },
      { name: 'GTV', centreMm: [6, -3, 0], radiiMm: [12, 13, 10], interpretedType: 'GTV' },
      { name: 'Cord', centreMm: [0, 45, 0], radiiMm: [6, 6, 50] },
    ],
    target: { centreMm: [6, -3, 0], radiusMm: 24, falloffMm: 5 },
    prescriptionGy: 60,
    fractions: 30,
    seed,
  });
  const zip = Buffer.from(zipFolder(path.join(tmp, 'study')));
  const page = await signedIn('PHYSICIST');
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto('/import');
  await page.getByTestId('import-file').setInputFiles({ name: 'dose-phantom.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByTestId('import-submit').click();
  await expect(page.getByTestId('import-report').getByRole('heading', { level: 2 })).toHaveText('Imported', { timeout: 60_000 });
  await page.getByTestId('import-study-link').click();
  await expect(page.getByTestId('view-axial').locator('canvas')).toBeVisible({ timeout: 60_000 });

  // At 1920 px the viewer uses the window's width, past the page's 1200 px column: the views' box
  // is wider than 1200 px, each of the three views in a row is wider than 400 px (in the column's
  // 1160 px content box three views and their frames get at most 365 px each), and nothing
  // scrolls sideways.
  await expect.poll(async () => (await page.getByTestId('viewer-views').boundingBox())!.width).toBeGreaterThan(1200);
  await expect.poll(async () => (await canvasStats(page, 'axial')).width).toBeGreaterThan(400);
  expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
  await shot(page, 'projector-1920-row');

  // Zoom with the button, then with Ctrl + wheel over the axial view; reset with 0.
  const axial = page.getByTestId('view-axial');
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await expect(axial).toHaveAttribute('data-zoom', '1.250');
  const box = (await axial.locator('canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await page.keyboard.down('Control');
  await page.mouse.wheel(0, -120);
  await page.keyboard.up('Control');
  await expect(axial).toHaveAttribute('data-zoom', '1.563');

  // Pan: in pan mode a drag moves the image, not the crosshair.
  const cursor = page.getByTestId('cursor');
  const cursorBefore = await cursor.getAttribute('data-cursor');
  const before = await canvasStats(page, 'axial');
  await page.getByRole('button', { name: 'Pan' }).click();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5 + 60, box.y + box.height * 0.5 + 40, { steps: 5 });
  await page.mouse.up();
  await expect.poll(async () => (await canvasStats(page, 'axial')).hash).not.toBe(before.hash);
  await expect(cursor).toHaveAttribute('data-cursor', cursorBefore!);
  await page.getByRole('button', { name: 'Pan' }).click();

  // Every physician structure has a toggle: the cord (not a target) is off until shown.
  const cordOff = await canvasStats(page, 'axial');
  await page.getByTestId('structure-toggles').getByRole('checkbox', { name: 'Cord' }).check();
  await expect.poll(async () => (await canvasStats(page, 'axial')).coloured).toBeGreaterThan(cordOff.coloured);

  // Shortcuts: "?" lists them; 0 resets the zoom; 2 makes the coronal view the large one.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.keyboard.press('?');
  await expect(page.getByTestId('shortcuts')).toContainText('full-screen presenter mode');
  await page.keyboard.press('0');
  await expect(axial).toHaveAttribute('data-zoom', '1.000');
  await page.keyboard.press('2');
  await expect(page.getByTestId('viewer-views')).toHaveAttribute('data-layout', 'focus');
  await expect.poll(async () => (await canvasStats(page, 'coronal')).area).toBeGreaterThan((await canvasStats(page, 'axial')).area * 2);
  // A click on a small view makes it the large one.
  await page.getByTestId('view-axial').locator('canvas').click();
  await expect.poll(async () => (await canvasStats(page, 'axial')).area).toBeGreaterThan((await canvasStats(page, 'coronal')).area * 2);
  // The large layout spans more than the 1200 px column: from the large view's left edge to the small views' right edge.
  await expect.poll(async () => (await viewsSpan(page)).width).toBeGreaterThan(1200);
  await page.keyboard.press('?');

  // Dose: the wash with its scale in Gy, the isodose lines as % of the plan's 60 Gy.
  const washOff = await canvasStats(page, 'axial');
  await page.getByRole('checkbox', { name: 'Dose colour-wash' }).check();
  await expect(page.getByTestId('dose-wash-scale')).toContainText('Gy');
  await expect.poll(async () => (await canvasStats(page, 'axial')).coloured).toBeGreaterThan(washOff.coloured + 1000);
  await page.getByRole('checkbox', { name: 'Isodose lines' }).check();
  const iso = page.getByTestId('isodose-legend');
  await expect(iso).toContainText('% of prescription 60 Gy');
  for (const level of ['50 % (30.0 Gy)', '95 % (57.0 Gy)', '100 % (60.0 Gy)', '105 % (63.0 Gy)']) await expect(iso).toContainText(level);
  await shot(page, 'projector-1920-large-dose');

  // The DVH chart on the study page, with its structure list above it.
  const dvh = page.getByTestId('dvh-chart');
  await dvh.scrollIntoViewIfNeeded();
  const lines = dvh.locator('.recharts-line');
  const regions = dvh.getByRole('group', { name: 'DVH structures' }).getByRole('checkbox');
  // physician ITV and GTV, and the machine, FP and FN regions when the demo model has segmented the study already
  expect(await regions.count()).toBeGreaterThanOrEqual(2);
  await expect(lines).toHaveCount(await regions.count());
  await dvh.getByRole('checkbox', { name: /Physician GTV/ }).uncheck();
  await expect(lines).toHaveCount((await regions.count()) - 1);
  await dvh.getByRole('checkbox', { name: /Physician GTV/ }).check();
  await shot(page, 'projector-1920-dvh', true);

  // Full screen (presenter mode) at the projectors' sizes: the whole viewer (toolbars, views and
  // the cursor line) fits the screen with nothing to scroll, the large view takes the height the
  // toolbars leave (at 1080 at least 0.6 of it); Esc leaves.
  const viewer = page.getByTestId('study-viewer');
  for (const [width, height] of [
    [1920, 1080],
    [1440, 900],
    [1280, 720],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.getByRole('button', { name: 'Full screen' }).click();
    await expect(viewer).toHaveAttribute('data-fullscreen', 'true');
    await expect(page.getByTestId('viewer-views')).toHaveAttribute('data-layout', 'focus');
    // The canvases are sized once the views' box is measured: wait until the layout fits.
    await expect.poll(async () => (await fullscreenFit(page)).overflow, { message: `full screen at ${width}×${height}: what sticks out` }).toEqual([]);
    const fit = await fullscreenFit(page);
    expect(fit.scrollHeight, `the full-screen viewer scrolls at ${width}×${height}`).toBeLessThanOrEqual(fit.clientHeight);
    expect(fit.documentScrollY).toBe(0);
    if (height === 1080) expect(fit.largeHeight).toBeGreaterThanOrEqual(0.6 * height);
    else expect(fit.largeHeight, 'a sanity floor where the toolbars wrap onto more lines').toBeGreaterThanOrEqual(0.35 * height);
    await shot(page, `projector-${width}-fullscreen`);
    await page.keyboard.press('Escape');
    await expect(viewer).not.toHaveAttribute('data-fullscreen', 'true');
  }

  // The smaller projector resolution: the large layout still fits.
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.evaluate(() => window.scrollTo(0, 0));
  // the large view fits the window's height
  await expect.poll(async () => (await page.getByTestId('view-axial').locator('canvas').boundingBox())!.height).toBeLessThan(900);
  await shot(page, 'projector-1440-large-dose');
  await page.keyboard.press('l');
  await expect(page.getByTestId('viewer-views')).toHaveAttribute('data-layout', 'row');
  await shot(page, 'projector-1440-row');
  fs.rmSync(tmp, { recursive: true, force: true });
});
