/**
 * Prints, at the end of a vitest run, how many reference suites and tests (those named with
 * `referenceSuite()`, tests/shared-data.ts) ran, passed, failed or were skipped, so a run
 * without the shared data is visible in the summary.
 */
import type { Reporter, TestModule } from 'vitest/node';
import { REFERENCE_SUITE_PREFIX } from './shared-data';

export default class ReferenceSuitesReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const m of testModules) {
      for (const s of m.children.allSuites()) {
        if (!s.name.startsWith(REFERENCE_SUITE_PREFIX)) continue;
        counts[s.state()] += 1;
      }
      for (const t of m.children.allTests()) {
        if (!t.name.startsWith(REFERENCE_SUITE_PREFIX)) continue;
        const state = t.result().state;
        counts[state === 'pending' ? 'pending' : state] += 1;
      }
    }
    const total = counts.passed + counts.failed + counts.skipped + counts.pending;
    if (total === 0) return;
    console.log(
      `Reference suites: ${counts.passed + counts.failed} of ${total} ran (${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped).`,
    );
  }
}
