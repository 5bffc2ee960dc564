/**
 * End-to-end tests in a real headless Chromium. Run through `npm run test:e2e`
 * (scripts/e2e.ts), which starts an isolated instance of the app the way `npm start` does and
 * passes its URL and seeded accounts in E2E_* variables.
 */
import { defineConfig } from '@playwright/test';
import fs from 'node:fs';

const executablePath = process.env.PLAYWRIGHT_CHROMIUM_EXECUTABLE ?? (fs.existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  // Assertions wait on the page's state and pass as soon as it is there; on a loaded 2-core
  // machine a server-rendered page can take several seconds, so they may wait up to 15 s.
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [['list']],
  projects: [
    { name: 'first-run', testMatch: /first-run\.setup\.ts/ },
    { name: 'app', testMatch: /\.spec\.ts/, dependencies: ['first-run'] },
  ],
  use: {
    baseURL: process.env.E2E_BASE_URL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    },
  },
});
