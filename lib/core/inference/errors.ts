/** Error codes thrown by the inference core and the onnxruntime shell (lib/inference). */
export type InferenceErrorCode =
  /** An argument (grid, array, option) is malformed; the message names it. */
  | 'INVALID_INPUT'
  /** manifest.json does not validate; the message names the field. */
  | 'INVALID_MANIFEST'
  /** The ONNX file's sha256 differs from the manifest's. */
  | 'MODEL_HASH_MISMATCH'
  /** The model file or manifest is missing or unreadable. */
  | 'MODEL_NOT_FOUND'
  /** The session's input/output names or shapes disagree with the manifest. */
  | 'MODEL_SIGNATURE_MISMATCH'
  /** The requested execution provider cannot start (never replaced by another one). */
  | 'PROVIDER_UNAVAILABLE'
  /** The predictor returned an array of the wrong size, or a session run failed. */
  | 'PREDICT_FAILED'
  /** The abort signal fired; checked between batches. */
  | 'ABORTED';

/** An error with a machine-readable `code`; the message names the input and says what to check. */
export class InferenceError extends Error {
  readonly code: InferenceErrorCode;
  constructor(code: InferenceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InferenceError';
    this.code = code;
  }
}
