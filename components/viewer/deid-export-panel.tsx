'use client';
/**
 * "Prepare de-identified export" on the study page (#16 item 7): queues the export as a job
 * (POST /api/studies/[id]/export/deid/jobs; a second click, or another tab, gets the same export
 * while it is queued or running), shows its state and progress (files written / total, polled
 * every 1.5 s while queued or running, as the run status is), then a Download link with the zip's
 * size, sha256, who requested it and when, and when it expires. Shows the caller's own latest
 * export of this study (a prepared export is its requester's only: docs/security.md).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DeidExportView } from '@/lib/server/exports/deid-export-view';

const ACTIVE = new Set(['QUEUED', 'RUNNING']);

function when(iso: string | null): string {
  return iso ? `${iso.replace('T', ' ').slice(0, 16)} UTC` : '';
}

function size(bytes: number | null): string {
  if (bytes === null) return '';
  return bytes >= 1048576 ? `${(bytes / 1048576).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

export function DeidExportPanel({ studyId }: { studyId: string }) {
  const [latest, setLatest] = useState<DeidExportView | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const busy = useRef(false);
  const base = `/api/studies/${encodeURIComponent(studyId)}/export/deid/jobs`;

  const refresh = useCallback(async () => {
    const res = await fetch(base, { cache: 'no-store' });
    const body = (await res.json()) as { exports?: DeidExportView[]; error?: { message: string } };
    if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
    setLatest(body.exports?.[0] ?? null);
    setLoaded(true);
  }, [base]);

  useEffect(() => {
    refresh().catch((e: Error) => {
      setError(e.message);
      setLoaded(true);
    });
  }, [refresh]);

  const active = latest !== null && ACTIVE.has(latest.state);
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        await refresh();
        if (!stopped) setError(null);
      } catch (e) {
        if (!stopped) setError(`status unavailable: ${(e as Error).message}`);
      }
      if (!stopped) timer = setTimeout(poll, 1500);
    };
    timer = setTimeout(poll, 1500);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, refresh]);

  const prepare = async () => {
    if (busy.current) return;
    busy.current = true;
    setPending(true);
    setError(null);
    try {
      const res = await fetch(base, { method: 'POST' });
      const body = (await res.json()) as { export?: DeidExportView; error?: { message: string } };
      if (!res.ok || !body.export) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
      setLatest(body.export);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      busy.current = false;
      setPending(false);
    }
  };

  const e = latest;
  return (
    <div className="deid-export" data-testid="deid-export" data-state={e?.state ?? 'NONE'}>
      <button
        type="button"
        className="button"
        onClick={() => void prepare()}
        disabled={pending || active || !loaded}
        aria-busy={pending || active || undefined}
        data-testid="deid-prepare"
      >
        {pending ? 'Queueing the export…' : active ? 'Preparing the de-identified export…' : 'Prepare de-identified export (DICOM zip)'}
      </button>
      {e && ACTIVE.has(e.state) && (
        <span className="viewer-progress" data-testid="deid-progress">
          {' '}
          <progress max={e.filesTotal ?? 1} value={e.filesTotal ? e.filesDone : undefined} aria-label="Export progress" />{' '}
          {e.state === 'QUEUED' ? 'queued, waiting for a worker' : `${e.filesDone} of ${e.filesTotal ?? '?'} files written`}
          {e.attempts > 1 ? ` (attempt ${e.attempts})` : ''}
        </span>
      )}
      {e?.state === 'READY' && e.downloadUrl && (
        <p data-testid="deid-ready">
          <a className="button" href={e.downloadUrl} download={e.fileName ?? undefined} data-testid="deid-download">
            Download {e.fileName}
          </a>{' '}
          <span className="muted">
            {size(e.sizeBytes)} · sha256 <code title={e.sha256 ?? ''}>{e.sha256?.slice(0, 12)}…</code> · requested by {e.requestedByEmail} at{' '}
            {when(e.requestedAt)} · ready {when(e.readyAt)} · deleted after {when(e.expiresAt)}
          </span>
        </p>
      )}
      {e?.state === 'FAILED' && (
        <p className="error" role="alert" data-testid="deid-failed">
          The export failed: {e.error ?? 'no reason recorded'}
        </p>
      )}
      {e?.state === 'EXPIRED' && <p className="muted">Your last export of this study expired at {when(e.expiresAt)} and was deleted; prepare it again.</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
