/**
 * The cohort page's inter-observer line (docs/observers.md): over the studies with two or more
 * physician observers of the ITV, the machine's ITV Dice against the physicians beside the
 * physicians' against each other, with the paired Wilcoxon signed-rank test
 * (lib/server/observers/get-cohort-observer-summary.ts). All such studies, whatever the filters.
 * Nothing when no study has a second observer.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { getCohortObserverSummary } from '@/lib/server/observers/get-cohort-observer-summary';

const f2 = (v: number | null) => (v === null ? '—' : v.toFixed(2));
const fp = (p: number) => (p < 0.001 ? '< 0.001' : p.toFixed(3));

export async function CohortObservers({ caller }: { caller: Caller }) {
  const s = await getCohortObserverSummary(db(), { caller });
  if (s.n === 0) return null;
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
        Studies with two or more physician ITVs (their latest succeeded run). Per study the machine value is the mean Dice against each physician, the physician
        value the mean over physician pairs; machine vs the majority-vote consensus: median Dice {f2(s.machineVsConsensusMedian)} (n = {s.nConsensus}). See
        docs/observers.md.
      </p>
    </section>
  );
}
