/** Bad input to the statistical process control core (too few baseline points, σ = 0, a parameter out of range). */
export class SpcError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'SpcError';
  }
}
