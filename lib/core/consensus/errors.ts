/** Bad input to the consensus core (no masks, masks of different sizes, an empty or full structure for STAPLE). */
export class ConsensusError extends Error {
  readonly code = 'INVALID_INPUT' as const;
  constructor(message: string) {
    super(message);
    this.name = 'ConsensusError';
  }
}
