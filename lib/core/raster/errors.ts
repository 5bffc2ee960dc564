/** Error codes raised by the contour rasteriser and the mask-to-contour tracer. */
export type RasterErrorCode = 'INVALID_INPUT';

/** A rasterisation failure on malformed input; the message names the input and what to check. */
export class RasterError extends Error {
  constructor(
    readonly code: RasterErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RasterError';
  }
}
