/**
 * The public test data and reference values beside the checkout (`../shared/data`,
 * `../shared/reference`). On a user's machine they may be absent: the suites that need them
 * skip, saying so. CI sets `ISEG_REQUIRE_SHARED_DATA=1` (`.ci/run`), and then a missing folder
 * fails the suite instead, so evidence cannot silently vanish (docs/testing.md).
 *
 * Suites that use this data are named with `referenceSuite(...)`; the reporter in
 * tests/reference-suites-reporter.ts counts how many of them ran.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(__dirname, '..');

/** `../shared/data/<rel>` from the repository root. */
export function sharedDataPath(...rel: string[]): string {
  return path.resolve(repoRoot, '..', 'shared', 'data', ...rel);
}

/** `../shared/reference/<rel>` from the repository root. */
export function sharedReferencePath(...rel: string[]): string {
  return path.resolve(repoRoot, '..', 'shared', 'reference', ...rel);
}

/**
 * True when every path exists. When one is missing: false (the caller skips), or, with
 * ISEG_REQUIRE_SHARED_DATA=1, throws so the test file fails and names the missing path.
 */
export function haveSharedData(...paths: string[]): boolean {
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length === 0) return true;
  if (process.env.ISEG_REQUIRE_SHARED_DATA === '1') {
    throw new Error(
      `Reference data missing: ${missing.join(', ')}. ISEG_REQUIRE_SHARED_DATA=1 (set by .ci/run) turns this skip into a failure: lay ../shared beside the checkout.`,
    );
  }
  console.warn(`Skipping a reference suite: ${missing.join(', ')} is absent (the public test data beside the checkout).`);
  return false;
}

export const REFERENCE_SUITE_PREFIX = '[reference] ';

/** The name of a suite that checks against the shared data; counted at the end of the run. */
export function referenceSuite(name: string): string {
  return REFERENCE_SUITE_PREFIX + name;
}
