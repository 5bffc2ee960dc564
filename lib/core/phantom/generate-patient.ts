/**
 * One synthetic 4D CT lung patient: a CT volume per respiratory phase, the ground-truth tumour
 * mask per phase, the simulated physician GTV per phase and the physician ITV (their union).
 * Pure and deterministic: equal (spec, options) give identical arrays.
 */
import type { Grid, Mask, Vec3, Volume } from '@/lib/core/volume';
import { applyScannerReconstruction } from './scanner';
import { buildAnatomy, lungAt, renderCtPhase, tumourMask, type Anatomy } from './anatomy';
import { breathingFraction, PHASE_PERCENTS } from './breathing';
import type { PatientSpec } from './cohort';
import { PhantomError } from './errors';
import { physicianMask, sampleJitterField } from './observer';
import { createRng } from './prng';
import { boundingRadiusMm, scaleTumour, surfaceSamplesMm, type Ellipsoid } from './tumour';

export interface GeneratePatientOptions {
  /** Voxels [nx, ny, nz]; default [128, 128, 64]. */
  dims?: Vec3;
  /** Spacing (mm); default [2.5, 2.5, 3]. */
  spacingMm?: Vec3;
  /** Gaussian image noise SD (HU); default 20. */
  noiseSigmaHu?: number;
  /** Phase percents; default 0, 10, …, 90. */
  phasePercents?: readonly number[];
  /** Render the CT images (default true); false gives masks only (faster). */
  renderCt?: boolean;
}

export interface PhantomPhase {
  phasePercent: number;
  /** 0 at end-exhale, 1 at end-inhale. */
  inspirationFraction: number;
  /** Tumour displacement from its exhale position, mm (LPS). */
  displacementMm: Vec3;
  tumourCentreMm: Vec3;
  /** HU; null when rendering was switched off. */
  ct: Volume<Int16Array> | null;
  truthGtv: Mask;
  physicianGtv: Mask;
  /** The second observer's GTV (spec.secondObserver), else absent. */
  secondObserverGtv?: Mask;
}

export interface PhantomSummary {
  truthGtvVoxels: number[];
  physicianGtvVoxels: number[];
  /** Dice of physician vs truth per phase. */
  gtvDice: number[];
  truthItvVoxels: number;
  physicianItvVoxels: number;
  /** Tumour voxels (truth ITV) the physician ITV leaves out. */
  missedTumourVoxels: number;
  /** Physician ITV voxels outside the truth ITV. */
  extraPhysicianVoxels: number;
  truthItvCc: number;
  physicianItvCc: number;
}

export interface PhantomPatient {
  spec: PatientSpec;
  grid: Grid;
  anatomy: Anatomy;
  /** Tumour size factor applied so it fits in the lung at every phase (1 = as drawn). */
  tumourScale: number;
  tumourEllipsoids: Ellipsoid[];
  /** Tumour reference point at end-exhale, mm (LPS). */
  tumourExhaleCentreMm: Vec3;
  phases: PhantomPhase[];
  truthItv: Mask;
  physicianItv: Mask;
  /** The second observer's ITV (union of its GTVs), when spec.secondObserver is set. */
  secondObserverItv?: Mask;
  summary: PhantomSummary;
}

/** Axial grid centred on the patient origin: identity direction, voxel (0,0,0) at −(n−1)/2·s. */
export function phantomGrid(dims: Vec3, spacingMm: Vec3): Grid {
  for (const n of [0, 1, 2] as const) {
    if (!Number.isInteger(dims[n]) || dims[n] < 4) {
      throw new PhantomError('INVALID_INPUT', `Phantom dims ${dims.join('×')}: each must be an integer ≥ 4.`);
    }
    if (!(spacingMm[n] > 0)) {
      throw new PhantomError('INVALID_INPUT', `Phantom spacing ${spacingMm.join('×')} mm: each must be > 0.`);
    }
  }
  return {
    dims: [...dims],
    spacingMm: [...spacingMm],
    originMm: ([0, 1, 2] as const).map((n) => (-(dims[n] - 1) / 2) * spacingMm[n]) as Vec3,
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  };
}

function fits(anatomy: Anatomy, grid: Grid, lung: number, centre: Vec3, samples: Vec3[], displacements: Vec3[], fractions: number[]): boolean {
  // hi has one entry per axis; p < phases = displacements.length = fractions.length, hence the `!`s.
  const lo = grid.originMm;
  const hi = [0, 1, 2].map((n) => grid.originMm[n]! + (grid.dims[n]! - 1) * grid.spacingMm[n]!);
  for (let p = 0; p < displacements.length; p++) {
    const d = displacements[p]!;
    for (const s of samples) {
      const x = centre[0] + d[0] + s[0],
        y = centre[1] + d[1] + s[1],
        z = centre[2] + d[2] + s[2];
      if (x < lo[0] || y < lo[1] || z < lo[2] || x > hi[0]! || y > hi[1]! || z > hi[2]!) return false;
      if (lungAt(anatomy, x, y, z, fractions[p]!) !== lung) return false;
    }
  }
  return true;
}

