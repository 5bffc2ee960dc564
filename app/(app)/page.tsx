/**
 * / : cohort QA. Filters (URL search parameters, a GET form), the summary in the iSeg study's
 * form, distributions by institution, Dice against tumour volume and motion, machine vs
 * physician ITV volumes with the paired Wilcoxon p, and a sortable, paged case table linking to
 * each study. One query per view (load-cohort.ts); each widget streams in its own <Suspense>.
 * Everyone sees pseudonyms only; roles without identifiers:view see shifted study dates.
 */
import { Suspense } from 'react';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { parseCohortQuery, type SearchParams } from '@/lib/server/cohort/find-cohort-cases.types';
import { loadCohort } from './_cohort/load-cohort';
import { CohortFilters } from './_cohort/cohort-filters';
import { InvertedDateRange } from './_cohort/inverted-date-range';
import { DemoSeedProgress } from './_cohort/demo-seed-progress';
import { DriftAlertsBanner } from './_cohort/drift-alerts-banner';
import { CohortCaseTable, CohortCharts, CohortOverview, WidgetSkeleton } from './_cohort/cohort-widgets';
import { CohortDose } from './_cohort/cohort-dose';
import { CohortObservers } from './_cohort/cohort-observers';

export const dynamic = 'force-dynamic';

export default async function CohortPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const caller = await requireCaller();
  const { query, ignored } = parseCohortQuery(await searchParams);
  const data = loadCohort(caller, query);
  // Keep an unobserved rejection from crashing the process; each widget rethrows it.
  data.catch(() => {});
  const filtered = Boolean(query.institution || query.from || query.to || query.model || query.physician || query.scanner);
  return (
    <>
      <h1>Cohort QA</h1>
      {ignored.length > 0 && (
        <p className="notice" role="status">
          Ignored malformed search parameters: {ignored.join(', ')}.
        </p>
      )}
      <InvertedDateRange query={query} />
      <Suspense fallback={null}>
        <DemoSeedProgress caller={caller} />
      </Suspense>
      <Suspense fallback={null}>
        <DriftAlertsBanner caller={caller} />
      </Suspense>
      <Suspense fallback={<WidgetSkeleton label="filters" height={80} />}>
        <CohortFilters caller={caller} query={query} datesShifted={!can(caller.role, 'identifiers:view')} />
      </Suspense>
      <Suspense fallback={<WidgetSkeleton label="the summary" />}>
        <CohortOverview data={data} caller={caller} filtered={filtered} />
      </Suspense>
      <Suspense fallback={<WidgetSkeleton label="charts" height={320} />}>
        <CohortCharts data={data} />
      </Suspense>
      <Suspense fallback={null}>
        <CohortDose data={data} />
      </Suspense>
      <Suspense fallback={null}>
        <CohortObservers caller={caller} filters={query} />
      </Suspense>
      <Suspense fallback={<WidgetSkeleton label="cases" height={400} />}>
        <CohortCaseTable data={data} query={query} />
      </Suspense>
    </>
  );
}
