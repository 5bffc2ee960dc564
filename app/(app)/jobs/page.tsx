/**
 * /jobs: segmentation runs (status, progress, stage, attempts, wall time, failure code and reason,
 * model), live workers and pg-boss queue counts; Cancel and Retry for those who may enqueue.
 * Refreshes itself every few seconds (AutoRefresh → router.refresh()). A load first marks
 * FAILED (at most every 10 s per web process) the runs whose job has ended without them
 * (sweep-stranded-runs.ts), so a run the workers can no longer finish is not shown as queued or
 * running; a queued run that no live worker can take says which model it waits for. Running runs
 * are pinned at the top; queued and running runs show the time left ("about 4 min left"), its
 * basis on hover (lib/core/runs/estimate-run-eta.ts).
 */
import { Suspense } from 'react';
import Link from 'next/link';
import { db } from '@/lib/server/db/client';
import { requireCaller } from '@/lib/server/auth/get-caller';
import { can, type Caller } from '@/lib/server/auth/roles';
import { findSegmentationRuns, RUN_STATUSES, type RunStatusName } from '@/lib/server/jobs/find-segmentation-runs';
import { findLiveWorkers } from '@/lib/server/jobs/find-live-workers';
import { getQueueCounts } from '@/lib/server/jobs/get-queue-counts';
import { sweepStrandedRunsThrottled } from '@/lib/server/runs/sweep-stranded-runs';
import { AutoRefresh } from './auto-refresh';
import { RunActions } from './run-actions';

export const dynamic = 'force-dynamic';

const STATUS_LABEL: Record<RunStatusName, string> = { QUEUED: 'Queued', RUNNING: 'Running', SUCCEEDED: 'Succeeded', FAILED: 'Failed', CANCELLED: 'Cancelled' };

function duration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${s % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}
function when(iso: string | null): string {
  return iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 19) : '—';
}
function ago(iso: string, now: number): string {
  return `${Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000))} s ago`;
}

