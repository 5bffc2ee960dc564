/**
 * Inference core: manifest, resampling to and from the model grid, HU normalisation,
 * MONAI-style sliding-window inference over an injected predictor, activation and
 * connected-component post-processing. Pure TypeScript over typed arrays: no onnxruntime
 * (that lives in lib/inference).
 */
export { InferenceError, type InferenceErrorCode } from './errors';
export { modelManifestSchema, parseModelManifest, type ModelManifest } from './manifest';
export { modelGridFor, type ModelGridOrientation } from './model-grid';
export { resampleTrilinear, resampleNearest, resampleProbabilityToMask, type ResampleOptions, type ProbabilityToMaskResult } from './resample';
export { normaliseHuInPlace, normaliseHuValue, type IntensitySettings } from './normalise';
export {
  slidingWindowInference,
  windowStarts,
  importanceMap,
  type PatchPredictor,
  type SlidingWindowOptions,
  type SlidingWindowResult,
} from './sliding-window';
export { applyActivation } from './activation';
export { labelComponents26, type ComponentLabels } from './connected-components';
export { postprocessMask, thresholdProbability, type PostprocessOptions, type PostprocessResult } from './postprocess';
export { runSegmentation, type RunSegmentationInput, type SegmentationResult, type SegmentationTimingsMs } from './run-segmentation';
