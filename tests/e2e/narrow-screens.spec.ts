/**
 * Narrow screens (issue #16 item 9): every page at a phone's 390×844 and a tablet's 768×1024,
 * signed in as a role that may open it. No page scrolls sideways (the document is no wider than
 * the window); the header's menu button opens a menu with every entry the role has (Jobs and
 * Models where it has them) and Sign out, and Escape closes it. A full-page screenshot of each
 * page goes to test-results/narrow/ and is attached to the Playwright report.
 *
 * Also the small things of #16 item 10 that a browser shows: the 403 page has the app's header
 * with navigation and sign-out; /favicon.ico answers; the presenter's heading names the pseudonym
 * once.
 */
import fs from 'node:fs';
import type { Page, TestInfo } from '@playwright/test';
import { test, expect, signIn } from './fixtures';

const DIR = 'test-results/narrow';
fs.mkdirSync(DIR, { recursive: true });

const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'tablet', width: 768, height: 1024 },
] as const;

type Role = 'ADMIN' | 'PHYSICIST' | 'REVIEWER';

/** The entries each role's menu must show (besides the others it has). */
const MENU: Record<Role, { has: string[]; lacks: string[] }> = {
  ADMIN: { has: ['Cohort', 'Jobs', 'Models', 'Users', 'Audit log'], lacks: [] },
  PHYSICIST: { has: ['Cohort', 'Review', 'Jobs', 'Models'], lacks: ['Users'] },
  REVIEWER: { has: ['Cohort', 'Review'], lacks: ['Jobs', 'Models'] },
};

const ADMIN_PAGES = [
  '/',
  '/outcomes',
  '/monitoring',
  '/import',
  '/receive',
  '/pacs',
  '/review',
  '/jobs',
  '/models',
  '/admin/users',
  '/admin/dicom-destinations',
  '/admin/structure-roles',
  '/admin/flags',
  '/admin/audit',
  '/admin/outcomes',
  '/admin/pacs',
];

/**
 * How far the document is wider than the window, and the outermost elements that stick out past
 * its right edge (not inside a box that scrolls or clips them), for the failure message.
 */
async function sideways(page: Page): Promise<{ excess: number; culprits: string[] }> {
  return page.evaluate(() => {
    const W = window.innerWidth;
    const excess = document.documentElement.scrollWidth - W;
    const culprits: string[] = [];
    const clipped = (el: Element) => {
      for (let q = el.parentElement; q && q !== document.documentElement; q = q.parentElement) if (getComputedStyle(q).overflowX !== 'visible') return true;
      return false;
    };
    const describe = (el: Element) =>
      el.tagName.toLowerCase() +
      (typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '') +
      (el instanceof HTMLElement && el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : '');
    if (excess > 0) {
      for (const el of Array.from(document.querySelectorAll('body *'))) {
        const r = el.getBoundingClientRect();
        if (r.right <= W + 0.5 || r.width === 0 || clipped(el)) continue;
        if (el.parentElement && el.parentElement.getBoundingClientRect().right > W + 0.5) continue;
        culprits.push(
          `${el.parentElement ? describe(el.parentElement) : ''} > ${describe(el)} (width ${Math.round(r.width)}, right edge ${Math.round(r.right)})`,
        );
        if (culprits.length >= 6) break;
      }
    }
    return { excess, culprits };
  });
}

async function expectNoSidewaysScroll(page: Page, label: string) {
  // Charts size themselves after the first paint (ResponsiveContainer): poll until settled.
  let last = { excess: 0, culprits: [] as string[] };
  await expect
    .poll(
      async () => {
        last = await sideways(page);
        return last.excess;
      },
      { message: `${label} scrolls sideways`, timeout: 10_000 },
    )
    .toBeLessThanOrEqual(0)
    .catch((e: Error) => {
      throw new Error(`${label}: the page is ${last.excess}px wider than the window; sticking out: ${last.culprits.join('; ')}\n${e.message}`);
    });
}

