/**
 * Majority-vote consensus of binary observer masks on one voxel grid (a voxel is "in" for an
 * observer when its mask value is non-zero).
 *
 * A voxel is in the consensus when MORE than half of the observers have it: with n observers,
 * votes > n / 2. With an even n a voxel can have exactly n / 2 votes (e.g. 1 of 2, 2 of 4):
 * `tie: 'exclude'` (the default) leaves it out, which is the strict majority above;
 * `tie: 'include'` takes it in (votes ≥ n / 2). With an odd n there are no ties and the option
 * changes nothing. With two observers, 'exclude' gives their intersection and 'include' their union.
 * Definitions: docs/observers.md ("Consensus").
 */
import { checkMasks } from './validate';

export type MajorityVoteTie = 'include' | 'exclude';

export interface MajorityVoteOptions {
  /** What a voxel with exactly half of the votes (even observer counts only) becomes; default 'exclude'. */
  tie?: MajorityVoteTie;
}

/** Votes per voxel (how many observers have it), 0 … masks.length. */
export function voteCounts(masks: readonly Uint8Array[]): Uint8Array {
  const n = checkMasks(masks, 1, 'Vote counting');
  if (masks.length > 255) throw new RangeError(`Vote counting supports up to 255 observers, got ${masks.length}.`);
  const votes = new Uint8Array(n);
  for (const m of masks) for (let v = 0; v < n; v++) if (m[v] !== 0) votes[v]!++;
  return votes;
}

/** @returns a 0/1 mask on the same grid; throws ConsensusError for no masks or masks of different lengths. */
export function majorityVote(masks: readonly Uint8Array[], options: MajorityVoteOptions = {}): Uint8Array {
  const tie = options.tie ?? 'exclude';
  if (tie !== 'include' && tie !== 'exclude') throw new RangeError(`Majority vote tie rule must be 'include' or 'exclude', got '${String(tie)}'.`);
  const votes = voteCounts(masks);
  const k = masks.length;
  // votes > k/2  ⇔  2·votes > k; with ties included  ⇔  2·votes ≥ k.
  const out = new Uint8Array(votes.length);
  for (let v = 0; v < votes.length; v++) {
    const twice = 2 * votes[v]!;
    out[v] = twice > k || (tie === 'include' && twice === k) ? 1 : 0;
  }
  return out;
}
