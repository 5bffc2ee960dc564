import { describe, expect, it } from 'vitest';
import type { Vec3 } from '@/lib/core/volume';
import {
  backgroundHu,
  boundingRadiusMm,
  generatePatient,
  lungAt,
  PHASE_PERCENTS,
  sampleCohort,
  samplePatientSpec,
  TISSUE_HU,
  type PatientSpec,
} from '@/lib/core/phantom';

// A coarse grid with the default field of view (320 × 320 × 192 mm) keeps the test fast.
const OPTS = { dims: [48, 48, 32] as Vec3, spacingMm: [320 / 48, 320 / 48, 6] as Vec3 };

function centroidMm(mask: Uint8Array, dims: Vec3, spacing: Vec3, origin: Vec3): Vec3 {
  const [nx, ny] = dims;
  const s = [0, 0, 0];
  let c = 0;
  for (let n = 0; n < mask.length; n++) {
    if (!mask[n]) continue;
    const i = n % nx,
      j = Math.floor(n / nx) % ny,
      k = Math.floor(n / (nx * ny));
    s[0] += origin[0] + i * spacing[0];
    s[1] += origin[1] + j * spacing[1];
    s[2] += origin[2] + k * spacing[2];
    c++;
  }
  return s.map((v) => v / c) as Vec3;
}

describe('sampleCohort', () => {
  const cohort = sampleCohort({ patients: 40, seed: 'cohort-test' });
  it('gives clearly synthetic, distinct identifiers and parameters in the documented ranges', () => {
    const p = cohort.patients;
    expect(p[0].name).toBe('PHANTOM^ALPHA');
    expect(p[24].name).toBe('PHANTOM^ALPHA2');
    expect(new Set(p.map((x) => x.patientId)).size).toBe(40);
    expect(new Set(p.map((x) => x.mrn)).size).toBe(40);
    expect(new Set(p.map((x) => x.institutionId)).size).toBe(3);
    for (const x of p) {
      expect(x.birthDate).toMatch(/^19[3-7]\d[01]\d[0-3]\d$/);
      expect(x.studyDate).toMatch(/^20(1[6-9]|2[0-2])[01]\d[0-3]\d$/);
      expect(x.tumour.nominalDiameterMm).toBeGreaterThanOrEqual(10);
      expect(x.tumour.nominalDiameterMm).toBeLessThanOrEqual(50);
      expect(x.motion.amplitudeSiMm).toBeGreaterThanOrEqual(0);
      expect(x.motion.amplitudeSiMm).toBeLessThanOrEqual(20);
      // SI is the largest component of motion.
      expect(Math.abs(x.motion.peakDisplacementMm[2])).toBeGreaterThanOrEqual(Math.abs(x.motion.peakDisplacementMm[1]));
      expect(Math.abs(x.motion.peakDisplacementMm[2])).toBeGreaterThanOrEqual(Math.abs(x.motion.peakDisplacementMm[0]));
      expect(Math.abs(x.observer.biasMm)).toBeLessThanOrEqual(2);
    }
    expect(p.some((x) => x.observer.missedLobe !== null)).toBe(true);
    expect(p.some((x) => x.observer.missedLobe === null)).toBe(true);
  });

  it('is deterministic, and a patient does not depend on the cohort size', () => {
    expect(sampleCohort({ patients: 5, seed: 'cohort-test' }).patients).toEqual(cohort.patients.slice(0, 5));
    expect(samplePatientSpec('cohort-test', 7)).toEqual(cohort.patients[7]);
    expect(samplePatientSpec('other', 7)).not.toEqual(cohort.patients[7]);
    expect(() => sampleCohort({ patients: 0, seed: 1 })).toThrowError(/Cohort size 0/);
  });
});

