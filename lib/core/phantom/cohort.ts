/**
 * A synthetic cohort: per patient, clearly fake identifiers, an institution, scanner, physician,
 * study date, and the tumour, motion and observer parameters the images are generated from.
 * Everything follows from (seed, patient index).
 */
import type { Vec3 } from '@/lib/core/volume';
import { PhantomError } from './errors';
import { createRng, type Rng } from './prng';
import { sampleTumourShape, type Ellipsoid } from './tumour';
import { phantomScannerFor, type PhantomScanner } from './scanner';

export interface PhantomPhysician {
  id: string;
  /** DICOM PN, e.g. "SYNTH^ADA^DR". */
  name: string;
  /** This physician's habitual margin (mm): > 0 generous, < 0 tight. */
  biasMm: number;
}

export interface PhantomInstitution {
  id: string;
  name: string;
  manufacturer: string;
  scannerModel: string;
  stationName: string;
  physicians: PhantomPhysician[];
}

/** The fixed synthetic institutions (names are invented). */
export const PHANTOM_INSTITUTIONS: readonly PhantomInstitution[] = [
  {
    id: 'SYN-A',
    name: 'Synthetic General Hospital',
    manufacturer: 'SYNTHETIC',
    scannerModel: 'PhantomScan 64',
    stationName: 'SYNCT01',
    physicians: [
      { id: 'SYN-A-1', name: 'SYNTH^ADA^DR', biasMm: 1.2 },
      { id: 'SYN-A-2', name: 'SYNTH^BORIS^DR', biasMm: -0.4 },
    ],
  },
  {
    id: 'SYN-B',
    name: 'Phantom University Clinic',
    manufacturer: 'SYNTHETIC',
    scannerModel: 'PhantomScan Pro 128',
    stationName: 'PUCCT02',
    physicians: [
      { id: 'SYN-B-1', name: 'SYNTH^CLARA^DR', biasMm: 0.3 },
      { id: 'SYN-B-2', name: 'SYNTH^DMITRI^DR', biasMm: 1.8 },
    ],
  },
  {
    id: 'SYN-C',
    name: 'Simulated Cancer Centre',
    manufacturer: 'MOCKMED',
    scannerModel: 'Virtual CT 16',
    stationName: 'SCCCT03',
    physicians: [{ id: 'SYN-C-1', name: 'SYNTH^ELENA^DR', biasMm: -1.2 }],
  },
];

const GREEK = [
  'ALPHA',
  'BETA',
  'GAMMA',
  'DELTA',
  'EPSILON',
  'ZETA',
  'ETA',
  'THETA',
  'IOTA',
  'KAPPA',
  'LAMBDA',
  'MU',
  'NU',
  'XI',
  'OMICRON',
  'PI',
  'RHO',
  'SIGMA',
  'TAU',
  'UPSILON',
  'PHI',
  'CHI',
  'PSI',
  'OMEGA',
];

export interface PatientSpec {
  /** 0-based position in the cohort. */
  index: number;
  /** Seed string for every random draw of this patient's images. */
  seed: string;
  patientId: string;
  pseudonym: string;
  /** DICOM PN, "PHANTOM^<GREEK>[n]". */
  name: string;
  mrn: string;
  /** YYYYMMDD */
  birthDate: string;
  sex: 'M' | 'F';
  institutionId: string;
  physicianId: string;
  /** YYYYMMDD */
  studyDate: string;
  /**
   * The CT the study was acquired on (lib/core/phantom/scanner.ts): the institution's own, or after
   * the demo's scanner change a new one with a smoother reconstruction kernel. Absent in specs
   * written by hand: the institution's scanner, standard kernel.
   */
  scanner?: PhantomScanner;
  /** Body size relative to the field of view (about 0.88–1.04). */
  bodyScale: number;
  tumour: {
    lung: 'right' | 'left';
    nominalDiameterMm: number;
    ellipsoids: Ellipsoid[];
  };
  motion: {
    /** Peak-to-exhale SI amplitude, mm (0–20). */
    amplitudeSiMm: number;
    /** Displacement at end-inhale relative to exhale, mm (LPS): SI inferior, AP anterior, LR either way. */
    peakDisplacementMm: Vec3;
    /** Lujan exponent n (cos²ⁿ). */
    lujanN: number;
    /** Diaphragm excursion, mm. */
    diaphragmExcursionMm: number;
  };
  observer: {
    /** Margin bias for this patient (physician's habit + case variation), mm. */
    biasMm: number;
    jitterAmplitudeMm: number;
    sliceJitterMm: number;
    /** SD of the phase-to-phase change of the bias, mm. */
    phaseBiasSdMm: number;
    /** Index of a lobe (≥ 1) the physician misses on every phase, or null. */
    missedLobe: number | null;
  };
  /**
   * A second physician who also contoured this patient (every third patient of a cohort; docs/observers.md):
   * another margin bias (1–2 mm more generous than the first) and a slight shift of the whole contour.
   * Written as a second set of RTSTRUCTs with its own OperatorsName. Absent: one observer.
   */
  secondObserver?: {
    physicianId: string;
    /** DICOM PN written as the RTSTRUCTs' OperatorsName. */
    name: string;
    biasMm: number;
    /** Rigid shift of the perceived tumour, mm (LPS). */
    shiftMm: Vec3;
    jitterAmplitudeMm: number;
    sliceJitterMm: number;
  };
}

/** Every third patient (index 2, 5, 8, …) has a second observer. */
export const SECOND_OBSERVER_EVERY = 3;

