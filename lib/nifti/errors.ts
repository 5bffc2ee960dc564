/** Error codes raised by the NIfTI reader and writer. */
export type NiftiErrorCode =
  'NOT_NIFTI' | 'TRUNCATED' | 'UNSUPPORTED_DATATYPE' | 'UNSUPPORTED_DIMENSIONS' | 'INVALID_GEOMETRY' | 'NON_BINARY_MASK' | 'INVALID_INPUT';

/** A NIfTI read/write failure; `code` says which kind, the message names the file. */
export class NiftiError extends Error {
  constructor(
    readonly code: NiftiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NiftiError';
  }
}
