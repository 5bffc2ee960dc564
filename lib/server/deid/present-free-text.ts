/**
 * Free text copied from DICOM (study and series descriptions, ROI names, referring / operating
 * physician names, comments) is identified data: a planning system lets anyone type a patient's
 * name, MRN or birth date into it ("CT THORAX DOE^JANE MRN-777111"). So every data-access
 * function that hands such a field to a page, an API or an export passes it through this module:
 *
 * - Callers with `identifiers:view` (physicists) get the text as stored; the data-access function
 *   that returns it writes the audit event (it already audits the identifiers it shows).
 * - Everyone else, and every export (CSV, de-identified DICOM), gets a name generated here from
 *   what iSeg QA itself decided, never a substring of the original:
 *   - a structure: its role (GTV, ITV, BODY, LUNG_L, PTV, …) and the GTV's phase ("GTV 30%");
 *   - a series: its phase ("4D CT phase 30%") or "CT";
 *   - a study description: "CT study";
 *   - a physician: a keyed pseudonym, "Physician K7Q2MX" (HMAC-SHA256 under the install's
 *     pseudonym secret), the same in the cohort filter and the case table and stable across
 *     page views, not reversible without the secret.
 *
 * Pages never decide: they receive what these functions produced.
 */
import { createHmac } from 'node:crypto';
import type { Db } from '../db/client';
import { can, type Caller } from '../auth/roles';
import { getPseudonymSecret } from './get-pseudonym-secret';

/** A physician structure as stored (PhysicianStructure), as much as naming it needs. */
export interface StructureToName {
  kind: 'GTV' | 'ITV' | 'OTHER';
  /** The stored ROI name: read only to pick a role from a fixed list, never copied. */
  name?: string | null;
  phasePercent?: number | null;
  phaseIndex?: number | null;
  /** RTROIInterpretedType (DICOM CS), used only when it is one of the defined terms. */
  interpretedType?: string | null;
  /** Who drew it (docs/observers.md); only read through `observerLabel` in normalisedStructureNames. */
  observer?: string | null;
  /** False for another observer's structure than the study's reference observer. */
  referenceObserver?: boolean | null;
}

/** A series as stored (ImageSeries). */
export interface SeriesToName {
  phaseIndex: number | null;
  phasePercent: number | null;
}

/** Defined terms of RTROIInterpretedType (PS3.3 C.8.8.8): a closed list, so safe to show. */
const INTERPRETED_TYPES = new Set([
  'PTV',
  'CTV',
  'GTV',
  'ORGAN',
  'AVOIDANCE',
  'CAVITY',
  'SUPPORT',
  'BOLUS',
  'MARKER',
  'ISOCENTER',
  'CONTRAST_AGENT',
  'REGISTRATION',
  'CONTROL',
  'FIXATION',
  'DOSE_REGION',
  'TREATED_VOLUME',
  'IRRAD_VOLUME',
  'BRACHY_CHANNEL',
  'BRACHY_ACCESSORY',
  'BRACHY_SRC_APP',
  'BRACHY_CHNL_SHLD',
  'DOSE_MEASUREMENT',
]);

/**
 * Roles recognised in an OTHER structure's name, first match wins. The result is the role (a
 * constant of this list), so nothing typed into the name can come through.
 */
const ROLES_BY_NAME: [RegExp, string][] = [
  [/ptv/i, 'PTV'],
  [/ctv/i, 'CTV'],
  [/\b(body|external|outline|skin)\b|^(body|external|outline|skin)|(body|external|outline|skin)$/i, 'BODY'],
  [/lung[\s_-]*(l|lt|left)\b|\b(l|lt|left)[\s_-]*lung/i, 'LUNG_L'],
  [/lung[\s_-]*(r|rt|right)\b|\b(r|rt|right)[\s_-]*lung/i, 'LUNG_R'],
  [/lung/i, 'LUNGS'],
  [/heart/i, 'HEART'],
  [/o?esoph/i, 'ESOPHAGUS'],
  [/cord|canal/i, 'SPINAL_CORD'],
  [/trachea/i, 'TRACHEA'],
  [/bronch/i, 'BRONCHUS'],
  [/gtv|itv/i, 'TARGET_HELPER'],
];

/** A percent as iSeg QA writes it: "30", "12.5". */
function pct(v: number): string {
  return String(Math.round(v * 10) / 10);
}

/** The role of a structure as a fixed name: GTV, ITV, BODY, LUNG_L, PTV, …, OTHER. */
export function structureRole(s: StructureToName): string {
  if (s.kind === 'GTV' || s.kind === 'ITV') return s.kind;
  const name = s.name ?? '';
  for (const [re, role] of ROLES_BY_NAME) if (re.test(name)) return role;
  const t = (s.interpretedType ?? '').trim().toUpperCase();
  if (t === 'EXTERNAL') return 'BODY';
  if (INTERPRETED_TYPES.has(t)) return t;
  return 'OTHER';
}

/**
 * RTROIInterpretedType for an export: the stored one when it is a defined term (a CS may hold
 * any 16 characters), else from the kind (GTV, or ORGAN for OTHER; an ITV is a GTV by type).
 */