function dateFromDays(daysSinceEpoch: number): string {
  const d = new Date(daysSinceEpoch * 86400000);
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

const DAY = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86400000;

/**
 * Parameters of patient `index` of the cohort with seed `cohortSeed`. Independent of the cohort
 * size: patient 3 is the same whether the cohort has 5 or 50 patients.
 */
export function samplePatientSpec(cohortSeed: string | number, index: number): PatientSpec {
  // rng.int(0, length − 1) is a valid index, hence the `!`.
  const seed = `${cohortSeed}/patient/${index}`;
  const rng: Rng = createRng(seed).fork('spec');
  const greek = GREEK[index % GREEK.length];
  const round = Math.floor(index / GREEK.length);
  const institution = PHANTOM_INSTITUTIONS[rng.int(0, PHANTOM_INSTITUTIONS.length - 1)]!;
  const physician = rng.pick(institution.physicians);
  const diameter = rng.uniform(10, 50);
  const tumour = sampleTumourShape(rng.fork('tumour'), diameter);
  const amp = 20 * rng.next() ** 1.3; // more small than large amplitudes, as in lung SBRT series
  const ap = -amp * rng.uniform(0.1, 0.4);
  const lr = amp * rng.uniform(-0.2, 0.2);
  const caseBias = physician.biasMm + 0.5 * rng.normal();
  const spec: PatientSpec = {
    index,
    seed,
    patientId: `PHANTOM-${String(index + 1).padStart(4, '0')}`,
    pseudonym: `SYN${String(index + 1).padStart(4, '0')}`,
    name: `PHANTOM^${greek}${round > 0 ? round + 1 : ''}`,
    mrn: `SYNMRN${String(100000 + index * 7919).padStart(7, '0')}`,
    birthDate: dateFromDays(Math.floor(rng.uniform(DAY(1935, 1, 1), DAY(1976, 1, 1)))),
    sex: rng.bernoulli(0.55) ? 'M' : 'F',
    institutionId: institution.id,
    physicianId: physician.id,
    studyDate: dateFromDays(Math.floor(rng.uniform(DAY(2016, 1, 1), DAY(2023, 1, 1)))),
    bodyScale: rng.uniform(0.88, 1.04),
    tumour: { lung: rng.bernoulli(0.5) ? 'right' : 'left', nominalDiameterMm: diameter, ellipsoids: tumour.ellipsoids },
    motion: {
      amplitudeSiMm: amp,
      // LPS: inhale moves the tumour inferior (−z) and anterior (−y).
      peakDisplacementMm: [lr, ap, -amp],
      lujanN: rng.pick([1, 1, 2, 3]),
      diaphragmExcursionMm: Math.max(8, 1.5 * amp),
    },
    observer: {
      biasMm: Math.max(-2, Math.min(2, caseBias)),
      jitterAmplitudeMm: rng.uniform(0.5, 1.2),
      sliceJitterMm: rng.uniform(0.3, 0.8),
      phaseBiasSdMm: 0.3,
      missedLobe: tumour.ellipsoids.length > 1 && rng.bernoulli(0.3) ? rng.int(1, tumour.ellipsoids.length - 1) : null,
    },
  };
  // Not a random draw: every other parameter is the same as before the demo had a scanner change.
  spec.scanner = phantomScannerFor(institution, spec.studyDate);
  if (index % SECOND_OBSERVER_EVERY === SECOND_OBSERVER_EVERY - 1) {
    // Its own stream: the first observer's and every other parameter stay as they were.
    const r2 = createRng(seed).fork('second-observer');
    const others = institution.physicians.filter((p) => p.id !== physician.id);
    const second = others.length > 0 ? r2.pick(others) : { id: `${institution.id}-VISITING`, name: 'SYNTH^VISITING^DR', biasMm: 0 };
    spec.secondObserver = {
      physicianId: second.id,
      name: second.name,
      biasMm: Math.max(-3, Math.min(3.5, spec.observer.biasMm + r2.uniform(1, 2))),
      shiftMm: [r2.normal() * 0.8, r2.normal() * 0.8, r2.normal() * 1.2],
      jitterAmplitudeMm: r2.uniform(0.5, 1.2),
      sliceJitterMm: r2.uniform(0.3, 0.8),
    };
  }
  return spec;
}

export interface CohortSpec {
  seed: string;
  institutions: readonly PhantomInstitution[];
  patients: PatientSpec[];
}

/**
 * A cohort of `patients` synthetic patients.
 * @throws PhantomError INVALID_INPUT when `patients` is not a positive integer.
 */
export function sampleCohort(options: { patients: number; seed: string | number }): CohortSpec {
  if (!Number.isInteger(options.patients) || options.patients < 1) {
    throw new PhantomError('INVALID_INPUT', `Cohort size ${options.patients} is not a positive integer.`);
  }
  const patients = Array.from({ length: options.patients }, (_, n) => samplePatientSpec(options.seed, n));
  return { seed: String(options.seed), institutions: PHANTOM_INSTITUTIONS, patients };
}

/** The institution and physician of a patient. */
export function institutionOf(spec: PatientSpec): { institution: PhantomInstitution; physician: PhantomPhysician } {
  const institution = PHANTOM_INSTITUTIONS.find((i) => i.id === spec.institutionId);
  const physician = institution?.physicians.find((p) => p.id === spec.physicianId);
  if (!institution || !physician) {
    throw new PhantomError('INVALID_INPUT', `Patient ${spec.patientId}: unknown institution ${spec.institutionId} or physician ${spec.physicianId}.`);
  }
  // The DICOM header names the study's scanner (after the demo's scanner change, the new one).
  const scanner = spec.scanner;
  return {
    institution: scanner
      ? { ...institution, manufacturer: scanner.manufacturer, scannerModel: scanner.scannerModel, stationName: scanner.stationName }
      : institution,
    physician,
  };
}
