/**
 * The cohort page's inter-observer line (docs/observers.md): over the studies with two or more
 * physician observers of the ITV, the machine against the physicians beside the physicians against
 * each other, "machine vs physicians: median Dice 0.81; physician vs physician: 0.79; n = 14",
 * with the paired Wilcoxon signed-rank test (lib/core/stats/inter-observer.ts). Per study: the
 * ITV Dice ('overlap' rows of ObserverMetric) of its latest succeeded run's machine ITV against
 * each physician (mean), of each physician pair (mean), and against the majority vote.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { compareMachineWithObservers, type InterObserverSummary, type StudyObserverValues } from '../../core/stats/inter-observer';

export async function getCohortObserverSummary(db: Db, o: { caller: Caller; studyIds?: readonly string[] }): Promise<InterObserverSummary> {
  authorize(o.caller, 'cohort:view');
  const rows = await db.observerMetric.findMany({
    where: { role: 'ITV', convention: 'overlap', ...(o.studyIds ? { studyId: { in: [...o.studyIds] } } : {}) },
    select: { studyId: true, runId: true, comparison: true, consensus: true, values: true, run: { select: { status: true, finishedAt: true } } },
    orderBy: [{ studyId: 'asc' }, { key: 'asc' }],
  });
  // The latest succeeded run of each study that has machine rows.
  const latest = new Map<string, { runId: string; at: number }>();
  for (const r of rows) {
    if (!r.runId || r.run?.status !== 'SUCCEEDED') continue;
    const at = r.run.finishedAt?.getTime() ?? 0;
    const cur = latest.get(r.studyId);
    if (!cur || at > cur.at || (at === cur.at && r.runId > cur.runId)) latest.set(r.studyId, { runId: r.runId, at });
  }
  const studies = new Map<string, { machine: number[]; pairs: number[]; consensus: number | null }>();
  for (const r of rows) {
    const dice = (r.values as { dice?: unknown } | null)?.dice;
    if (typeof dice !== 'number' || !Number.isFinite(dice)) continue;
    const s = studies.get(r.studyId) ?? { machine: [], pairs: [], consensus: null };
    studies.set(r.studyId, s);
    if (r.comparison === 'physician-physician') s.pairs.push(dice);
    else if (r.runId !== latest.get(r.studyId)?.runId) continue;
    else if (r.comparison === 'machine-physician') s.machine.push(dice);
    else if (r.comparison === 'machine-consensus' && r.consensus === 'majority') s.consensus = dice;
  }
  const values: StudyObserverValues[] = [...studies.entries()].map(([studyId, s]) => ({
    studyId,
    machineVsObservers: s.machine,
    observerVsObserver: s.pairs,
    machineVsConsensus: s.consensus,
  }));
  return compareMachineWithObservers(values);
}
