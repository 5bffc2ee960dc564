/** Error codes thrown by the metrics core. */
export type MetricsErrorCode = 'INVALID_INPUT';

/** An error with a machine-readable `code`; the message names the input and says what to check. */
export class MetricsError extends Error {
  readonly code: MetricsErrorCode;
  constructor(code: MetricsErrorCode, message: string) {
    super(message);
    this.name = 'MetricsError';
    this.code = code;
  }
}

/** Why a metric is `null` at the JSON/database boundary. */
export type NullReason = 'BOTH_EMPTY' | 'REFERENCE_EMPTY' | 'TEST_EMPTY';
