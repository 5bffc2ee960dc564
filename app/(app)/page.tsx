import { revalidatePath } from 'next/cache';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can } from '@/lib/server/auth/roles';
import { getCohortSummary } from '@/lib/server/cohort/get-cohort-summary';
import { requestCohortSummary } from '@/lib/server/cohort/request-cohort-summary';
import type { MetricSummary } from '@/lib/server/cohort/compute-cohort-summary';
import { webBoss } from '@/lib/server/jobs/web-boss';

export const dynamic = 'force-dynamic';

async function recompute() {
  'use server';
  const caller = await requireCaller();
  await requestCohortSummary(db(), await webBoss(), { caller });
  revalidatePath('/');
}

function fmt(s: MetricSummary): string {
  if (s.n === 0 || s.median === null) return '—';
  return `${s.median.toFixed(2)} [${s.q1!.toFixed(2)}–${s.q3!.toFixed(2)}]`;
}

function Stat({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="card stat">
      <div className="value">{value}</div>
      <div className="label">{label}</div>
    </div>
  );
}

export default async function CohortPage() {
  const caller = await requireCaller();
  const summary = await getCohortSummary(db(), { caller });
  const v = summary?.values;
  return (
    <>
      <h1>Cohort</h1>
      {!v ? (
        <div className="card">
          <p>No cohort summary has been computed yet.</p>
          <p className="muted">A worker computes it in the background; ask for it below, then reload.</p>
        </div>
      ) : (
        <>
          <div className="grid" data-testid="cohort-summary">
            <Stat label="Patients" value={v.patients} />
            <Stat label="Studies" value={v.studies} />
            <Stat label="Segmentation runs" value={v.runs.total} />
            <Stat label="Local failures (of patients with outcomes)" value={`${v.outcomes.localFailures} / ${v.outcomes.patients}`} />
          </div>
          <div className="card">
            <table>
              <thead>
                <tr>
                  <th>Structure</th>
                  <th>n</th>
                  <th>Dice, median [IQR] (voxel overlap, native grid)</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>GTV (each 4D CT phase)</td>
                  <td>{v.gtvDice.n}</td>
                  <td>{fmt(v.gtvDice)}</td>
                </tr>
                <tr>
                  <td>ITV</td>
                  <td>{v.itvDice.n}</td>
                  <td>{fmt(v.itvDice)}</td>
                </tr>
              </tbody>
            </table>
          </div>
          <p className="muted" data-testid="computed-at">
            Computed {summary!.computedAt.toISOString().replace('T', ' ').slice(0, 19)} UTC by job {summary!.jobId ?? '—'}
          </p>
        </>
      )}
      {can(caller.role, 'jobs:enqueue') && (
        <form action={recompute}>
          <button type="submit">Recompute cohort summary</button>
        </form>
      )}
    </>
  );
}
