/**
 * Time computeMetrics on the synthetic 512×512×177 pairs, in process (no file I/O).
 * Usage: npx tsx bench/metrics/time-core.ts [pair=gtv|body] [conventions=voxel,surfel] [runs=1]
 * The first run is cold (as in a CLI process); prints one JSON line per run with wall and CPU
 * milliseconds and the metrics.
 */
import { computeMetrics, type Convention } from '@/lib/core/metrics';
import { BENCH_GRID, BENCH_PAIRS, rasteriseEllipsoids } from './generate-pair';

const pairName = process.argv[2] ?? 'gtv';
const conventions = (process.argv[3] ?? 'voxel,surfel').split(',') as Convention[];
const runs = Number(process.argv[4] ?? 1);
const pair = BENCH_PAIRS.find((p) => p.name === pairName);
if (!pair) throw new Error(`unknown pair ${pairName}; use ${BENCH_PAIRS.map((p) => p.name).join(' or ')}`);
const reference = rasteriseEllipsoids(BENCH_GRID, pair.reference);
const test = rasteriseEllipsoids(BENCH_GRID, pair.test);
for (let n = 0; n < runs; n++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = computeMetrics({ reference, test, grid: BENCH_GRID, conventions });
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  console.log(
    JSON.stringify({ pair: pair.name, run: n, cold: n === 0, conventions, wallMs: Math.round(wallMs), cpuMs: Math.round((c.user + c.system) / 1000), result }),
  );
}
