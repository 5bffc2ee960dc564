/**
 * The model manifest (`models/<name>/manifest.json`): everything needed to run an ONNX
 * segmentation model on a CT and to say afterwards exactly which model produced a mask.
 * The field-by-field description with an example is in models/README.md.
 *
 * Axis conventions (they matter, so they are in the field names):
 * - `patchSizeXyz` and `targetSpacingMm` are [x, y, z] = along the volume's i, j, k axes
 *   (i along a row, j down the columns, k across slices; see lib/core/volume.ts).
 * - `input.layout` says how the ONNX tensor orders them. 'NCDHW' means D = k (slices),
 *   H = j (rows), W = i (columns): the tensor's memory order is the volume's own index order
 *   i + nx·(j + ny·k), as for a PyTorch model trained on arrays shaped [z, y, x] (SimpleITK's
 *   GetArrayFromImage). 'NCXYZ' means the spatial axes are i, j, k in that order, as for a
 *   model trained on nibabel arrays shaped [x, y, z].
 */
import { z } from 'zod';
import { InferenceError } from './errors';

const positiveInt = z.number().int().positive();
const positiveNumber = z.number().positive().finite();
const vec3Int = z.tuple([positiveInt, positiveInt, positiveInt]);
const vec3Mm = z.tuple([positiveNumber, positiveNumber, positiveNumber]);

const normalisationSchema = z.discriminatedUnion('method', [
  /** (clipped HU − clipLow) / (clipHigh − clipLow), in [0, 1]. */
  z.object({ method: z.literal('minmax') }),
  /** (clipped HU − meanHu) / stdHu. */
  z.object({ method: z.literal('zscore'), meanHu: z.number().finite(), stdHu: positiveNumber }),
  /** Clipped HU as they are. */
  z.object({ method: z.literal('none') }),
]);

export const modelManifestSchema = z
  .object({
    schemaVersion: z.literal(1),
    /** Folder-style name, e.g. "demo". */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-" only'),
    version: z.string().min(1),
    /** What the model segments; iSeg segments the lung GTV. */
    intendedStructure: z.string().min(1),
    description: z.string().optional(),
    /** The ONNX file, a plain file name inside the model folder. */
    file: z.string().regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.onnx$/, 'a plain file name ending in .onnx, no folders'),
    /** Lower-case hex sha256 of the ONNX file's bytes. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, '64 lower-case hex digits (sha256sum of the ONNX file)'),
    input: z.object({
      /** ONNX input tensor name. */
      name: z.string().min(1),
      layout: z.enum(['NCDHW', 'NCXYZ']),
      /** Patch size in voxels of the model grid, [x, y, z] (i, j, k); see the file comment. */
      patchSizeXyz: vec3Int,
    }),
    output: z.object({
      /** ONNX output tensor name. */
      name: z.string().min(1),
      /** Applied to the stitched network output; 'none' when the network already outputs a probability. */
      activation: z.enum(['sigmoid', 'softmax', 'none']),
      /** Output channels: 1 for sigmoid/none heads, ≥ 2 for softmax. Default 1 (sigmoid/none) or 2 (softmax). */
      channels: positiveInt.optional(),
      /** Channel holding the structure's probability. Default 0 (sigmoid/none) or 1 (softmax). */
      foregroundChannel: z.number().int().nonnegative().optional(),
      /** Probability at or above which a voxel is inside the structure. */
      threshold: z.number().gt(0).lt(1),
    }),
    /** Model grid spacing in mm, [x, y, z]. */
    targetSpacingMm: vec3Mm,
    /**
     * 'native' (default): the model grid has the CT's axes. 'LPS': the CT's axes reordered and
     * flipped towards patient +L, +P, +S, so the network sees the same array whatever voxel
     * order the file used (see modelGridFor).
     */
    modelGridOrientation: z.enum(['native', 'LPS']).default('native'),
    intensity: z.object({
      /** HU window applied before normalisation, [low, high]. */
      clipHu: z.tuple([z.number().finite(), z.number().finite()]),
      normalisation: normalisationSchema,
    }),
    slidingWindow: z
      .object({
        /** Fraction of a patch shared by neighbouring windows, in [0, 1). Default 0.5. */
        overlap: z.number().min(0).lt(1).default(0.5),
        /** 'gaussian' (MONAI, sigma = sigmaScale × patch size) or 'constant' weighting. */
        mode: z.enum(['gaussian', 'constant']).default('gaussian'),
        sigmaScale: positiveNumber.default(0.125),
        /** Patches per predictor call. */
        batchSize: positiveInt.default(1),
        /** HU given to the padding where the volume is smaller than a patch. Default: clipHu[0]. */
        padHu: z.number().finite().optional(),
      })
      .prefault({}),
    postprocess: z
      .object({
        /**
         * 'all': every component; 'largest': the largest 26-connected component;
         * 'largest-and-near': the largest plus components within `nearLargestMm` of it.
         */
        keep: z.enum(['all', 'largest', 'largest-and-near']).default('largest-and-near'),
        /** For 'largest-and-near': voxel-centre distance in mm to the largest component. */
        nearLargestMm: z.number().nonnegative().finite().default(10),
        /** Components smaller than this (cc, on the native grid) are removed first, whatever `keep` says. */
        minComponentCc: z.number().nonnegative().finite().default(0),
      })
      .prefault({}),
    /** How the model was trained: data, epochs, seed, validation result. Free-form. */
    training: z.object({ notes: z.string().min(1) }).catchall(z.unknown()),
  })
  .superRefine((m, ctx) => {
    if (!(m.intensity.clipHu[0] < m.intensity.clipHu[1]))
      ctx.addIssue({ code: 'custom', path: ['intensity', 'clipHu'], message: `low (${m.intensity.clipHu[0]}) must be below high (${m.intensity.clipHu[1]})` });
    const channels = m.output.channels ?? (m.output.activation === 'softmax' ? 2 : 1);
    if (m.output.activation === 'softmax' && channels < 2)
      ctx.addIssue({ code: 'custom', path: ['output', 'channels'], message: 'softmax needs at least 2 channels' });
    const fg = m.output.foregroundChannel ?? (m.output.activation === 'softmax' ? 1 : 0);
    if (fg >= channels) ctx.addIssue({ code: 'custom', path: ['output', 'foregroundChannel'], message: `${fg} is not below the channel count ${channels}` });
  });

type ParsedManifest = z.output<typeof modelManifestSchema>;

/** A validated manifest, with channel defaults resolved. */
export type ModelManifest = Omit<ParsedManifest, 'output'> & {
  output: ParsedManifest['output'] & { channels: number; foregroundChannel: number };
};

function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

/**
 * Validate a parsed manifest.json.
 * @param json the JSON value (already `JSON.parse`d).
 * @param source a path or name used in error messages.
 * @throws InferenceError('INVALID_MANIFEST') naming every bad field (e.g. `input.patchSizeXyz[1]`).
 */
export function parseModelManifest(json: unknown, source = 'manifest.json'): ModelManifest {
  const r = modelManifestSchema.safeParse(json);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `field "${fieldPath(i.path)}": ${i.message}`);
    throw new InferenceError('INVALID_MANIFEST', `Model manifest ${source} is invalid: ${problems.join('; ')}. See models/README.md for the format.`);
  }
  const m = r.data;
  const softmax = m.output.activation === 'softmax';
  return {
    ...m,
    output: {
      ...m.output,
      channels: m.output.channels ?? (softmax ? 2 : 1),
      foregroundChannel: m.output.foregroundChannel ?? (softmax ? 1 : 0),
    },
  };
}
