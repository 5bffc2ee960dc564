/**
 * Next.js calls register() once when the web server starts. It starts computing the unfiltered
 * cohort (lib/server/cohort/find-cohort-view.ts, prepareCohortViews) in the background, so the
 * first view of the cohort page after a start does not wait for the whole query at 50,000
 * studies. ISEG_PREPARE_COHORT=0 turns it off. Not during `next build`, and never fatal.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || process.env.NEXT_PHASE === 'phase-production-build') return;
  if (process.env.ISEG_PREPARE_COHORT === '0' || !process.env.DATABASE_URL) return;
  const [{ prepareCohortViews }, { db }] = await Promise.all([import('./lib/server/cohort/find-cohort-view'), import('./lib/server/db/client')]);
  const t0 = Date.now();
  prepareCohortViews(db()).then(
    () => console.log(`[web] cohort prepared in ${Date.now() - t0} ms`),
    (e: unknown) => console.error(`[web] preparing the cohort failed (the first cohort view computes it): ${(e as Error).message}`),
  );
}