export function normalisedInterpretedType(s: StructureToName): string {
  const t = (s.interpretedType ?? '').trim().toUpperCase();
  if (t === 'EXTERNAL' || INTERPRETED_TYPES.has(t)) return t;
  return s.kind === 'OTHER' ? 'ORGAN' : 'GTV';
}

/** "GTV 30%", "GTV" (planning CT), "ITV", "BODY", … : a structure named by iSeg QA. */
export function normalisedStructureName(s: StructureToName): string {
  const role = structureRole(s);
  if (s.kind === 'GTV') {
    const p = s.phasePercent ?? (s.phaseIndex !== null && s.phaseIndex !== undefined ? s.phaseIndex * 10 : null);
    return p === null ? 'GTV' : `GTV ${pct(p)}%`;
  }
  return role;
}

/**
 * Names for the structures of one structure set, unique within it (a repeated name gets " 2",
 * " 3", … in list order), as an RTSTRUCT needs. With `observerLabel` (the observer's keyed
 * pseudonym, "Physician K7Q2MX"), another observer's structure than the reference observer's is
 * named with it ("GTV 30% (Physician K7Q2MX)"), so two physicians' GTVs of one phase are told
 * apart; the reference observer's keep the plain name ("GTV 30%").
 */
export function normalisedStructureNames(list: readonly StructureToName[], o: { observerLabel?: (observer: string) => string } = {}): string[] {
  const seen = new Map<string, number>();
  return list.map((s) => {
    const plain = normalisedStructureName(s);
    const base = o.observerLabel && s.referenceObserver === false && s.observer ? `${plain} (${o.observerLabel(s.observer)})` : plain;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} ${n}`;
  });
}

/** "4D CT phase 30%" for a phase, "CT" for a planning CT. */
export function normalisedSeriesDescription(s: SeriesToName): string {
  if (s.phaseIndex === null) return 'CT';
  return `4D CT phase ${pct(s.phasePercent ?? s.phaseIndex * 10)}%`;
}

/** What a study's description becomes for callers without identifiers:view and in exports. */
const NORMALISED_STUDY_DESCRIPTION = 'CT study';

const B32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** "Physician " + 6 base-32 characters of HMAC-SHA256(secret, "physician" NUL name). */
export function physicianPseudonym(secret: string, name: string): string {
  const mac = createHmac('sha256', secret).update(`physician\0${name.trim()}`).digest();
  let out = '';
  for (let i = 0; i < 6; i++) out += B32[mac[i] % 32];
  return `Physician ${out}`;
}

/**
 * The free-text fields as one caller may see them. `identified` callers (identifiers:view) get
 * the stored text; the data-access function using the presenter must then audit.
 */
export interface FreeTextPresenter {
  identified: boolean;
  studyDescription(description: string | null): string | null;
  seriesDescription(series: SeriesToName & { description: string | null }): string | null;
  structureName(structure: StructureToName & { name: string }): string;
  physician(name: string | null): string | null;
}

/** One helper per field kind; `identified` is can(role, 'identifiers:view') of the caller. */
export function presentStudyDescription(description: string | null, { identified }: { identified: boolean }): string | null {
  return identified ? description : description === null ? null : NORMALISED_STUDY_DESCRIPTION;
}

export function presentSeriesDescription(series: SeriesToName & { description: string | null }, { identified }: { identified: boolean }): string | null {
  return identified ? series.description : normalisedSeriesDescription(series);
}

export function presentStructureName(structure: StructureToName & { name: string }, { identified }: { identified: boolean }): string {
  return identified ? structure.name : normalisedStructureName(structure);
}

export function presentPhysicianName(name: string | null, { identified, secret }: { identified: boolean; secret: () => string }): string | null {
  if (name === null || name.trim() === '') return null;
  return identified ? name : physicianPseudonym(secret(), name);
}

function presenter(identified: boolean, secret: () => string): FreeTextPresenter {
  // A cohort shows thousands of studies by a handful of physicians: one HMAC per name.
  const physicians = new Map<string, string | null>();
  return {
    identified,
    studyDescription: (d) => presentStudyDescription(d, { identified }),
    seriesDescription: (s) => presentSeriesDescription(s, { identified }),
    structureName: (s) => presentStructureName(s, { identified }),
    physician: (n) => {
      if (n === null) return null;
      if (!physicians.has(n)) physicians.set(n, presentPhysicianName(n, { identified, secret }));
      return physicians.get(n)!;
    },
  };
}

/**
 * The presenter for a caller; loads the pseudonym secret (for physician names) only for callers
 * without identifiers:view.
 */
export async function freeTextPresenter(db: Db, caller: Caller): Promise<FreeTextPresenter> {
  const identified = can(caller.role, 'identifiers:view');
  const secret = identified ? '' : await getPseudonymSecret(db);
  return presenter(identified, () => secret);
}

/** For exports: always the normalised names, whoever asks. */
export const EXPORT_PRESENTER: FreeTextPresenter = presenter(false, () => {
  throw new Error('Physician names are not exported.');
});

/** Synchronous variant when the caller's role alone decides and no physician name is shown. */
export function freeTextPresenterWithoutPhysicians(caller: Caller): FreeTextPresenter {
  return presenter(can(caller.role, 'identifiers:view'), () => {
    throw new Error('This presenter has no pseudonym secret: use freeTextPresenter() for physician names.');
  });
}
