import { describe, expect, it } from 'vitest';
import { estimateRunEta, formatDurationApprox } from '@/lib/core/runs/estimate-run-eta';

const now = new Date('2026-12-06T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const base = { now, modelLabel: 'iseg 1.0.0', recentDurationsMs: [] as number[] };

describe('estimateRunEta', () => {
  it('a running run: elapsed time scaled by the progress left (40 % in 2 min → about 3 min)', () => {
    const e = estimateRunEta({ ...base, status: 'RUNNING', progress: 40, startedAt: minutesAgo(2) })!;
    expect(e.remainingMs).toBe(180_000);
    expect(e.text).toBe('about 3 min');
    expect(e.basis).toBe('40% done in 2 min; the remaining 60% at the same rate');
  });

  it('too little progress to extrapolate: the median of recent runs, less the time spent', () => {
    const e = estimateRunEta({ ...base, status: 'RUNNING', progress: 2, startedAt: minutesAgo(1), recentDurationsMs: [4, 5, 9].map((m) => m * 60_000) })!;
    expect(e.remainingMs).toBe(4 * 60_000);
    expect(e.text).toBe('about 4 min');
    expect(e.basis).toBe('the median run time of the last 3 succeeded runs of iseg 1.0.0 (5 min), less the 1 min already spent');
    expect(estimateRunEta({ ...base, status: 'RUNNING', progress: 2, startedAt: minutesAgo(1) })).toBeNull();
  });

  it('a queued run: the median run time of recent runs of its model, saying the queue wait is not included', () => {
    const e = estimateRunEta({ ...base, status: 'QUEUED', progress: 0, startedAt: null, recentDurationsMs: [3, 4, 5, 6].map((m) => m * 60_000) })!;
    expect(e.remainingMs).toBe(4.5 * 60_000);
    expect(e.text).toBe('about 5 min');
    expect(e.basis).toMatch(/last 4 succeeded runs of iseg 1\.0\.0 .*queue is not included/);
    expect(estimateRunEta({ ...base, status: 'QUEUED', progress: 0, startedAt: null })).toBeNull();
    expect(estimateRunEta({ ...base, status: 'SUCCEEDED', progress: 100, startedAt: minutesAgo(3), recentDurationsMs: [60_000] })).toBeNull();
  });
});

describe('formatDurationApprox', () => {
  it('rounds as a person would say it', () => {
    expect(formatDurationApprox(30_000)).toBe('under a minute');
    expect(formatDurationApprox(4.4 * 60_000)).toBe('about 4 min');
    expect(formatDurationApprox(23 * 60_000)).toBe('about 25 min');
    expect(formatDurationApprox(70 * 60_000)).toBe('about 1 h 10 min');
    expect(formatDurationApprox(120 * 60_000)).toBe('about 2 h');
  });
});
