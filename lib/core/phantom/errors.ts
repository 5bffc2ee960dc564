/** Error codes thrown by the phantom generator. */
export type PhantomErrorCode = 'INVALID_INPUT';

/** An error with a machine-readable `code`; the message names the input and says what to check. */
export class PhantomError extends Error {
  readonly code: PhantomErrorCode;
  constructor(code: PhantomErrorCode, message: string) {
    super(message);
    this.name = 'PhantomError';
    this.code = code;
  }
}
