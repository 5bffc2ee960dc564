/**
 * The demo cohort's planned dose (lib/core/phantom/plan-dose.ts): the 95 % isodose lies the
 * plan's margin outside the physician ITV, so tight plans under-dose the tumour the physician
 * missed and generous ones cover it.
 */
import { describe, expect, it } from 'vitest';
import {
  PLAN_DOSE_MODEL,
  generatePatient,
  phantomGrid,
  phantomPlanDose,
  planDoseFraction,
  samplePatientSpec,
  samplePhantomPlan,
  underdosedMissedTumourCc,
  type PhantomPlan,
} from '@/lib/core/phantom';
import type { Mask } from '@/lib/core/volume';

const plan = (m: number): PhantomPlan => ({ prescriptionGy: 50, fractions: 5, coverageMarginMm: m, falloffSigmaMm: 3.5, tight: m < 1 });

/** A 1 mm grid with a sphere of radius r (mm) at the centre. */
function sphere(r: number): Mask {
  const grid = phantomGrid([41, 41, 41], [1, 1, 1]);
  const data = new Uint8Array(41 ** 3);
  for (let k = 0; k < 41; k++)
    for (let j = 0; j < 41; j++) for (let i = 0; i < 41; i++) if (Math.hypot(i - 20, j - 20, k - 20) <= r) data[i + 41 * (j + 41 * k)] = 1;
  return { grid, data };
}

describe('phantom plan dose', () => {
  it('is 95 % of the prescription at the margin, hot inside, and falls off outside', () => {
    for (const m of [0, 5]) {
      expect(planDoseFraction(plan(m), m)).toBeCloseTo(0.95, 9);
      expect(planDoseFraction(plan(m), m - 10)).toBeCloseTo(PLAN_DOSE_MODEL.hotFraction, 2);
      expect(planDoseFraction(plan(m), m + 3)).toBeLessThan(0.95);
      expect(planDoseFraction(plan(m), m + 30)).toBeLessThan(PLAN_DOSE_MODEL.bathFraction + 0.01);
      for (let d = 0; d < 40; d++) expect(planDoseFraction(plan(m), d + 1)).toBeLessThan(planDoseFraction(plan(m), d));
    }
  });

  it('covers the ITV with ≥ 95 % and puts the 95 % isodose the margin outside it, on a box around the ITV', () => {
    const itv = sphere(6);
    for (const m of [0, 4]) {
      const dose = phantomPlanDose(itv, plan(m), { cropMarginMm: 10 });
      // Box: ITV bounding box (14..26) ± 10 voxels, on the ITV's lattice.
      expect(dose.grid.dims).toEqual([33, 33, 33]);
      expect(dose.grid.originMm).toEqual([-16, -16, -16]);
      const at = (i: number, j: number, k: number) => dose.data[i - 4 + 33 * (j - 4 + 33 * (k - 4))]!;
      expect(at(20, 20, 20)).toBeCloseTo(50 * PLAN_DOSE_MODEL.hotFraction, 0);
      expect(at(26, 20, 20)).toBeGreaterThan(0.95 * 50); // ITV edge voxel (1 mm inside)
      if (m > 0) expect(at(26 + m, 20, 20)).toBeCloseTo(0.95 * 50, 4); // m mm outside
      expect(at(27 + m, 20, 20)).toBeLessThan(0.95 * 50);
    }
  });

  it('counts missed tumour below 95 %: all of it for a tight plan, none within a generous margin', () => {
    const physician = sphere(6);
    const truth = sphere(8); // 2 mm the physician missed all round
    const missed = truth.data.reduce((a, v, n) => a + (v && !physician.data[n] ? 1 : 0), 0);
    const tight = phantomPlanDose(physician, plan(0));
    const generous = phantomPlanDose(physician, plan(4));
    expect(underdosedMissedTumourCc({ truthItv: truth, physicianItv: physician, dose: tight, prescriptionGy: 50 })).toBeCloseTo(missed / 1000, 9);
    expect(underdosedMissedTumourCc({ truthItv: truth, physicianItv: physician, dose: generous, prescriptionGy: 50 })).toBe(0);
  });

  it('draws tight and generous plans deterministically; a generous margin is at least one voxel on a coarse grid', () => {
    const plans = Array.from({ length: 40 }, (_, n) => samplePhantomPlan(`iseg-demo/patient/${n}`));
    expect(samplePhantomPlan('iseg-demo/patient/3')).toEqual(plans[3]);
    expect(plans.some((p) => p.tight)).toBe(true);
    expect(plans.some((p) => !p.tight)).toBe(true);
    for (const p of plans) {
      if (p.tight) expect(Math.abs(p.coverageMarginMm)).toBeLessThanOrEqual(0.5);
      else expect(p.coverageMarginMm).toBeGreaterThanOrEqual(4);
      expect(PLAN_DOSE_MODEL.schemes.some((s) => s.prescriptionGy === p.prescriptionGy && s.fractions === p.fractions)).toBe(true);
    }
    const coarse = plans.map((_, n) => samplePhantomPlan(`iseg-demo/patient/${n}`, [10, 10, 12]));
    coarse.forEach((p, n) => (p.tight ? expect(p).toEqual(plans[n]) : expect(p.coverageMarginMm).toBeGreaterThanOrEqual(12.6)));
  });

  it("a demo patient's dose covers its physician ITV", () => {
    const spec = samplePatientSpec('iseg-demo', 5);
    const p = generatePatient(spec, { dims: [48, 48, 24], spacingMm: [6.67, 6.67, 8], renderCt: false });
    const pl = samplePhantomPlan(spec.seed, p.grid.spacingMm);
    const dose = phantomPlanDose(p.physicianItv, pl);
    const cc = underdosedMissedTumourCc({
      truthItv: p.physicianItv,
      physicianItv: { ...p.physicianItv, data: new Uint8Array(p.physicianItv.data.length) },
      dose,
      prescriptionGy: pl.prescriptionGy,
    });
    // Every physician ITV voxel (taken as "missed" against an empty ITV here) is at ≥ 95 %.
    expect(cc).toBe(0);
    expect(p.summary.physicianItvVoxels).toBeGreaterThan(0);
  });
});
