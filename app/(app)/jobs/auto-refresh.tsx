'use client';
/** Re-renders the server page every few seconds while the tab is visible (live progress); can be paused. */
import { useEffect, useState } from 'react';
import { useRouter } from 'next/navigation';

export function AutoRefresh({ intervalMs = 3000 }: { intervalMs?: number }) {
  const router = useRouter();
  const [on, setOn] = useState(true);
  const [last, setLast] = useState<string>('');
  useEffect(() => {
    if (!on) return;
    const id = setInterval(() => {
      if (document.visibilityState === 'visible') {
        router.refresh();
        setLast(new Date().toLocaleTimeString());
      }
    }, intervalMs);
    return () => clearInterval(id);
  }, [on, intervalMs, router]);
  return (
    <label className="jobs-refresh">
      <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} /> Refresh every {Math.round(intervalMs / 1000)} s
      {on && last && <span className="muted"> · updated {last}</span>}
    </label>
  );
}