async function RunsTable({ caller, status }: { caller: Caller; status?: RunStatusName }) {
  // The workers sweep too; whichever process notices first marks the run (compare-and-set).
  await sweepStrandedRunsThrottled(db()).catch((e: Error) => console.error(`[jobs] sweep of stranded runs: ${e.message}`));
  const { runs, counts, total } = await findSegmentationRuns(db(), { caller, status, limit: 300 });
  const mayAct = can(caller.role, 'jobs:enqueue');
  return (
    <>
      <nav className="jobs-filter" aria-label="Filter runs by status">
        <Link href="/jobs" aria-current={!status ? 'page' : undefined}>
          All ({total})
        </Link>
        {RUN_STATUSES.map((s) => (
          <Link key={s} href={`/jobs?status=${s}`} aria-current={status === s ? 'page' : undefined} data-testid={`count-${s}`}>
            {STATUS_LABEL[s]} ({counts[s]})
          </Link>
        ))}
      </nav>
      {total === 0 ? (
        <div className="card" data-testid="jobs-empty">
          <p>
            No runs yet — <Link href="/import">import a study</Link> and start a worker (<code>npm start</code> starts one; more with{' '}
            <code>npm run worker</code>). Every imported study is queued for segmentation automatically.
          </p>
        </div>
      ) : runs.length === 0 ? (
        <p className="muted">No {STATUS_LABEL[status!].toLowerCase()} runs.</p>
      ) : (
        <div className="card jobs-table-wrap">
          <table className="jobs-table" data-testid="runs">
            <thead>
              <tr>
                <th>Study</th>
                <th>Model</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Attempts</th>
                <th>Queued (UTC)</th>
                <th>Wall time</th>
                <th>Failure</th>
                {mayAct && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr
                  key={r.id}
                  data-testid="run-row"
                  data-run-id={r.id}
                  data-status={r.status}
                  data-pseudonym={r.study.pseudonym}
                  className={r.status === 'RUNNING' ? 'jobs-pinned' : undefined}
                >
                  <td>
                    <Link href={`/studies/${r.study.id}`}>{r.study.pseudonym}</Link>
                  </td>
                  <td title={`sha256 ${r.model.sha256}`}>
                    {r.model.name}@{r.model.version}
                    <div className="muted jobs-small">{r.model.sha256.slice(0, 12)}…</div>
                  </td>
                  <td>
                    <span className={`jobs-status jobs-status-${r.status.toLowerCase()}`}>{STATUS_LABEL[r.status]}</span>
                    {r.waiting && (
                      <div className="notice jobs-small" data-testid="run-waiting">
                        {r.waiting}
                      </div>
                    )}
                  </td>
                  <td className="jobs-progress-cell">
                    <div
                      className="jobs-bar"
                      role="progressbar"
                      aria-valuemin={0}
                      aria-valuemax={100}
                      aria-valuenow={r.progress}
                      aria-label={`Run progress ${r.progress}%`}
                    >
                      <div className={`jobs-bar-fill jobs-status-${r.status.toLowerCase()}`} style={{ width: `${r.progress}%` }} />
                    </div>
                    <div className="jobs-small">
                      {r.progress.toFixed(0)}% {r.stage && <span className="muted">· {r.stage}</span>}
                    </div>
                    {r.eta && (
                      <div className="jobs-small jobs-eta" title={r.eta.basis} data-testid="run-eta">
                        {r.eta.text} {r.status === 'QUEUED' ? 'once started' : 'left'}
                        <span className="sr-only"> (estimate: {r.eta.basis})</span>
                      </div>
                    )}
                  </td>
                  <td className="num">{r.attempts}</td>
                  <td className="jobs-small jobs-nowrap">{when(r.queuedAt)}</td>
                  <td
                    className="num"
                    title={`read ${duration(r.stageMs.read)} · segment ${duration(r.stageMs.segment)} · ITV ${duration(r.stageMs.itv)} · metrics ${duration(r.stageMs.metrics)}`}
                  >
                    {duration(r.wallMs)}
                    {r.stageMs.segment > 0 && <div className="muted jobs-small">segment {duration(r.stageMs.segment)}</div>}
                  </td>
                  <td className="jobs-error">
                    {r.errorCode && r.status !== 'SUCCEEDED' ? (
                      <>
                        <code>{r.errorCode}</code> <span className={r.status === 'FAILED' ? 'error' : 'muted'}>{r.error}</span>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  {mayAct && (
                    <td>
                      <RunActions runId={r.id} status={r.status} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {runs.some((r) => r.status === 'RUNNING') && !status && (
            <p className="muted jobs-small">Running runs are pinned at the top; the others follow, newest first.</p>
          )}
          {runs.length < (status ? counts[status] : total) && <p className="muted jobs-small">Showing the newest {runs.length}.</p>}
        </div>
      )}
    </>
  );
}

async function Workers({ caller }: { caller: Caller }) {
  const workers = await findLiveWorkers(db(), { caller });
  const now = Date.now();
  return (
    <div className="card">
      <h2>Live workers ({workers.length})</h2>
      {workers.length === 0 ? (
        <p className="notice" data-testid="no-workers">
          No live worker (none has reported in the last 60 s): queued runs wait. Start one with <code>npm run worker</code>; <code>npm start</code> starts one
          beside the web server.
        </p>
      ) : (
        <table data-testid="workers">
          <thead>
            <tr>
              <th>Worker</th>
              <th>Model</th>
              <th>Provider</th>
              <th>Concurrency</th>
              <th>Started (UTC)</th>
              <th>Last seen</th>
            </tr>
          </thead>
          <tbody>
            {workers.map((w) => (
              <tr key={w.id}>
                <td>
                  {w.host} <span className="muted">pid {w.pid}</span>
                </td>
                <td title={w.model ? `sha256 ${w.model.sha256}` : undefined}>
                  {w.model ? `${w.model.name}@${w.model.version}` : <span className="muted">none (takes no segmentation jobs)</span>}
                </td>
                <td>{w.provider}</td>
                <td className="num">{w.concurrency}</td>
                <td className="jobs-small">{when(w.startedAt)}</td>
                <td className="jobs-small">{ago(w.lastSeenAt, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

async function Queues({ caller }: { caller: Caller }) {
  let counts;
  try {
    counts = await getQueueCounts(db(), { caller });
  } catch (e) {
    return (
      <div className="card">
        <h2>Queues</h2>
        <p className="error">The job queue cannot be read: {(e as Error).message}</p>
      </div>
    );
  }
  return (
    <div className="card">
      <h2>Queues</h2>
      <table data-testid="queues">
        <thead>
          <tr>
            <th>Queue</th>
            <th className="num">Queued</th>
            <th className="num">Active</th>
            <th className="num" title="Failed jobs still retained by pg-boss">
              Failed
            </th>
            <th className="num">Jobs stored</th>
          </tr>
        </thead>
        <tbody>
          {counts.map((q) => (
            <tr key={q.name} data-queue={q.name}>
              <td title={q.name}>
                {q.model ? (
                  <>
                    <code>segmentation.run</code> · {q.model.name} <span className="muted jobs-small">{q.model.sha256.slice(0, 12)}…</span>
                  </>
                ) : (
                  <code>{q.name}</code>
                )}
              </td>
              <td className="num">{q.queued}</td>
              <td className="num">{q.active}</td>
              <td className="num">{q.failed}</td>
              <td className="num">{q.total}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted jobs-small">
        Counted in pg-boss&apos;s job table now. Segmentation runs have one queue per model version (name and sha256), taken only by workers serving that model.
        A job that exhausts its retries goes to <code>dead-letter</code>; its run is marked failed with the reason above.
      </p>
    </div>
  );
}

export default async function JobsPage({ searchParams }: { searchParams: Promise<{ status?: string }> }) {
  const caller = await requireCaller();
  if (!can(caller.role, 'jobs:view')) {
    return (
      <>
        <h1>Jobs</h1>
        <div className="card">
          <p>The {caller.role.toLowerCase()} role may not view jobs. Ask a physicist or an administrator.</p>
        </div>
      </>
    );
  }
  const raw = (await searchParams).status?.toUpperCase();
  const status = (RUN_STATUSES as readonly string[]).includes(raw ?? '') ? (raw as RunStatusName) : undefined;
  return (
    <>
      <div className="jobs-head">
        <h1>Jobs</h1>
        <AutoRefresh intervalMs={3000} />
      </div>
      <p className="muted">
        Segmentation runs of the imported studies. A failed attempt is retried automatically (3 attempts); the last failure&apos;s reason is shown here. Models
        and their hashes: <Link href="/models">Models</Link>.
      </p>
      <Suspense fallback={<p className="muted">Loading runs…</p>}>
        <RunsTable caller={caller} status={status} />
      </Suspense>
      <div className="jobs-side">
        <Suspense fallback={<p className="muted">Loading workers…</p>}>
          <Workers caller={caller} />
        </Suspense>
        <Suspense fallback={<p className="muted">Loading queues…</p>}>
          <Queues caller={caller} />
        </Suspense>
      </div>
    </>
  );
}
