/**
 * Stand-in for `iseg-qa metrics --json` until the CLI command exists: read two NIfTI masks with
 * lib/nifti, check the grids, run computeMetrics and print the JSON object.
 * Usage: node --import tsx bench/metrics/metrics-process.ts REF.nii.gz TEST.nii.gz [voxel,surfel]
 */
import { readMask } from '@/lib/nifti';
import { assertSameGrid, computeMetrics, type Convention } from '@/lib/core/metrics';

const [refPath, testPath, conv] = process.argv.slice(2);
const reference = readMask(refPath);
const test = readMask(testPath);
assertSameGrid(reference.grid, test.grid);
const conventions = (conv ?? 'voxel,surfel').split(',') as Convention[];
const result = computeMetrics({ reference: reference.data, test: test.data, grid: reference.grid, conventions });
process.stdout.write(`${JSON.stringify(result)}\n`);
