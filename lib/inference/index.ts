/** onnxruntime-node shell around lib/core/inference: model loading and whole-volume segmentation. */
export { loadModel, readModelManifest, releaseModels, sha256Hex, EXECUTION_PROVIDERS, type LoadedModel, type LoadModelOptions } from './load-model';
export { listModels, type ModelListing } from './list-models';
export { segmentVolume, type SegmentVolumeOptions, type SegmentVolumeResult } from './segment-volume';
export { checkExecutionProvider, checkModel, type ExecutionProvider } from './check-execution-provider';