async function shot(page: Page, testInfo: TestInfo, name: string) {
  const file = `${DIR}/${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/**
 * Opens the menu with `open` (a click, or Enter on the focused button). The page is
 * server-rendered: until React has hydrated it the button does nothing, so this tries again
 * until the menu says it is open (never pressing an open menu, which would close it).
 */
async function openMenu(page: Page, open: () => Promise<void>) {
  const toggle = page.locator('header.top').getByRole('button', { name: 'Menu' });
  await expect(async () => {
    if ((await toggle.getAttribute('aria-expanded')) !== 'true') await open();
    await expect(toggle).toHaveAttribute('aria-expanded', 'true', { timeout: 2_000 });
  }).toPass({ timeout: 30_000 });
}

/** Opens the header's menu and checks its entries and Sign out; closes it with Escape. */
async function checkMenu(page: Page, role: Role) {
  const header = page.locator('header.top');
  const toggle = header.getByRole('button', { name: 'Menu' });
  await expect(toggle).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  // Collapsed, the links are out of sight (and out of the accessibility tree).
  await expect(header.getByRole('link', { name: 'Cohort', exact: true })).toBeHidden();
  await openMenu(page, () => toggle.click());
  for (const label of MENU[role].has) await expect(header.getByRole('link', { name: label, exact: true })).toBeVisible();
  for (const label of MENU[role].lacks) await expect(header.getByRole('link', { name: label, exact: true })).toHaveCount(0);
  await expect(header.getByRole('button', { name: 'Sign out' })).toBeVisible();
  await expect(header.getByTestId('who')).toContainText(role.toLowerCase());
  await page.keyboard.press('Escape');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(header.getByRole('button', { name: 'Sign out' })).toBeHidden();
  await expect(toggle).toBeFocused();
}

async function visit(page: Page, path: string) {
  const res = await page.goto(path);
  expect(res?.status(), `${path} answered ${res?.status()}`).toBeLessThan(400);
  await expect(page.locator('main h1').first()).toBeVisible();
  await page.waitForLoadState('load');
}

/** A study with a finished run, from the reviewer's queue (the worker segments the demo cohort in the background). */
async function finishedStudy(page: Page): Promise<{ studyId: string; pseudonym: string }> {
  await page.goto('/review');
  await expect(async () => {
    await page.reload();
    expect(await page.getByTestId('review-row').count()).toBeGreaterThanOrEqual(1);
  }).toPass({ timeout: 300_000, intervals: [5_000] });
  const row = page.getByTestId('review-row').first();
  return { studyId: (await row.getAttribute('data-study-id'))!, pseudonym: (await row.locator('td').nth(1).innerText()).trim() };
}

for (const vp of VIEWPORTS) {
  test.describe(`${vp.name} ${vp.width}×${vp.height}`, () => {
    test.use({ viewport: { width: vp.width, height: vp.height } });

    test('sign-in and setup pages fit', async ({ page }, testInfo) => {
      await page.goto('/login');
      await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
      await expectNoSidewaysScroll(page, '/login');
      await shot(page, testInfo, `${vp.name}-login`);
      // After the first run the setup page sends to sign-in; it shares the sign-in page's layout.
      await page.goto('/setup');
      await expect(page.getByRole('button', { name: /Sign in|Create administrator/ })).toBeVisible();
      await expectNoSidewaysScroll(page, '/setup');
    });

    test('admin pages fit and the menu has every entry', async ({ page }, testInfo) => {
      test.setTimeout(480_000);
      await signIn(page, 'ADMIN');
      // The menu works from the keyboard: Enter opens it, Escape closes it and returns focus.
      const toggle = page.locator('header.top').getByRole('button', { name: 'Menu' });
      await openMenu(page, async () => {
        await toggle.focus();
        await page.keyboard.press('Enter');
      });
      await expect(page.locator('header.top').getByRole('link', { name: 'Jobs', exact: true })).toBeVisible();
      await expectNoSidewaysScroll(page, '/ with the menu open');
      await shot(page, testInfo, `${vp.name}-menu-open-admin`);
      await page.keyboard.press('Escape');
      await expect(toggle).toHaveAttribute('aria-expanded', 'false');
      await expect(toggle).toBeFocused();
      // Following a link from the menu closes it.
      await openMenu(page, () => toggle.click());
      await page.locator('header.top').getByRole('link', { name: 'Models', exact: true }).click();
      await expect(page).toHaveURL(/\/models$/);
      await expect(toggle).toHaveAttribute('aria-expanded', 'false');

      for (const path of ADMIN_PAGES) {
        await test.step(path, async () => {
          await visit(page, path);
          await expectNoSidewaysScroll(page, path);
          await shot(page, testInfo, `${vp.name}-admin${path === '/' ? '-cohort' : path.replace(/\//g, '-')}`);
          await checkMenu(page, 'ADMIN');
        });
      }
    });

    test('study, presenter, minutes and the 403 page fit', async ({ page, browser }, testInfo) => {
      test.setTimeout(480_000);
      await signIn(page, 'REVIEWER');
      const { studyId, pseudonym } = await finishedStudy(page);
      // The queue streams in after the form: check and photograph the page with it.
      await expect(page.getByTestId('review-queue')).toBeVisible();
      await expectNoSidewaysScroll(page, '/review (reviewer)');
      await shot(page, testInfo, `${vp.name}-reviewer-review`);
      await checkMenu(page, 'REVIEWER');

      // The presenter: the viewer and the key numbers stack; the heading names the pseudonym once.
      await visit(page, `/review/${studyId}`);
      await expect(page.getByTestId('study-viewer').getByTestId('cursor')).toBeVisible({ timeout: 60_000 });
      const headings = (await page.getByRole('heading').allInnerTexts()).join('\n');
      expect(headings.split(pseudonym).length - 1, `headings: ${headings}`).toBe(1);
      await expectNoSidewaysScroll(page, `/review/${studyId}`);
      await shot(page, testInfo, `${vp.name}-reviewer-presenter`);
      await checkMenu(page, 'REVIEWER');

      await visit(page, '/review/minutes');
      await expectNoSidewaysScroll(page, '/review/minutes');
      await shot(page, testInfo, `${vp.name}-reviewer-minutes`);

      const context = await browser.newContext({ viewport: { width: vp.width, height: vp.height } });
      try {
        const physicist = await context.newPage();
        await signIn(physicist, 'PHYSICIST');
        await visit(physicist, `/studies/${studyId}`);
        await expect(physicist.getByTestId('study-viewer').getByTestId('cursor')).toBeVisible({ timeout: 60_000 });
        await expectNoSidewaysScroll(physicist, `/studies/${studyId}`);
        await shot(physicist, testInfo, `${vp.name}-physicist-study`);
        await checkMenu(physicist, 'PHYSICIST');

        // The 403 page (the proxy answers it): the app's header with the role's links and sign-out.
        const res = await physicist.goto('/admin/users');
        expect(res?.status()).toBe(403);
        await expect(physicist.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
        await expectNoSidewaysScroll(physicist, '403 page');
        await shot(physicist, testInfo, `${vp.name}-physicist-403`);
        const nav = physicist.getByRole('navigation', { name: 'Main' });
        for (const label of MENU.PHYSICIST.has) await expect(nav.getByRole('link', { name: label, exact: true })).toBeVisible();
        await expect(nav.getByRole('link', { name: 'Users', exact: true })).toHaveCount(0);
        await expect(physicist.getByRole('link', { name: 'Sign out' })).toBeVisible();
      } finally {
        await context.close();
      }
    });
  });
}

test('favicon.ico answers on every page', async ({ request }) => {
  const res = await request.get('/favicon.ico');
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toMatch(/image/);
  expect((await res.body()).length).toBeGreaterThan(0);
});