/** Surface samples pushed `marginMm` outward from each ellipsoid's centre. */
function inflatedSamples(ellipsoids: Ellipsoid[], marginMm: number): Vec3[] {
  // r has one entry per axis, hence the `!`s.
  const out: Vec3[] = [];
  for (const e of ellipsoids) {
    for (const s of surfaceSamplesMm([e])) {
      const r = [s[0] - e.centreMm[0], s[1] - e.centreMm[1], s[2] - e.centreMm[2]];
      const len = Math.hypot(r[0]!, r[1]!, r[2]!) || 1;
      out.push([s[0] + (r[0]! / len) * marginMm, s[1] + (r[1]! / len) * marginMm, s[2] + (r[2]! / len) * marginMm]);
    }
  }
  return out;
}

function count(a: Uint8Array): number {
  let c = 0;
  for (const x of a) c += x;
  return c;
}

/**
 * Generate the images and masks of one patient. The tumour is placed at a random point of the
 * chosen lung where it stays ≥ 3 mm inside that lung at every phase; if no place is found after
 * 300 tries it is shrunk by 15% and placed again (`tumourScale` reports the factor).
 * Assumptions: axial grid with identity direction (made by `phantomGrid`).
 * @throws PhantomError INVALID_INPUT for bad dims/spacing, or when the tumour cannot be placed
 *   even at 5% of its size (field of view far too small).
 */
