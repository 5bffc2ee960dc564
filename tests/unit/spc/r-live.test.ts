/**
 * Runs R's spc package live for a few average run lengths and critical values (beside the
 * stored fixture, so that a new spc or a new R cannot drift away unnoticed). Needs `Rscript`
 * with spc (Debian packages r-base-core and r-cran-spc): skipped with a warning on a machine
 * without them, and failing under CI (`process.env.CI`), which installs them (.ci/run).
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cusumArl, cusumCriticalH, ewmaArl, ewmaCriticalL } from '@/lib/core/spc';

const RSCRIPT = process.env.ISEG_TEST_RSCRIPT ?? 'Rscript';

function missingR(): string | null {
  const r = spawnSync(RSCRIPT, ['-e', 'suppressPackageStartupMessages(library(spc))'], { encoding: 'utf8' });
  if (r.error) return `${RSCRIPT} is not installed (apt-get install r-base-core r-cran-spc)`;
  if (r.status !== 0) return `R's spc package is missing (apt-get install r-cran-spc): ${r.stderr.trim()}`;
  return null;
}

function haveR(): boolean {
  const missing = missingR();
  if (!missing) return true;
  if (process.env.CI)
    throw new Error(`R reference for the control charts: ${missing}. Under CI the SPC tests require it (.ci/run installs r-base-core r-cran-spc).`);
  console.warn(`Skipping the live R spc checks: ${missing}.`);
  return false;
}

describe.skipIf(!haveR())('average run lengths against R spc, run live', () => {
  it('xewma.arl, xcusum.arl, xewma.crit and xcusum.crit agree to 1e-6', () => {
    const script = [
      'suppressPackageStartupMessages(library(spc))',
      'v <- c(xewma.arl(0.2, 3, 0, sided = "two"), xewma.arl(0.1, 2.7, 1, sided = "two"),',
      '       xcusum.arl(0.5, 5, 0, sided = "two"), xcusum.arl(0.5, 4, 2, sided = "two"),',
      '       xewma.crit(0.2, 370, sided = "two"), xcusum.crit(0.5, 370, sided = "two"))',
      'cat(sprintf("%.17g", v), sep = "\\n")',
    ].join('\n');
    const r = spawnSync(RSCRIPT, ['-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const R = r.stdout.trim().split('\n').map(Number);
    const ours = [ewmaArl(0.2, 3, 0), ewmaArl(0.1, 2.7, 1), cusumArl(0.5, 5, 0), cusumArl(0.5, 4, 2), ewmaCriticalL(0.2, 370), cusumCriticalH(0.5, 370)];
    expect(R).toHaveLength(ours.length);
    ours.forEach((x, i) => expect(Math.abs(x - R[i]!) / R[i]!, `value ${i + 1}: ours ${x}, R ${R[i]}`).toBeLessThan(1e-6));
    // In control, the default EWMA (λ = 0.2, L = 3) gives a false alarm about every 560 studies.
    expect(Math.round(R[0]!)).toBe(560);
  });
});
