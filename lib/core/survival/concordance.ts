/**
 * Harrell's concordance for a Cox linear predictor, counted as R's survival::concordance
 * (reverse = TRUE, timewt = "n"): a pair is comparable when the subject with the shorter time
 * had the event (a subject censored at the same time as an event counts as longer); pairs are
 * formed only within strata. C = (concordant + tied.x/2) / (concordant + discordant + tied.x).
 * O(n log n) with a Fenwick tree over the ranks of the linear predictor.
 */
import type { CoxData } from './cox-data';

export interface Concordance {
  concordant: number;
  discordant: number;
  /** Comparable pairs tied on the linear predictor. */
  tiedX: number;
  /** Pairs of events at the same time with different predictors (not comparable). */
  tiedY: number;
  /** Event pairs tied on both time and the linear predictor. */
  tiedXY: number;
  concordance: number;
}

export function concordanceFromData(d: CoxData, lp: Float64Array): Concordance {
  const { n, time, status, stratum } = d;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  let tiedXY = 0;
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && stratum[end] === stratum[start]) end++;
    // ranks of lp within the stratum (1-based, equal values share a rank)
    const idx = Array.from({ length: end - start }, (_, j) => start + j).sort((a, b) => lp[a] - lp[b]);
    const rank = new Int32Array(n);
    let r = 0;
    for (let j = 0; j < idx.length; j++) {
      if (j === 0 || lp[idx[j]] !== lp[idx[j - 1]]) r++;
      rank[idx[j]] = r;
    }
    const size = r;
    const tree = new Float64Array(size + 1);
    const add = (pos: number) => {
      for (let q = pos; q <= size; q += q & -q) tree[q] += 1;
    };
    const prefix = (pos: number) => {
      let s = 0;
      for (let q = pos; q > 0; q -= q & -q) s += tree[q];
      return s;
    };
    let inTree = 0;
    let i = end - 1;
    while (i >= start) {
      let j = i;
      while (j >= start && time[j] === time[i]) j--;
      // block (j, i]: same time; censored first join the comparison set
      for (let q = i; q > j; q--)
        if (status[q] === 0) {
          add(rank[q]);
          inTree++;
        }
      const deadRanks = new Map<number, number>();
      let ndead = 0;
      for (let q = i; q > j; q--) {
        if (status[q] !== 1) continue;
        const below = prefix(rank[q] - 1);
        const upto = prefix(rank[q]);
        concordant += below;
        tiedX += upto - below;
        discordant += inTree - upto;
        ndead++;
        deadRanks.set(rank[q], (deadRanks.get(rank[q]) ?? 0) + 1);
      }
      // R counts event pairs tied on time in tied.y only when their predictors differ
      let xy = 0;
      for (const c of deadRanks.values()) xy += (c * (c - 1)) / 2;
      tiedXY += xy;
      tiedY += (ndead * (ndead - 1)) / 2 - xy;
      for (let q = i; q > j; q--)
        if (status[q] === 1) {
          add(rank[q]);
          inTree++;
        }
      i = j;
    }
    start = end;
  }
  const total = concordant + discordant + tiedX;
  return {
    concordant,
    discordant,
    tiedX,
    tiedY,
    tiedXY,
    concordance: total > 0 ? (concordant + tiedX / 2) / total : 0.5,
  };
}
