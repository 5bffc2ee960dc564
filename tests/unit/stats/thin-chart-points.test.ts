/**
 * Which studies the cohort charts draw above CHART_POINTS_ALL (lib/core/stats/thin-chart-points.ts):
 * all of them up to the limit; above it one per grid cell of each chart, isolated studies kept,
 * the choice independent of row order.
 */
import { describe, expect, it } from 'vitest';
import { thinChartPoints, type ChartPointInput } from '@/lib/core/stats/thin-chart-points';
import { pageLinks } from '@/lib/core/page-links';

function cohort(n: number): ChartPointInput[] {
  let s = 7;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => ({
    id: `s${String(i).padStart(6, '0')}`,
    institution: ['A', 'B', 'C'][i % 3],
    itvDice: 0.7 + 0.1 * rnd(),
    physicianItvCc: 20 + 10 * rnd(),
    machineItvCc: 20 + 10 * rnd(),
    motionMm: 5 + 2 * rnd(),
  }));
}

describe('thinChartPoints', () => {
  it('keeps every study up to the limit', () => {
    const r = thinChartPoints(cohort(100), { maxAll: 100, grid: [10, 10] });
    expect(r.keep).toBeNull();
    expect(r.thinning).toEqual({ drawn: 100, of: 100, grid: null });
  });

  it('above the limit: at most one study per cell of each chart, the isolated ones all kept, independent of row order', () => {
    const points = cohort(20000);
    const outliers: ChartPointInput[] = [
      { id: 'z-low-dice', institution: 'B', itvDice: 0.05, physicianItvCc: 25, machineItvCc: 25, motionMm: 6 },
      { id: 'z-huge', institution: 'A', itvDice: 0.75, physicianItvCc: 900, machineItvCc: 20, motionMm: 6 },
      { id: 'z-moving', institution: 'C', itvDice: 0.75, physicianItvCc: 25, machineItvCc: 25, motionMm: 40 },
      { id: 'z-null', institution: 'C', itvDice: null, physicianItvCc: null, machineItvCc: null, motionMm: null },
    ];
    const all = [...points, ...outliers];
    const grid = [12, 8] as const;
    const r = thinChartPoints(all, { maxAll: 1000, grid });
    expect(r.keep).not.toBeNull();
    const kept = all.filter((_, i) => r.keep![i]);
    // Strip (3 institutions × 8 bins) + three 12 × 8 planes at most.
    expect(kept.length).toBeLessThanOrEqual(3 * 8 + 3 * 12 * 8);
    expect(kept.length).toBeGreaterThan(6);
    expect(r.thinning).toEqual({ drawn: kept.length, of: all.length, grid });
    for (const o of ['z-low-dice', 'z-huge', 'z-moving']) expect(kept.map((p) => p.id)).toContain(o);
    expect(kept.map((p) => p.id)).not.toContain('z-null');
    const reversed = [...all].reverse();
    const r2 = thinChartPoints(reversed, { maxAll: 1000, grid });
    expect(
      reversed
        .filter((_, i) => r2.keep![i])
        .map((p) => p.id)
        .sort(),
    ).toEqual(kept.map((p) => p.id).sort());
  });
});

describe('pageLinks', () => {
  it('links the first, the last and two either side of the current page, with gaps', () => {
    expect(pageLinks(1, 1)).toEqual([]);
    expect(pageLinks(1, 3)).toEqual([1, 2, 3]);
    expect(pageLinks(6, 1000)).toEqual([1, null, 4, 5, 6, 7, 8, null, 1000]);
    expect(pageLinks(1000, 1000)).toEqual([1, null, 998, 999, 1000]);
  });
});
