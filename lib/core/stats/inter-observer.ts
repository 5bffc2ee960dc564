/**
 * Machine against physicians, judged against the physicians' own disagreement (inter-observer
 * baseline), for studies with two or more physician contours of a structure.
 *
 * Per study: the machine-vs-physician value is the mean over the physicians (one value per
 * physician, e.g. Dice of the machine ITV against each physician's ITV); the
 * physician-vs-physician value is the mean over the physician pairs (one value per unordered pair).
 * A study takes part when it has at least one of each (i.e. two or more physicians). Over the
 * studies that take part: n, the medians (R type 7, as R's median) of both study-level values and
 * of their difference (machine − physicians), the median machine-vs-consensus value where given,
 * and R's paired wilcox.test(machine, physicians, paired = TRUE) on the study-level values
 * (lib/core/stats/wilcoxon-signed-rank.ts). The metric is any per-study number (Dice, HD95 …);
 * nothing here assumes higher is better. Checked against R: tests/unit/consensus/inter-observer.test.ts.
 * Definitions: docs/observers.md ("Consensus").
 */
import { median } from './quantile';
import { wilcoxonSignedRank } from './wilcoxon-signed-rank';

export interface StudyObserverValues {
  studyId: string;
  /** One value per physician: the machine against that physician. */
  machineVsObservers: readonly number[];
  /** One value per unordered physician pair: physician against physician. */
  observerVsObserver: readonly number[];
  /** The machine against the observers' consensus (majority vote or STAPLE), when computed. */
  machineVsConsensus?: number | null;
}

export interface StudyObserverSummary {
  studyId: string;
  /** Mean of machineVsObservers. */
  machineVsObservers: number;
  /** Mean of observerVsObserver. */
  observerVsObserver: number;
  /** machineVsObservers − observerVsObserver. */
  difference: number;
  machineVsConsensus: number | null;
  /** How many physician values and pairs the means are over. */
  nObservers: number;
  nPairs: number;
}

export interface InterObserverTest {
  method: 'exact' | 'normal';
  /** R's V: sum of the ranks of the positive differences machine − physicians. */
  statistic: number;
  p: number;
  /** Studies with a non-zero difference (the ones the test uses). */
  n: number;
  nZeros: number;
}

export interface InterObserverSummary {
  /** The studies that take part, in input order. */
  studies: StudyObserverSummary[];
  /** Studies left out, each with why. */
  excluded: { studyId: string; reason: string }[];
  n: number;
  machineVsObserversMedian: number | null;
  observerVsObserverMedian: number | null;
  differenceMedian: number | null;
  machineVsConsensusMedian: number | null;
  /** Studies with a machine-vs-consensus value. */
  nConsensus: number;
  /** Null when no study takes part or every difference is zero; `testNote` says which. */
  test: InterObserverTest | null;
  testNote: string | null;
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function medianOf(values: readonly number[]): number | null {
  return values.length ? median(Float64Array.from(values).sort()) : null;
}

/** @throws RangeError naming the study for a non-finite value. */
export function compareMachineWithObservers(studies: readonly StudyObserverValues[]): InterObserverSummary {
  const kept: StudyObserverSummary[] = [];
  const excluded: { studyId: string; reason: string }[] = [];
  for (const s of studies) {
    const bad = [...s.machineVsObservers, ...s.observerVsObserver, ...(s.machineVsConsensus == null ? [] : [s.machineVsConsensus])].find(
      (v) => !Number.isFinite(v),
    );
    if (bad !== undefined) throw new RangeError(`Study ${s.studyId}: inter-observer values must be finite numbers, got ${bad}; check its metric rows.`);
    if (s.machineVsObservers.length === 0 || s.observerVsObserver.length === 0) {
      excluded.push({
        studyId: s.studyId,
        reason: s.observerVsObserver.length === 0 ? 'fewer than two physician contours (no physician-vs-physician value)' : 'no machine-vs-physician value',
      });
      continue;
    }
    const m = mean(s.machineVsObservers);
    const o = mean(s.observerVsObserver);
    kept.push({
      studyId: s.studyId,
      machineVsObservers: m,
      observerVsObserver: o,
      difference: m - o,
      machineVsConsensus: s.machineVsConsensus ?? null,
      nObservers: s.machineVsObservers.length,
      nPairs: s.observerVsObserver.length,
    });
  }
  const consensus = kept.flatMap((s) => (s.machineVsConsensus === null ? [] : [s.machineVsConsensus]));
  let test: InterObserverTest | null = null;
  let testNote: string | null = null;
  if (kept.length === 0) testNote = 'no study has both a machine-vs-physician and a physician-vs-physician value';
  else if (kept.every((s) => s.difference === 0)) testNote = 'every study-level difference is zero: the signed-rank test is undefined';
  else {
    const r = wilcoxonSignedRank(
      kept.map((s) => s.machineVsObservers),
      kept.map((s) => s.observerVsObserver),
    );
    test = { method: r.method, statistic: r.statistic, p: r.p, n: r.n, nZeros: r.nZeros };
  }
  return {
    studies: kept,
    excluded,
    n: kept.length,
    machineVsObserversMedian: medianOf(kept.map((s) => s.machineVsObservers)),
    observerVsObserverMedian: medianOf(kept.map((s) => s.observerVsObserver)),
    differenceMedian: medianOf(kept.map((s) => s.difference)),
    machineVsConsensusMedian: medianOf(consensus),
    nConsensus: consensus.length,
    test,
    testNote,
  };
}
