/**
 * `iseg-qa metrics --reference A --test B [--label N] [--tolerance-mm 2]
 *   [--convention voxel|surfel|plastimatch|all] [--json]`
 * A and B are NIfTI masks on the same grid (reference = physician, test = machine). Fields and
 * conventions as docs/metrics.md; undefined values are null with a reason code.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs, promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { parseMaskAndSlices, readMask, type MaskAndSlices, type ReadMaskOptions } from '../../lib/nifti';
import type { Mask } from '../../lib/core/volume';
import { assertSameGrid, computeMetrics, ALL_CONVENTIONS, type Convention } from '../../lib/core/metrics';
import { describeGrid } from '../../lib/core/volume';
import { fail, printJson } from '../output';

const USAGE = `Usage: iseg-qa metrics --reference A.nii.gz --test B.nii.gz [--label N] [--tolerance-mm 2]
                       [--convention voxel|surfel|plastimatch|all] [--json]
  reference = physician mask, test = machine mask, on the same grid.
  --label N   the structure is voxel == N (otherwise any voxel > 0; non-binary masks need --label)`;

function conventionsFrom(value: string | undefined): Convention[] {
  if (!value) return ['voxel', 'surfel'];
  if (value === 'all') return [...ALL_CONVENTIONS];
  const list = value.split(',').map((s) => s.trim());
  for (const c of list) {
    if (!(ALL_CONVENTIONS as readonly string[]).includes(c)) fail(`--convention "${c}" is not one of voxel, surfel, plastimatch, all`);
  }
  return list as Convention[];
}

const gunzipAsync = promisify(gunzip);

/**
 * Both masks read and inflated at once: zlib inflates on libuv's thread pool, so the two files
 * decompress in parallel (on a 2-core machine this halves the wall time of the largest step for
 * body-sized masks). Any failure falls back to readMask, whose error names the file.
 * Each mask comes with the slices holding it, found natively (memcmp against a zero slice), so
 * that the binary check and the overlap pass read only those slices: for a GTV-sized mask on a
 * planning CT most of the 46 M voxels are in empty slices (docs/metrics.md).
 */
async function readMaskPair(a: string, b: string, options: ReadMaskOptions): Promise<[MaskAndSlices | Mask, MaskAndSlices | Mask]> {
  const inflate = async (path: string): Promise<Uint8Array | null> => {
    try {
      const raw = await readFile(path);
      if (raw.length < 18 || raw[0] !== 0x1f || raw[1] !== 0x8b) return raw;
      // The gzip trailer holds the inflated size (mod 2^32): one output chunk of that size.
      const isize = raw.readUInt32LE(raw.length - 4);
      return await gunzipAsync(raw, isize > 1024 ? { chunkSize: Math.min(isize + 64, 0x7fffffff) } : {});
    } catch {
      return null;
    }
  };
  const [ra, rb] = await Promise.all([inflate(a), inflate(b)]);
  return [ra ? parseMaskAndSlices(ra, a, options) : readMask(a, options), rb ? parseMaskAndSlices(rb, b, options) : readMask(b, options)];
}

/** The union of the two masks' slice ranges; undefined (scan every slice) when one is unknown or both are empty. */
function unionSlices(a: MaskAndSlices | Mask, b: MaskAndSlices | Mask): [number, number] | undefined {
  if (!('slices' in a) || !('slices' in b)) return undefined;
  if (!a.slices) return b.slices ?? undefined;
  if (!b.slices) return a.slices;
  return [Math.min(a.slices[0], b.slices[0]), Math.max(a.slices[1], b.slices[1])];
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined ? '—' : Number(v.toFixed(digits)).toString();
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      reference: { type: 'string' },
      test: { type: 'string' },
      label: { type: 'string' },
      'tolerance-mm': { type: 'string' },
      convention: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (!values.reference || !values.test) fail('metrics needs --reference and --test (NIfTI masks); see --help');
  const label = values.label === undefined ? undefined : Number(values.label);
  if (label !== undefined && !Number.isInteger(label)) fail(`--label "${values.label}" is not an integer`);
  const toleranceMm = values['tolerance-mm'] === undefined ? 2 : Number(values['tolerance-mm']);
  if (!(toleranceMm >= 0)) fail(`--tolerance-mm "${values['tolerance-mm']}" is not a non-negative number`);
  const conventions = conventionsFrom(values.convention);

  const [reference, test] = await readMaskPair(values.reference, values.test, { label });
  try {
    assertSameGrid(reference.grid, test.grid);
  } catch (e) {
    fail(
      `Reference mask is ${describeGrid(reference.grid)} but test mask is ${describeGrid(test.grid)}: were both rasterised on the same CT series? (${(e as Error).message.split('\n')[0]})`,
    );
  }
  const slices = unionSlices(reference, test);
  const result = computeMetrics({ reference: reference.data, test: test.data, grid: reference.grid, toleranceMm, conventions, slices });
  if (values.json) {
    printJson(result);
    return 0;
  }
  const lines = [
    `reference ${values.reference}  test ${values.test}  grid ${describeGrid(reference.grid)}`,
    `Dice ${fmt(result.dice)}  Jaccard ${fmt(result.jaccard)}  centroid shift ${fmt(result.centroidShiftMm, 2)} mm`,
    `volumes: reference ${fmt(result.referenceVolumeCc, 3)} cc (${result.referenceVoxels} vox), test ${fmt(result.testVolumeCc, 3)} cc (${result.testVoxels} vox)`,
    `false positive: ${result.falsePositiveVoxels} voxels, ${fmt(result.falsePositiveVolumeCc, 3)} cc, ${fmt(result.falsePositiveFraction)} of the test volume`,
    `false negative: ${result.falseNegativeVoxels} voxels, ${fmt(result.falseNegativeVolumeCc, 3)} cc`,
  ];
  for (const c of conventions) {
    const r = result[c] as Record<string, unknown> | undefined;
    if (!r) continue;
    lines.push(
      `${c}: ${Object.entries(r)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.map((x) => fmt(x as number)).join('/') : fmt(v as number)}`)
        .join('  ')}`,
    );
  }
  for (const [k, why] of Object.entries(result.nullReasons)) lines.push(`${k} is undefined: ${why}`);
  console.log(lines.join('\n'));
  return 0;
}
