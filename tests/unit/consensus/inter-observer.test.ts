import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareMachineWithObservers, type StudyObserverValues } from '@/lib/core/stats/inter-observer';

// Fixture: Rscript tests/fixtures/consensus/inter-observer.R (from the repository root).
interface Cohort {
  name: string;
  studies: (Omit<StudyObserverValues, 'machineVsConsensus'> & { machineVsConsensus: number | null })[];
  n: number;
  keptIds: string[];
  machineMeans: number[];
  observerMeans: number[];
  machineMedian: number | null;
  observerMedian: number | null;
  differenceMedian: number | null;
  consensusMedian: number | null;
  nConsensus: number;
  V: number | null;
  p: number | null;
  exact: boolean;
}
const fx = JSON.parse(readFileSync(new URL('../../fixtures/consensus/inter-observer.json', import.meta.url), 'utf8')) as { cohorts: Cohort[] };
const close = (a: number | null, b: number | null) => {
  if (b === null) expect(a).toBeNull();
  else expect(Math.abs(a! - b)).toBeLessThan(1e-12);
};

describe('compareMachineWithObservers against R (mean per study, median, paired wilcox.test)', () => {
  it('has the R cohorts', () => expect(fx.cohorts.length).toBeGreaterThanOrEqual(5));
  for (const c of fx.cohorts) {
    it(c.name, () => {
      const r = compareMachineWithObservers(c.studies);
      expect(r.n).toBe(c.n);
      expect(r.studies.map((s) => s.studyId)).toEqual(c.keptIds);
      r.studies.forEach((s, i) => {
        close(s.machineVsObservers, c.machineMeans[i]!);
        close(s.observerVsObserver, c.observerMeans[i]!);
        close(s.difference, c.machineMeans[i]! - c.observerMeans[i]!);
      });
      expect(r.excluded.map((e) => e.studyId)).toEqual(c.studies.map((s) => s.studyId).filter((id) => !c.keptIds.includes(id)));
      close(r.machineVsObserversMedian, c.machineMedian);
      close(r.observerVsObserverMedian, c.observerMedian);
      close(r.differenceMedian, c.differenceMedian);
      close(r.machineVsConsensusMedian, c.consensusMedian);
      expect(r.nConsensus).toBe(c.nConsensus);
      expect(r.test).not.toBeNull();
      expect(r.test!.statistic).toBe(c.V);
      expect(r.test!.method).toBe(c.exact ? 'exact' : 'normal');
      expect(Math.abs(r.test!.p - c.p!) / c.p!).toBeLessThan(1e-9);
    });
  }

  it('says why a study is left out and why there is no test', () => {
    const r = compareMachineWithObservers([
      { studyId: 'a', machineVsObservers: [0.8], observerVsObserver: [] },
      { studyId: 'b', machineVsObservers: [], observerVsObserver: [0.7] },
    ]);
    expect(r.excluded).toEqual([
      { studyId: 'a', reason: 'fewer than two physician contours (no physician-vs-physician value)' },
      { studyId: 'b', reason: 'no machine-vs-physician value' },
    ]);
    expect(r).toMatchObject({ n: 0, test: null, machineVsObserversMedian: null, observerVsObserverMedian: null });
    expect(r.testNote).toMatch(/no study has both/);
    const same = compareMachineWithObservers([{ studyId: 'c', machineVsObservers: [0.7, 0.9], observerVsObserver: [0.8] }]);
    expect(same).toMatchObject({ n: 1, test: null, differenceMedian: 0 });
    expect(same.testNote).toMatch(/every study-level difference is zero/);
  });

  it('names the study with a non-finite value', () => {
    expect(() => compareMachineWithObservers([{ studyId: 'S-9', machineVsObservers: [0.8, Number.NaN], observerVsObserver: [0.7] }])).toThrow(
      /Study S-9: inter-observer values must be finite numbers, got NaN/,
    );
  });
});
