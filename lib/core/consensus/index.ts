/**
 * lib/core/consensus: consensus of several observers' binary masks on one grid (pure).
 * Definitions and the checks against ITK: docs/observers.md ("Consensus").
 */
export { ConsensusError } from './errors';
export { majorityVote, voteCounts, type MajorityVoteOptions, type MajorityVoteTie } from './majority-vote';
export { staple, unionDomain, STAPLE_DEFAULT_MAX_ITERATIONS, STAPLE_MAX_OBSERVERS, STAPLE_CONVERGENCE, type StapleOptions, type StapleResult } from './staple';
