'use client';
/**
 * The latest segmentation run: status, live progress (polled every 2 s while the run is queued
 * or running, or not yet created), the failure reason and attempts, and exactly which model.
 */
import { useEffect, useRef, useState } from 'react';
import type { StudyRunStatus } from '@/lib/server/studies/get-study-run-status';

const ACTIVE = new Set(['QUEUED', 'RUNNING']);

export function RunStatus({ studyId, initial, onSettled }: { studyId: string; initial: StudyRunStatus | null; onSettled: (run: StudyRunStatus) => void }) {
  const [run, setRun] = useState(initial);
  const [pollError, setPollError] = useState<string | null>(null);
  const settled = useRef(onSettled);
  settled.current = onSettled;

  useEffect(() => setRun(initial), [initial]);

  const active = !run || ACTIVE.has(run.status);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const res = await fetch(`/api/studies/${encodeURIComponent(studyId)}/status`, { cache: 'no-store' });
        const body = (await res.json()) as { run?: StudyRunStatus | null; error?: { message: string } };
        if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
        if (stopped) return;
        setPollError(null);
        setRun(body.run ?? null);
        if (body.run && !ACTIVE.has(body.run.status)) {
          settled.current(body.run);
          return;
        }
      } catch (e) {
        if (!stopped) setPollError((e as Error).message);
      }
      if (!stopped) timer = setTimeout(poll, 2000);
    };
    timer = setTimeout(poll, 2000);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, studyId]);

  if (!run) {
    return (
      <div className="viewer-run" data-testid="run-status" data-status="NONE">
        <strong>No segmentation run yet.</strong> <span className="muted">A worker segments every imported study; this updates when it starts.</span>
        {pollError && <span className="error"> ({pollError})</span>}
      </div>
    );
  }
  return (
    <div className="viewer-run" data-testid="run-status" data-status={run.status}>
      <span className={`pill pill-${run.status.toLowerCase()}`}>{run.status.toLowerCase()}</span>
      {ACTIVE.has(run.status) && (
        <span className="viewer-progress">
          <progress max={100} value={run.progress} aria-label="Run progress" /> {run.progress.toFixed(0)}%{run.stage ? ` · ${run.stage}` : ''}
        </span>
      )}
      {run.status === 'FAILED' && (
        <span className="error" role="alert">
          {run.errorCode ? `${run.errorCode}: ` : ''}
          {run.error ?? 'no reason recorded'} (after {run.attempts} attempt{run.attempts === 1 ? '' : 's'})
        </span>
      )}
      <span className="muted" data-testid="run-model" title={`sha256 ${run.model.sha256}`}>
        model {run.model.name} {run.model.version} · sha256 <code>{run.model.sha256.slice(0, 12)}…</code>
      </span>
      {run.finishedAt && <span className="muted">finished {run.finishedAt.replace('T', ' ').slice(0, 19)} UTC</span>}
      {pollError && <span className="error"> (status unavailable: {pollError})</span>}
    </div>
  );
}
