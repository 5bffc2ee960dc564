/**
 * Time left for a segmentation run, for the jobs page. Pure.
 *
 * - A running run with some progress: the time so far scaled by the progress still to make
 *   (elapsed × (100 − p) / p), the rate the run has actually had on this machine. Below
 *   MIN_PROGRESS_PERCENT (too little to extrapolate from) it falls back to the median below,
 *   minus the time already spent.
 * - A queued run: the median run time (start to finish) of recent succeeded runs of the same
 *   model version; the wait in the queue before it starts is not included (it depends on the runs
 *   ahead and the workers).
 * Every estimate carries its basis in words, shown on hover.
 */

export const MIN_PROGRESS_PERCENT = 5;

export interface RunEtaInput {
  status: string;
  /** 0..100 */
  progress: number;
  startedAt: Date | string | null;
  now: Date;
  /** Start-to-finish durations (ms) of recent succeeded runs of this model version. */
  recentDurationsMs: readonly number[];
  /** "iseg 1.0.0", for the basis text. */
  modelLabel: string;
}

export interface RunEta {
  remainingMs: number;
  /** "about 4 min" */
  text: string;
  /** How it was estimated, in words. */
  basis: string;
}

function median(xs: readonly number[]): number | null {
  const v = xs.filter((x) => Number.isFinite(x) && x >= 0).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** "under a minute", "about 4 min", "about 25 min", "about 1 h 10 min". */
export function formatDurationApprox(ms: number): string {
  const min = ms / 60_000;
  if (min < 1) return 'under a minute';
  if (min < 10) return `about ${Math.round(min)} min`;
  if (min < 60) return `about ${Math.round(min / 5) * 5} min`;
  const total = Math.round(min / 5) * 5;
  const h = Math.floor(total / 60);
  const m = total % 60;
  return `about ${h} h${m ? ` ${m} min` : ''}`;
}

const approx = (ms: number) => formatDurationApprox(ms).replace(/^about /, '');

/** @returns null for a finished run, or when there is nothing to estimate from. */
export function estimateRunEta(i: RunEtaInput): RunEta | null {
  const med = median(i.recentDurationsMs);
  const n = i.recentDurationsMs.length;
  const medBasis = med === null ? '' : `the median run time of the last ${n} succeeded run${n === 1 ? '' : 's'} of ${i.modelLabel} (${approx(med)})`;
  if (i.status === 'RUNNING') {
    const started = i.startedAt === null ? null : new Date(i.startedAt).getTime();
    const elapsed = started === null ? null : Math.max(0, i.now.getTime() - started);
    const p = Math.min(100, Math.max(0, i.progress));
    if (elapsed !== null && p >= MIN_PROGRESS_PERCENT && p < 100) {
      const remainingMs = (elapsed * (100 - p)) / p;
      return {
        remainingMs,
        text: formatDurationApprox(remainingMs),
        basis: `${p.toFixed(0)}% done in ${approx(elapsed)}; the remaining ${(100 - p).toFixed(0)}% at the same rate`,
      };
    }
    if (med !== null) {
      const remainingMs = Math.max(0, med - (elapsed ?? 0));
      return { remainingMs, text: formatDurationApprox(remainingMs), basis: `${medBasis}, less the ${approx(elapsed ?? 0)} already spent` };
    }
    return null;
  }
  if (i.status === 'QUEUED' && med !== null)
    return { remainingMs: med, text: formatDurationApprox(med), basis: `${medBasis}, once a worker starts it (the wait in the queue is not included)` };
  return null;
}
