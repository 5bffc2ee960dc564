/**
 * While `npm start` seeds the first-run demo cohort in the background, the cohort page says how
 * far it is (studies appear as they import; reload to see more), and says so when it failed.
 */
import { db } from '@/lib/server/db/client';
import type { Caller } from '@/lib/server/auth/roles';
import { getDemoSeedProgress } from '@/lib/server/seed/get-demo-seed-progress';

export async function DemoSeedProgress({ caller }: { caller: Caller }) {
  const p = await getDemoSeedProgress(db(), { caller });
  if (!p || p.state === 'done') return null;
  if (p.state === 'failed')
    return (
      <p className="error" role="alert" data-testid="demo-seed-progress">
        Seeding the demo cohort failed after {p.imported} of {p.patients} patients: {p.error}. The studies already imported are complete; the next{' '}
        <code>npm start</code> tries again (its console has the details).
      </p>
    );
  return (
    <p className="notice" role="status" data-testid="demo-seed-progress">
      {p.state === 'writing'
        ? `Preparing the demo cohort: writing ${p.patients} synthetic 4D CT patients as DICOM (first start only)…`
        : `Importing the demo cohort: ${p.imported} of ${p.patients} synthetic patients so far. Studies appear below as they import; reload to see more.`}{' '}
      <progress max={p.patients} value={p.state === 'writing' ? undefined : p.imported} aria-label="demo cohort seeding progress" />
    </p>
  );
}