describe('generatePatient', () => {
  // A patient with a large motion, to make the displacement checks meaningful.
  const spec: PatientSpec = (() => {
    for (let n = 0; ; n++) {
      const s = samplePatientSpec('gen-test', n);
      if (s.motion.amplitudeSiMm > 12 && s.tumour.nominalDiameterMm > 20) return s;
    }
  })();
  const p = generatePatient(spec, OPTS);
  const { grid } = p;

  it('is deterministic', () => {
    const q = generatePatient(spec, OPTS);
    for (let n = 0; n < 10; n++) {
      expect(q.phases[n].ct!.data).toEqual(p.phases[n].ct!.data);
      expect(q.phases[n].physicianGtv.data).toEqual(p.phases[n].physicianGtv.data);
    }
  });

  it('has 10 phases whose tumour centroid moves with the breathing curve', () => {
    expect(p.phases.map((ph) => ph.phasePercent)).toEqual([...PHASE_PERCENTS]);
    const exhale = centroidMm(p.phases[5].truthGtv.data, grid.dims, grid.spacingMm, grid.originMm);
    for (const ph of p.phases) {
      const c = centroidMm(ph.truthGtv.data, grid.dims, grid.spacingMm, grid.originMm);
      for (let a = 0; a < 3; a++) {
        // Voxelisation moves a centroid by well under half a voxel for a tumour this size.
        expect(Math.abs(c[a] - exhale[a] - ph.displacementMm[a])).toBeLessThan(grid.spacingMm[a] / 2);
      }
    }
    // End-inhale is the inferior extreme.
    expect(p.phases[0].displacementMm[2]).toBeCloseTo(-spec.motion.amplitudeSiMm, 9);
  });

  it('keeps the tumour inside its lung at every phase', () => {
    const lung = spec.tumour.lung === 'right' ? 0 : 1;
    const [nx, ny] = grid.dims;
    for (const ph of p.phases) {
      for (let n = 0; n < ph.truthGtv.data.length; n++) {
        if (!ph.truthGtv.data[n]) continue;
        const i = n % nx,
          j = Math.floor(n / nx) % ny,
          k = Math.floor(n / (nx * ny));
        const x = grid.originMm[0] + i * grid.spacingMm[0];
        const y = grid.originMm[1] + j * grid.spacingMm[1];
        const z = grid.originMm[2] + k * grid.spacingMm[2];
        expect(lungAt(p.anatomy, x, y, z, ph.inspirationFraction)).toBe(lung);
      }
    }
  });

  it('over 12 patients, every tumour voxel is in its lung at every phase and tumours keep their drawn size', () => {
    for (let n = 0; n < 12; n++) {
      const s = samplePatientSpec('placement', n);
      const q = generatePatient(s, { ...OPTS, renderCt: false });
      const lung = s.tumour.lung === 'right' ? 0 : 1;
      const [nx, ny] = q.grid.dims;
      for (const ph of q.phases) {
        for (let v = 0; v < ph.truthGtv.data.length; v++) {
          if (!ph.truthGtv.data[v]) continue;
          const x = q.grid.originMm[0] + (v % nx) * q.grid.spacingMm[0];
          const y = q.grid.originMm[1] + (Math.floor(v / nx) % ny) * q.grid.spacingMm[1];
          const z = q.grid.originMm[2] + Math.floor(v / (nx * ny)) * q.grid.spacingMm[2];
          expect(lungAt(q.anatomy, x, y, z, ph.inspirationFraction)).toBe(lung);
        }
      }
      // The default field of view fits every drawn tumour without shrinking.
      expect(q.tumourScale).toBe(1);
    }
  });

  it('ITVs are the unions of the per-phase GTVs, and the summary counts them', () => {
    const n = p.truthItv.data.length;
    let t = 0,
      ph = 0,
      missed = 0;
    for (let v = 0; v < n; v++) {
      const u = p.phases.some((x) => x.truthGtv.data[v] === 1) ? 1 : 0;
      const w = p.phases.some((x) => x.physicianGtv.data[v] === 1) ? 1 : 0;
      expect(p.truthItv.data[v]).toBe(u);
      expect(p.physicianItv.data[v]).toBe(w);
      t += u;
      ph += w;
      if (u && !w) missed++;
    }
    expect(p.summary.truthItvVoxels).toBe(t);
    expect(p.summary.physicianItvVoxels).toBe(ph);
    expect(p.summary.missedTumourVoxels).toBe(missed);
    expect(t).toBeGreaterThan(Math.max(...p.summary.truthGtvVoxels));
  });

  it('physician GTVs agree with the truth as inter-observer contours do (Dice 0.5–0.99), not exactly', () => {
    for (const d of p.summary.gtvDice) {
      expect(d).toBeGreaterThan(0.5);
      expect(d).toBeLessThan(0.99);
    }
  });

  it('CT: tissue values plus Gaussian noise of SD 20 HU', () => {
    const ph = p.phases[5];
    const [nx, ny, nz] = grid.dims;
    const res: number[] = [];
    // Away from the tumour and its partial-volume rim.
    const reach = boundingRadiusMm(p.tumourEllipsoids) + Math.max(...grid.spacingMm);
    const tc = ph.tumourCentreMm;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const n = i + nx * (j + ny * k);
          const x = grid.originMm[0] + i * grid.spacingMm[0];
          const y = grid.originMm[1] + j * grid.spacingMm[1];
          const z = grid.originMm[2] + k * grid.spacingMm[2];
          if (Math.abs(x - tc[0]) <= reach && Math.abs(y - tc[1]) <= reach && Math.abs(z - tc[2]) <= reach) continue;
          const bg = backgroundHu(p.anatomy, x, y, z, ph.inspirationFraction);
          if (bg === TISSUE_HU.air) continue; // clamped at −1024
          res.push(ph.ct!.data[n] - bg);
        }
    const mean = res.reduce((a, b) => a + b, 0) / res.length;
    const sd = Math.sqrt(res.reduce((a, b) => a + (b - mean) ** 2, 0) / res.length);
    // Rounding adds 1/12 HU² of variance; 5-SE tolerances.
    expect(Math.abs(mean)).toBeLessThan(5 * (20 / Math.sqrt(res.length)));
    expect(Math.abs(sd - Math.sqrt(400 + 1 / 12))).toBeLessThan(5 * (20 / Math.sqrt(2 * res.length)));
    // The tumour core is soft tissue: the voxel at the tumour centre is near 35 HU.
    const c = ph.tumourCentreMm.map((v, a) => Math.round((v - grid.originMm[a]) / grid.spacingMm[a]));
    const centreValue = ph.ct!.data[c[0] + nx * (c[1] + ny * c[2])];
    expect(Math.abs(centreValue - TISSUE_HU.tumour)).toBeLessThan(100);
    // Lung at end-inhale is darker than at exhale (more air).
    expect(backgroundHu(p.anatomy, p.anatomy.lungs[0].centreMm[0], p.anatomy.lungs[0].centreMm[1], p.anatomy.lungs[0].centreMm[2], 1)).toBe(
      TISSUE_HU.lungInhale,
    );
  });

  it('a missed lobe shows up as tumour left out of the physician ITV', () => {
    // Same patient, physician with no bias or jitter who misses lobe 1 of a two-lobe tumour.
    const lobed: PatientSpec = {
      ...spec,
      tumour: {
        ...spec.tumour,
        nominalDiameterMm: 30,
        ellipsoids: [
          { centreMm: [0, 0, 0], semiAxesMm: [12, 12, 12], rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
          { centreMm: [0, 0, 14], semiAxesMm: [6, 6, 8], rotation: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
        ],
      },
      observer: { biasMm: 0, jitterAmplitudeMm: 0, sliceJitterMm: 0, phaseBiasSdMm: 0, missedLobe: 1 },
    };
    const q = generatePatient(lobed, { ...OPTS, renderCt: false });
    expect(q.phases[0].ct).toBeNull();
    expect(q.summary.extraPhysicianVoxels).toBe(0);
    expect(q.summary.missedTumourVoxels).toBeGreaterThan(0);
    const perfect = generatePatient({ ...lobed, observer: { ...lobed.observer, missedLobe: null } }, { ...OPTS, renderCt: false });
    expect(perfect.summary.missedTumourVoxels).toBe(0);
    expect(perfect.physicianItv.data).toEqual(perfect.truthItv.data);
  });

  it('rejects a grid that is too small with a clear error', () => {
    expect(() => generatePatient(spec, { dims: [2, 48, 32] })).toThrowError(/each must be an integer ≥ 4/);
  });
});
