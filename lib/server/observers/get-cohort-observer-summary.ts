/**
 * The cohort page's inter-observer line (docs/observers.md): over the studies with two or more
 * physician observers of the ITV, the machine against the physicians beside the physicians against
 * each other, "machine vs physicians: median Dice 0.81; physician vs physician: 0.79; n = 14",
 * with the paired Wilcoxon signed-rank test (lib/core/stats/inter-observer.ts). Per study: the
 * ITV Dice ('overlap' rows of ObserverMetric) of its latest succeeded run's machine ITV against
 * each physician (mean), of each physician pair (mean), and against the majority vote.
 *
 * `filters` are the cohort page's (lib/server/cohort/find-cohort-cases.types.ts), with the same
 * meaning as in the cohort's own query (find-cohort-cases.ts): institution, physician (by the
 * name the caller sees: a pseudonym for roles without identifiers:view), scanner, the study date
 * range on the date the caller sees (shifted per patient for those roles), and a model: a study
 * then counts through its latest succeeded run of that model, whose machine values are used.
 * tests/integration/observers/cohort-observer-filters.test.ts checks that the studies counted are
 * the filtered cohort's.
 */
import type { Db } from '../db/client';
import { Prisma } from '../db/generated/client';
import { authorize, can, type Caller } from '../auth/roles';
import type { CohortFilters } from '../cohort/find-cohort-cases.types';
import { freeTextPresenter } from '../deid/present-free-text';
import { compareMachineWithObservers, type InterObserverSummary, type StudyObserverValues } from '../../core/stats/inter-observer';

/** Whether any of the page's filters is set. */
export function hasCohortFilters(f: Partial<CohortFilters> | undefined): boolean {
  return Boolean(f && (f.institution || f.physician || f.scanner || f.from || f.to || f.model));
}

/** The studies with ITV observer rows that pass the filters (all of them without filters). */
async function filteredObserverStudies(db: Db, caller: Caller, f: Partial<CohortFilters>): Promise<string[]> {
  const shifted = !can(caller.role, 'identifiers:view');
  const shownDate = shifted ? Prisma.sql`(s."studyDate" + pi."dateShiftDays")` : Prisma.sql`s."studyDate"`;
  const where: Prisma.Sql[] = [Prisma.sql`EXISTS (SELECT 1 FROM "ObserverMetric" om WHERE om."studyId" = s.id AND om.role = 'ITV')`];
  if (f.institution) where.push(Prisma.sql`p."institutionId" = ${f.institution}`);
  if (f.physician) {
    const freeText = await freeTextPresenter(db, caller);
    const names = freeText.identified
      ? [f.physician]
      : (await db.$queryRaw<{ v: string }[]>`SELECT DISTINCT physician AS v FROM "Study" WHERE physician IS NOT NULL`)
          .map((x) => x.v)
          .filter((v) => freeText.physician(v) === f.physician);
    where.push(Prisma.sql`s.physician = ANY(${names}::text[])`);
  }
  if (f.scanner) where.push(Prisma.sql`s.scanner = ${f.scanner}`);
  if (f.from) where.push(Prisma.sql`${shownDate} >= ${f.from}::date`);
  if (f.to) where.push(Prisma.sql`${shownDate} <= ${f.to}::date`);
  const rows = await db.$queryRaw<{ id: string }[]>`
    SELECT s.id FROM "Study" s
    JOIN "Patient" p ON p.id = s."patientId"
    LEFT JOIN "PatientIdentity" pi ON pi."patientId" = p.id
    WHERE ${Prisma.join(where, ' AND ')}`;
  return rows.map((r) => r.id);
}

export async function getCohortObserverSummary(
  db: Db,
  o: { caller: Caller; studyIds?: readonly string[]; filters?: Partial<CohortFilters> },
): Promise<InterObserverSummary> {
  authorize(o.caller, 'cohort:view');
  let studyIds = o.studyIds;
  if (hasCohortFilters(o.filters)) {
    const passing = new Set(await filteredObserverStudies(db, o.caller, o.filters!));
    studyIds = (studyIds ?? [...passing]).filter((id) => passing.has(id));
  }
  const model = o.filters?.model ?? null;
  const rows = await db.observerMetric.findMany({
    where: { role: 'ITV', convention: 'overlap', ...(studyIds ? { studyId: { in: [...studyIds] } } : {}) },
    select: {
      studyId: true,
      runId: true,
      comparison: true,
      consensus: true,
      values: true,
      run: { select: { status: true, finishedAt: true, modelVersionId: true } },
    },
    orderBy: [{ studyId: 'asc' }, { key: 'asc' }],
  });
  // The latest succeeded run of each study that has machine rows (of the filtered model, with one).
  const latest = new Map<string, { runId: string; at: number }>();
  for (const r of rows) {
    if (!r.runId || r.run?.status !== 'SUCCEEDED') continue;
    if (model && r.run.modelVersionId !== model) continue;
    const at = r.run.finishedAt?.getTime() ?? 0;
    const cur = latest.get(r.studyId);
    if (!cur || at > cur.at || (at === cur.at && r.runId > cur.runId)) latest.set(r.studyId, { runId: r.runId, at });
  }
  const studies = new Map<string, { machine: number[]; pairs: number[]; consensus: number | null }>();
  for (const r of rows) {
    // With a model filter, a study without a succeeded run of that model is not in the cohort.
    if (model && !latest.has(r.studyId)) continue;
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
