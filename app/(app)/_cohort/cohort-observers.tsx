/**
 * The cohort page's inter-observer line (docs/observers.md): over the studies with two or more
 * physician observers of the ITV, the machine's ITV Dice against the physicians beside the
 * physicians' against each other, with the paired Wilcoxon signed-rank test
 * (lib/server/observers/get-cohort-observer-summary.ts), over the studies of the filtered cohort
 * (the page's filters, as the cohort's own query reads them). Nothing when no study has a second
 * observer; with filters that leave none, a line that says so.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { getCohortObserverSummary, hasCohortFilters } from '@/lib/server/observers/get-cohort-observer-summary';
import type { CohortFilters } from '@/lib/server/cohort/find-cohort-cases.types';

const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));
const fp = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

export async function CohortObservers({ caller, filters }: { caller: Caller; filters: CohortFilters }) {
  const filtered = hasCohortFilters(filters);
  const s = await getCohortObserverSummary(db(), { caller, filters });
  if (s.n === 0) {
    if (!filtered) return null;
    // Say so when the filters leave none (there may be some without them).
    const all = await getCohortObserverSummary(db(), { caller });
    if (all.n === 0) return null;
    return (
      <section className="card" data-testid="cohort-observers">
        <h2>Machine vs inter-observer variability (ITV)</h2>
        <p className="muted" data-testid="cohort-observers-line">
          No study of the filtered cohort has two or more physician ITVs ({all.n} in the whole cohort).
        </p>
      </section>
    );
  }
  return (
    <section className="card" data-testid="cohort-observers">
      <h2>Machine vs inter-observer variability (ITV)</h2>
      <p data-testid="cohort-observers-line">
        Machine vs physicians: median Dice {f2(s.machineVsObserversMedian)}; physician vs physician: {f2(s.observerVsObserverMedian)}; n = {s.n}
        {s.test ? (
          <>
            {' '}
            (paired Wilcoxon signed-rank, {s.test.method}: V = {s.test.statistic}, p = {fp(s.test.p)})
          </>
        ) : s.testNote ? (
          <> ({s.testNote})</>
        ) : null}
        .
      </p>
      <p className="muted">
        {filtered ? 'Studies of the filtered cohort' : 'Studies'} with two or more physician ITVs (their latest succeeded run
        {filters.model ? ' of the chosen model' : ''}). Per study the machine value is the mean Dice against each physician, the physician value the mean over
        physician pairs; machine vs the majority-vote consensus: median Dice {f2(s.machineVsConsensusMedian)} (n = {s.nConsensus}). See docs/observers.md.
      </p>
    </section>
  );
}
