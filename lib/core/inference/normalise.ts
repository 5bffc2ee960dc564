import { InferenceError } from './errors';
import type { ModelManifest } from './manifest';

export type IntensitySettings = ModelManifest['intensity'];

function check(s: IntensitySettings): void {
  const [lo, hi] = s.clipHu;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
    throw new InferenceError(
      'INVALID_INPUT',
      `HU clip window [${lo}, ${hi}] must be two finite numbers, low below high; check the manifest's intensity.clipHu.`,
    );
  if (s.normalisation.method === 'zscore' && !(s.normalisation.stdHu > 0))
    throw new InferenceError('INVALID_INPUT', `z-score stdHu ${s.normalisation.stdHu} must be positive; check the manifest's intensity.normalisation.`);
}

/**
 * One HU value clipped to `clipHu` and normalised: minmax → (x − low)/(high − low) in [0, 1];
 * zscore → (x − meanHu)/stdHu; none → the clipped HU. (MONAI ScaleIntensityRange with clip=True
 * for minmax; NormalizeIntensity with fixed subtrahend/divisor for zscore.)
 * @throws InferenceError('INVALID_INPUT') for an empty window or non-positive stdHu.
 */
export function normaliseHuValue(hu: number, settings: IntensitySettings): number {
  check(settings);
  return makeNormaliser(settings)(hu);
}

function makeNormaliser(s: IntensitySettings): (hu: number) => number {
  const [lo, hi] = s.clipHu;
  const n = s.normalisation;
  if (n.method === 'minmax') {
    const scale = 1 / (hi - lo);
    return (x) => ((x < lo ? lo : x > hi ? hi : x) - lo) * scale;
  }
  if (n.method === 'zscore') {
    const { meanHu, stdHu } = n;
    return (x) => ((x < lo ? lo : x > hi ? hi : x) - meanHu) / stdHu;
  }
  return (x) => (x < lo ? lo : x > hi ? hi : x);
}

/**
 * Clip and normalise HU values in place (see normaliseHuValue). NaN HU (should not occur in a
 * loaded CT) become the low end of the window, i.e. air.
 * @param values HU, any shape; overwritten with the normalised values.
 * @throws InferenceError('INVALID_INPUT') for an empty window or non-positive stdHu.
 */
export function normaliseHuInPlace(values: Float32Array, settings: IntensitySettings): Float32Array {
  check(settings);
  const f = makeNormaliser(settings);
  const lo = settings.clipHu[0];
  if (settings.normalisation.method === 'minmax') {
    // makeNormaliser's minmax, inlined (the same arithmetic, without a call per voxel).
    const hi = settings.clipHu[1];
    const scale = 1 / (hi - lo);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!; // i < values.length
      const x = v === v ? v : lo;
      values[i] = ((x < lo ? lo : x > hi ? hi : x) - lo) * scale;
    }
    return values;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!; // i < values.length
    values[i] = f(v === v ? v : lo);
  }
  return values;
}
