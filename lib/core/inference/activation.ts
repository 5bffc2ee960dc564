import { InferenceError } from './errors';

/**
 * The structure's probability from stitched network outputs.
 * - sigmoid: 1 / (1 + e^(−x)) of channel `foregroundChannel`;
 * - softmax: e^(x_fg) / Σ_c e^(x_c) over the channels (max-subtracted, so large logits do not overflow);
 * - none: channel `foregroundChannel` as it is (the network outputs a probability).
 * @param stitched channel-major, `channels` × `voxels` values (SlidingWindowResult.output).
 * @param inPlace write the probabilities over the foreground channel of `stitched` (each voxel's
 *   channels are read before its value is written, so the values are the same) and return that
 *   channel's view, instead of a new array: a run's phases then allocate one volume less.
 * @returns Float32Array of `voxels` probabilities.
 * @throws InferenceError('INVALID_INPUT') when sizes or the channel index disagree.
 */
export function applyActivation(
  stitched: Float32Array,
  channels: number,
  activation: 'sigmoid' | 'softmax' | 'none',
  foregroundChannel: number,
  inPlace = false,
): Float32Array {
  // v < voxels and c < channels, with stitched of channels × voxels values, hence the `!`s.
  const voxels = stitched.length / channels;
  if (!Number.isInteger(voxels) || channels < 1)
    throw new InferenceError('INVALID_INPUT', `Activation: ${stitched.length} values do not split into ${channels} channels.`);
  if (!(Number.isInteger(foregroundChannel) && foregroundChannel >= 0 && foregroundChannel < channels))
    throw new InferenceError(
      'INVALID_INPUT',
      `Activation: foreground channel ${foregroundChannel} is not one of the ${channels} output channels; check the manifest's output.foregroundChannel.`,
    );
  if (activation === 'softmax' && channels < 2)
    throw new InferenceError(
      'INVALID_INPUT',
      `Activation: softmax over ${channels} channel gives 1 everywhere; the model needs at least 2 output channels or a sigmoid activation.`,
    );
  const fg = foregroundChannel * voxels;
  const out = inPlace ? stitched.subarray(fg, fg + voxels) : new Float32Array(voxels);
  if (activation === 'sigmoid') {
    for (let v = 0; v < voxels; v++) out[v] = 1 / (1 + Math.exp(-stitched[fg + v]!));
  } else if (activation === 'none') {
    if (!inPlace) out.set(stitched.subarray(fg, fg + voxels));
  } else {
    for (let v = 0; v < voxels; v++) {
      let max = -Infinity;
      for (let c = 0; c < channels; c++) {
        const x = stitched[c * voxels + v]!;
        if (x > max) max = x;
      }
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += Math.exp(stitched[c * voxels + v]! - max);
      out[v] = Math.exp(stitched[fg + v]! - max) / sum;
    }
  }
  return out;
}