export function generatePatient(spec: PatientSpec, options: GeneratePatientOptions = {}): PhantomPatient {
  // Per-phase arrays have one entry per phase, masks are indexed below their length, and the tumour has at least one ellipsoid, hence the `!`s.
  const grid = phantomGrid(options.dims ?? [128, 128, 64], options.spacingMm ?? [2.5, 2.5, 3]);
  const percents = options.phasePercents ?? PHASE_PERCENTS;
  const noise = options.noiseSigmaHu ?? 20;
  const root = createRng(spec.seed);
  const anatomy = buildAnatomy(grid, spec.bodyScale, spec.motion.diaphragmExcursionMm);
  const lung = spec.tumour.lung === 'right' ? 0 : 1;
  const fractions = percents.map((p) => breathingFraction(p, spec.motion.lujanN));
  const displacements = fractions.map((f) => spec.motion.peakDisplacementMm.map((v) => v * f) as Vec3);

  const place = root.fork('placement');
  let scale = 1;
  let ellipsoids = spec.tumour.ellipsoids;
  let centre: Vec3 | null = null;
  const L = anatomy.lungs[lung];
  while (centre === null) {
    const samples = inflatedSamples(ellipsoids, 3);
    for (let attempt = 0; attempt < 300 && centre === null; attempt++) {
      let u: number, v: number, w: number;
      do {
        u = place.uniform(-1, 1);
        v = place.uniform(-1, 1);
        w = place.uniform(-1, 1);
      } while (u * u + v * v + w * w > 1);
      const c: Vec3 = [
        L.centreMm[0] + u * L.semiAxesXyMm[0],
        L.centreMm[1] + v * L.semiAxesXyMm[1],
        L.centreMm[2] + w * (w >= 0 ? L.superiorMm : L.inferiorMm),
      ];
      if (fits(anatomy, grid, lung, c, samples, displacements, fractions)) centre = c;
    }
    if (centre === null) {
      scale *= 0.85;
      if (scale < 0.05) {
        throw new PhantomError(
          'INVALID_INPUT',
          `Patient ${spec.patientId}: the tumour does not fit in the ${spec.tumour.lung} lung on a ${grid.dims.join('×')} grid at ${grid.spacingMm.join('×')} mm; use a larger field of view.`,
        );
      }
      ellipsoids = scaleTumour({ ellipsoids: spec.tumour.ellipsoids, nominalDiameterMm: 1 }, scale).ellipsoids;
    }
  }
  const radius = boundingRadiusMm(ellipsoids);
  const perceived = ellipsoids.filter((_, n) => n !== spec.observer.missedLobe);
  const nvox = grid.dims[0] * grid.dims[1] * grid.dims[2];
  const truthItv = new Uint8Array(nvox);
  const physicianItv = new Uint8Array(nvox);
  const second = spec.secondObserver;
  const secondItv = second ? new Uint8Array(nvox) : null;
  const phases: PhantomPhase[] = [];
  const summary: PhantomSummary = {
    truthGtvVoxels: [],
    physicianGtvVoxels: [],
    gtvDice: [],
    truthItvVoxels: 0,
    physicianItvVoxels: 0,
    missedTumourVoxels: 0,
    extraPhysicianVoxels: 0,
    truthItvCc: 0,
    physicianItvCc: 0,
  };
  for (let p = 0; p < percents.length; p++) {
    const d = displacements[p]!;
    const tc: Vec3 = [centre[0] + d[0], centre[1] + d[1], centre[2] + d[2]];
    const truth = tumourMask(grid, ellipsoids, tc, radius);
    const obs = root.fork(`observer/${percents[p]}`);
    const slices = new Float64Array(grid.dims[2]);
    for (let k = 0; k < slices.length; k++) slices[k] = spec.observer.sliceJitterMm * obs.normal();
    const phys = physicianMask({
      grid,
      perceived,
      centreMm: tc,
      boundingRadiusMm: radius,
      biasMm: spec.observer.biasMm + spec.observer.phaseBiasSdMm * obs.normal(),
      field: sampleJitterField(obs, spec.observer.jitterAmplitudeMm),
      sliceOffsetsMm: slices,
      // Erode at most 35% of the main body's smallest semi-axis.
      minMarginMm: -0.35 * Math.min(...ellipsoids[0]!.semiAxesMm),
    });
    let phys2: Uint8Array | undefined;
    if (second && secondItv) {
      // Sees the whole tumour (no missed lobe), a little displaced, with its own margin habit.
      const obs2 = root.fork(`second-observer/${percents[p]}`);
      const slices2 = new Float64Array(grid.dims[2]);
      for (let k = 0; k < slices2.length; k++) slices2[k] = second.sliceJitterMm * obs2.normal();
      phys2 = physicianMask({
        grid,
        perceived: ellipsoids,
        centreMm: [tc[0] + second.shiftMm[0], tc[1] + second.shiftMm[1], tc[2] + second.shiftMm[2]],
        boundingRadiusMm: radius,
        biasMm: second.biasMm + spec.observer.phaseBiasSdMm * obs2.normal(),
        field: sampleJitterField(obs2, second.jitterAmplitudeMm),
        sliceOffsetsMm: slices2,
        minMarginMm: -0.35 * Math.min(...ellipsoids[0]!.semiAxesMm),
      });
      for (let n = 0; n < nvox; n++) if (phys2[n]) secondItv[n] = 1;
    }
    const ct =
      options.renderCt === false
        ? null
        : {
            grid,
            data: renderCtPhase({
              grid,
              anatomy,
              fraction: fractions[p]!,
              tumour: ellipsoids,
              tumourCentreMm: tc,
              tumourBoundingRadiusMm: radius,
              noiseSigmaHu: noise,
              rng: root.fork(`noise/${percents[p]}`),
            }),
          };
    if (ct && spec.scanner) ct.data = applyScannerReconstruction(ct.data, grid.dims, grid.spacingMm[2], spec.scanner);
    let both = 0;
    for (let n = 0; n < nvox; n++) {
      if (truth[n]) truthItv[n] = 1;
      if (phys[n]) physicianItv[n] = 1;
      both += truth[n]! & phys[n]!;
    }
    const t = count(truth),
      ph = count(phys);
    summary.truthGtvVoxels.push(t);
    summary.physicianGtvVoxels.push(ph);
    summary.gtvDice.push(t + ph === 0 ? 1 : (2 * both) / (t + ph));
    phases.push({
      phasePercent: percents[p]!,
      inspirationFraction: fractions[p]!,
      displacementMm: d,
      tumourCentreMm: tc,
      ct,
      truthGtv: { grid, data: truth },
      physicianGtv: { grid, data: phys },
      ...(phys2 ? { secondObserverGtv: { grid, data: phys2 } } : {}),
    });
  }
  for (let n = 0; n < nvox; n++) {
    summary.truthItvVoxels += truthItv[n]!;
    summary.physicianItvVoxels += physicianItv[n]!;
    if (truthItv[n] && !physicianItv[n]) summary.missedTumourVoxels++;
    if (physicianItv[n] && !truthItv[n]) summary.extraPhysicianVoxels++;
  }
  const voxelCc = (grid.spacingMm[0] * grid.spacingMm[1] * grid.spacingMm[2]) / 1000;
  summary.truthItvCc = summary.truthItvVoxels * voxelCc;
  summary.physicianItvCc = summary.physicianItvVoxels * voxelCc;
  return {
    spec,
    grid,
    anatomy,
    tumourScale: scale,
    tumourEllipsoids: ellipsoids,
    tumourExhaleCentreMm: centre,
    phases,
    truthItv: { grid, data: truthItv },
    physicianItv: { grid, data: physicianItv },
    ...(secondItv ? { secondObserverItv: { grid, data: secondItv } } : {}),
    summary,
  };
}
