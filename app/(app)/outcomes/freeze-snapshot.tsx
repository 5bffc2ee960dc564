'use client';
/**
 * "Freeze as snapshot": a title and one button under the analysis. The button shows that it is
 * working and cannot be pressed twice; on success it opens the snapshot's page.
 */
import { useState, useTransition } from 'react';
import { useRouter } from 'next/navigation';
import { freezeAnalysisSnapshot } from './snapshot-actions';

export function FreezeSnapshot({ params }: { params: string }) {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [pending, start] = useTransition();
  const router = useRouter();
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    if (pending) return;
    setError(null);
    start(async () => {
      const r = await freezeAnalysisSnapshot({ title, params });
      if (!r.ok) return setError(r.error);
      router.push(`/outcomes/snapshots/${r.id}${r.created ? '' : '?existing=1'}`);
    });
  };
  return (
    <form className="card" onSubmit={onSubmit} data-testid="freeze-snapshot" aria-busy={pending}>
      <h2 style={{ marginTop: 0 }}>Freeze as snapshot</h2>
      <p className="muted" style={{ marginTop: 0 }}>
        Stores this analysis unchangeably — the de-identified dataset as analysed, the settings, the model and code versions and every result — under a citable
        id, with a zip and an R script that reproduces every model. <a href="/outcomes/snapshots">All snapshots</a>
      </p>
      <div style={{ display: 'flex', gap: '0.75rem', alignItems: 'flex-end', flexWrap: 'wrap' }}>
        <label style={{ flex: '1 1 320px' }}>
          Title
          <input
            name="title"
            required
            maxLength={200}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            placeholder="e.g. FP volume and local failure, ESTRO abstract"
            disabled={pending}
          />
        </label>
        <button type="submit" disabled={pending || title.trim() === ''}>
          {pending ? 'Freezing…' : 'Freeze as snapshot'}
        </button>
      </div>
      {error && (
        <p className="error" role="alert" style={{ marginBottom: 0 }}>
          {error}
        </p>
      )}
    </form>
  );
}
