'use client';
/** "Segment all studies without a run for this model" (administrators). */
import { useState, useTransition } from 'react';
import { useRouter } from 'next/navigation';
import Link from 'next/link';
import { segmentAllWithModel, type SegmentAllResult } from './actions';

export function SegmentAllButton({ folder, label }: { folder: string; label: string }) {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [result, setResult] = useState<SegmentAllResult | null>(null);
  return (
    <div className="models-action">
      <button
        type="button"
        disabled={pending}
        onClick={() => {
          if (!window.confirm(`Queue a segmentation run with ${label} for every study that has no run of it yet?`)) return;
          start(async () => {
            setResult(await segmentAllWithModel(folder));
            router.refresh();
          });
        }}
      >
        {pending ? 'Queueing…' : 'Segment all studies without a run for this model'}
      </button>
      {result && (
        <p className={result.ok ? 'muted' : 'error'} role={result.ok ? 'status' : 'alert'}>
          {result.ok ? result.message : result.error} {result.ok && <Link href="/jobs">Jobs</Link>}
        </p>
      )}
    </div>
  );
}
