/**
 * Time computeMetrics on the synthetic 512×512×177 pairs, in process (no file I/O).
 * Usage: npx tsx bench/metrics/time-core.ts [runs=3] [conventions=voxel,surfel]
 * Prints one JSON line per pair: median wall time (ms) and the metrics.
 */
import { computeMetrics, type Convention } from '@/lib/core/metrics';
import { BENCH_GRID, BENCH_PAIRS, rasteriseEllipsoids } from './generate-pair';

const runs = Number(process.argv[2] ?? 3);
const conventions = (process.argv[3] ?? 'voxel,surfel').split(',') as Convention[];
for (const pair of BENCH_PAIRS) {
  const reference = rasteriseEllipsoids(BENCH_GRID, pair.reference);
  const test = rasteriseEllipsoids(BENCH_GRID, pair.test);
  const times: number[] = [];
  let result;
  for (let n = 0; n < runs; n++) {
    const t0 = performance.now();
    result = computeMetrics({ reference, test, grid: BENCH_GRID, conventions });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ pair: pair.name, conventions, runs, medianMs: Math.round(times[Math.floor(runs / 2)]), timesMs: times.map(Math.round), result }));
}
