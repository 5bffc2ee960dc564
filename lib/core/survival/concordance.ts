/**
 * Harrell's concordance for a Cox linear predictor, counted as R's survival::concordance
 * (reverse = TRUE, timewt = "n"): a pair is comparable when the subject with the shorter time
 * had the event (a subject censored at the same time as an event counts as longer); pairs are
 * formed only within strata. C = (concordant + tied.x/2) / (concordant + discordant + tied.x).
 * O(n log n) with Fenwick trees over the ranks of the linear predictor. The standard error is
 * survival's: each subject's counts of concordant, discordant and tied pairs (as either member)
 * give the influence on Somers' d, var(C) = Σ dfbetaᵢ² / 4.
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
  /** Standard error of C (infinitesimal jackknife, as concordance()$var in survival ≥ 3). */
  std: number;
}

/**
 * @param d prepared, sorted data (prepareCoxData)
 * @param lp linear predictor per sorted subject (higher = higher risk), length d.n
 * Reference: R survival::concordance(fit) as reported by summary.coxph.
 */
export function concordanceFromData(d: CoxData, lp: Float64Array): Concordance {
  // Flat vectors and matrices (n, n×p, p×p) indexed within their loop bounds, hence the `!`s.
  const { n, time, status, stratum } = d;
  let concordant = 0;
  let discordant = 0;
  let tiedX = 0;
  let tiedY = 0;
  let tiedXY = 0;
  const rank = new Int32Array(n);
  const infC = new Float64Array(n);
  const infD = new Float64Array(n);
  const infT = new Float64Array(n);
  // event-tree snapshot at insertion: events with lower / lower-or-equal rank, and all events
  const snapLess = new Float64Array(n);
  const snapLeq = new Float64Array(n);
  const snapTot = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && stratum[end] === stratum[start]) end++;
    // ranks of lp within the stratum (1-based, equal values share a rank)
    // ranks by binary search in the natively sorted distinct values (no comparator sort)
    const sorted = lp.slice(start, end).sort();
    let r = 0;
    for (let j = 0; j < sorted.length; j++) if (j === 0 || sorted[j] !== sorted[r - 1]) sorted[r++] = sorted[j]!;
    for (let q = start; q < end; q++) {
      const v = lp[q]!;
      let lo = 0;
      let hi = r - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid]! < v) lo = mid + 1;
        else hi = mid;
      }
      rank[q] = lo + 1;
    }
    const size = r;
    const tree = new Float64Array(size + 1);
    const etree = new Float64Array(size + 1);
    const add = (pos: number) => {
      for (let q = pos; q <= size; q += q & -q) tree[q]! += 1;
    };
    const prefix = (pos: number) => {
      let s = 0;
      for (let q = pos; q > 0; q -= q & -q) s += tree[q]!;
      return s;
    };
    const eadd = (pos: number) => {
      for (let q = pos; q <= size; q += q & -q) etree[q]! += 1;
    };
    const eprefix = (pos: number) => {
      let s = 0;
      for (let q = pos; q > 0; q -= q & -q) s += etree[q]!;
      return s;
    };
    let nEvents = 0;
    const insert = (q: number) => {
      add(rank[q]!);
      snapLess[q] = eprefix(rank[q]! - 1);
      snapLeq[q] = eprefix(rank[q]!);
      snapTot[q] = nEvents;
    };
    let inTree = 0;
    let i = end - 1;
    while (i >= start) {
      let j = i;
      while (j >= start && time[j] === time[i]) j--;
      // block (j, i]: same time; censored first join the comparison set
      for (let q = i; q > j; q--)
        if (status[q] === 0) {
          insert(q);
          inTree++;
        }
      let ndead = 0;
      for (let q = i; q > j; q--) {
        if (status[q] !== 1) continue;
        const below = prefix(rank[q]! - 1);
        const upto = prefix(rank[q]!);
        concordant += below;
        tiedX += upto - below;
        discordant += inTree - upto;
        infC[q]! += below;
        infT[q]! += upto - below;
        infD[q]! += inTree - upto;
        ndead++;
      }
      // R counts event pairs tied on time in tied.y only when their predictors differ
      let xy = 0;
      if (ndead > 1) {
        const rs: number[] = [];
        for (let q = i; q > j; q--) if (status[q] === 1) rs.push(rank[q]!);
        rs.sort((x, y) => x - y);
        for (let a = 0; a < rs.length;) {
          let b = a;
          while (b < rs.length && rs[b] === rs[a]) b++;
          xy += ((b - a) * (b - a - 1)) / 2;
          a = b;
        }
      }
      tiedXY += xy;
      tiedY += (ndead * (ndead - 1)) / 2 - xy;
      // events join the event tree before their own snapshot: deaths at the same time are
      // tied on time (tied.y), not comparable pairs
      for (let q = i; q > j; q--)
        if (status[q] === 1) {
          eadd(rank[q]!);
          nEvents++;
        }
      for (let q = i; q > j; q--)
        if (status[q] === 1) {
          insert(q);
          inTree++;
        }
      i = j;
    }
    // as the longer-lived member: events that came later in this pass (earlier in time)
    for (let q = start; q < end; q++) {
      const less = eprefix(rank[q]! - 1) - snapLess[q]!;
      const leq = eprefix(rank[q]!) - snapLeq[q]!;
      const tot = nEvents - snapTot[q]!;
      infD[q]! += less;
      infT[q]! += leq - less;
      infC[q]! += tot - leq;
    }
    start = end;
  }
  const total = concordant + discordant + tiedX;
  let std = 0;
  if (total > 0) {
    const somer = (concordant - discordant) / total;
    let v = 0;
    for (let q = 0; q < n; q++) {
      const dfb = (infC[q]! - infD[q]!) / total - (somer / total) * (infC[q]! + infD[q]! + infT[q]!);
      v += dfb * dfb;
    }
    std = Math.sqrt(v / 4);
  }
  return {
    std,
    concordant,
    discordant,
    tiedX,
    tiedY,
    tiedXY,
    concordance: total > 0 ? (concordant + tiedX / 2) / total : 0.5,
  };
}
