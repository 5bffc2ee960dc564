/** Bad input to the dose core (a grid whose data does not fit, a prescription that is not positive). */
export class DoseError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'DoseError';
  }
}
