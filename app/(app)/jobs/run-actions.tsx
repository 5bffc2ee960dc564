'use client';
/** Cancel (queued or running) and Retry (failed or cancelled) buttons for one run. */
import { useState, useTransition } from 'react';
import { useRouter } from 'next/navigation';
import { cancelRun, retryRun, type RunActionResult } from './actions';

export function RunActions({ runId, status }: { runId: string; status: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<RunActionResult | null>(null);
  const act = (fn: (id: string) => Promise<RunActionResult>, confirmText?: string) => () => {
    if (confirmText && !window.confirm(confirmText)) return;
    start(async () => {
      const r = await fn(runId);
      setResult(r);
      router.refresh();
    });
  };
  const canCancel = status === 'QUEUED' || status === 'RUNNING';
  const canRetry = status === 'FAILED' || status === 'CANCELLED';
  return (
    <div className="jobs-actions">
      {canCancel && (
        <button
          type="button"
          className="secondary"
          disabled={pending}
          onClick={act(
            cancelRun,
            status === 'RUNNING' ? 'Cancel this running segmentation? Phases already segmented are kept with the cancelled run.' : undefined,
          )}
        >
          Cancel
        </button>
      )}
      {canRetry && (
        <button type="button" disabled={pending} onClick={act(retryRun)}>
          Retry
        </button>
      )}
      {result && (
        <span className={result.ok ? 'muted jobs-action-note' : 'error jobs-action-note'} role={result.ok ? 'status' : 'alert'}>
          {result.ok ? result.message : result.error}
        </span>
      )}
    </div>
  );
}
