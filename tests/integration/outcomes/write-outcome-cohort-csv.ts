/**
 * Writes outcome-cohort.csv (the seeded cohort of seed-outcome-cohort.ts, in the shape the R
 * reference needs) for r-reference.R:
 *   npx tsx tests/integration/outcomes/write-outcome-cohort-csv.ts
 *   Rscript tests/integration/outcomes/r-reference.R
 * Time and status follow docs/survival.md: time to local failure, or to death / last follow-up
 * (censored); status 0 censored, 1 local failure, 2 death without local failure.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { outcomeCohort } from './seed-outcome-cohort';

const lines = ['pseudonym,time,event,status,fp,frac10,age,stage'];
for (const p of outcomeCohort()) {
  const time = p.localFailure ? p.localFailureDays : p.died ? p.deathDays : p.lastFollowUpDays;
  const na = (v: number | null) => (v === null ? 'NA' : String(v));
  lines.push(
    [
      p.pseudonym,
      time,
      p.localFailure ? 1 : 0,
      p.localFailure ? 1 : p.died ? 2 : 0,
      na(p.fpVoxels),
      na(p.fpFraction === null ? null : p.fpFraction * 10),
      p.age,
      p.stage,
    ].join(','),
  );
}
writeFileSync(path.join(import.meta.dirname, 'outcome-cohort.csv'), lines.join('\n') + '\n');
