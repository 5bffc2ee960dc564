/**
 * Stand-in for `iseg-qa metrics --json` until the CLI command exists: read two NIfTI masks with
 * lib/nifti, check the grids, run computeMetrics and print the JSON object. With
 * ISEG_BENCH_STAGES=1 it also prints each stage's CPU milliseconds to stderr.
 * Usage: node --import tsx bench/metrics/metrics-process.ts REF.nii.gz TEST.nii.gz [voxel,surfel]
 */
import { readMask } from '@/lib/nifti';
import { assertSameGrid, computeMetrics, type Convention } from '@/lib/core/metrics';

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const stages: Record<string, number> = { startup: cpuMs() };
let t = cpuMs();
const lap = (name: string) => {
  const now = cpuMs();
  stages[name] = Math.round(now - t);
  t = now;
};
const [refPath, testPath, conv] = process.argv.slice(2);
const reference = readMask(refPath);
lap('readReference');
const test = readMask(testPath);
lap('readTest');
assertSameGrid(reference.grid, test.grid);
const conventions = (conv ?? 'voxel,surfel').split(',') as Convention[];
const result = computeMetrics({ reference: reference.data, test: test.data, grid: reference.grid, conventions });
lap('computeMetrics');
process.stdout.write(`${JSON.stringify(result)}\n`);
if (process.env.ISEG_BENCH_STAGES) process.stderr.write(`${JSON.stringify({ cpuMs: stages, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
