/**
 * Physician structure kind from its ROI (or mask file) name. Planning systems give no reliable
 * machine-readable tumour type (RTROIInterpretedType is often "GTV" for an ITV, or missing), so
 * the name decides, by these rules in order:
 *
 * 1. OTHER when the name marks a derived or helper structure: an expansion ("GTV+5mm",
 *    "GTV-3 mm", "GTV_5mm"), PTV/CTV, "ring", "opt", "avoid", "shell", "expand", "dvh", "copy",
 *    "old", or a leading "z"/"x"/"_" helper prefix ("zGTV", "z_ITV", "x_GTV").
 * 2. ITV when it contains "itv" or "igtv" (case-insensitive), e.g. "ITV", "iGTV", "ITV_phys".
 * 3. GTV when it contains "gtv", e.g. "GTV", "GTVp", "GTV_20%", "physician_gtv_phase_20".
 * 4. OTHER otherwise (BODY, Lung_L, …).
 *
 * Phase in the name: a percent ("GTV_20%", "GTV 20 %", "GTV20pct"), or "phase" followed by a
 * multiple of ten ("GTV_phase_20", "gtv_phase_00"). "Phase 3" is not read: it may be an index
 * or a percent (the same ambiguity lib/dicom/phase.ts refuses for series).
 */
export type StructureKindName = 'GTV' | 'ITV' | 'OTHER';

export interface StructureClass {
  kind: StructureKindName;
  /** Respiratory phase percent named in the structure name (0 ≤ p < 100), else null. */
  phasePercent: number | null;
  /** Which rule decided, for the findings report. */
  rule: 'helper' | 'itv' | 'gtv' | 'other';
}

const HELPER = new RegExp(
  [
    String.raw`^[zx_][\s_-]*(?=[a-z])`, // zGTV, z_ITV, x_GTV, _GTV
    String.raw`\+\s*\d`, // GTV+5, GTV + 5mm
    String.raw`(^|[\s_-])\d+(\.\d+)?\s*(mm|cm)\b`, // GTV_5mm, GTV-3 mm, GTV 1cm
    'ptv', 'ctv', 'ring', String.raw`(^|[\s_-])opt\b`, 'avoid', 'shell', 'expand', 'dvh', 'copy', String.raw`(^|[\s_-])old\b`,
  ].join('|'),
  'i',
);
const ITV = /itv|igtv/i;
const GTV = /gtv/i;
const PERCENT = /(\d{1,3}(?:\.\d+)?)\s*(?:%|pct\b|percent\b)/i;
const PHASE = /phase[\s_-]*(\d{1,2}0|00)(?!\d)/i;

/** Classify one structure name; see the module comment for the rules. */
export function classifyStructure(name: string): StructureClass {
  const phasePercent = phaseFromName(name);
  if (HELPER.test(name)) return { kind: 'OTHER', phasePercent, rule: 'helper' };
  if (ITV.test(name)) return { kind: 'ITV', phasePercent, rule: 'itv' };
  if (GTV.test(name)) return { kind: 'GTV', phasePercent, rule: 'gtv' };
  return { kind: 'OTHER', phasePercent, rule: 'other' };
}

/** Phase percent written in a name, or null (see the module comment). */
export function phaseFromName(name: string): number | null {
  const m = PERCENT.exec(name) ?? PHASE.exec(name);
  if (!m) return null;
  const v = Number(m[1]);
  if (!(v >= 0 && v <= 100)) return null;
  return v === 100 ? 0 : v;
}

/** A physician structure as the reference rules see it. */
export interface StructureForReference {
  name: string;
  kind: StructureKindName;
  phasePercent: number | null;
}

export interface ReferenceFinding {
  code: 'REFERENCE_STRUCTURES' | 'NO_REFERENCE_STRUCTURE';
  severity: 'info' | 'warning';
  message: string;
}

const quoteList = (names: string[], max = 12) =>
  names.slice(0, max).map((n) => `"${n}"`).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');

/**
 * The import finding that says which physician structures are the reference the machine
 * contours are measured against (the GTV of each phase, the ITV), or, when no name is
 * recognised as a GTV or ITV, that there is none yet, listing the names, so nobody waits for
 * metrics that cannot come. A physicist can then choose the reference in the study viewer.
 */
export function referenceStructureFinding(structures: readonly StructureForReference[]): ReferenceFinding {
  const gtv = structures.filter((s) => s.kind === 'GTV');
  const itv = structures.filter((s) => s.kind === 'ITV');
  if (gtv.length === 0 && itv.length === 0) {
    if (structures.length === 0)
      return {
        code: 'NO_REFERENCE_STRUCTURE',
        severity: 'warning',
        message: 'No physician structure was imported (no RTSTRUCT or mask file with this study): the machine contours have nothing to be compared with. Import the physician’s RTSTRUCT (it is added to this study).',
      };
    return {
      code: 'NO_REFERENCE_STRUCTURE',
      severity: 'warning',
      message: `None of the ${structures.length} physician structures is recognised as the GTV or ITV by its name (${quoteList(structures.map((s) => s.name))}): the segmentation runs, but no machine-vs-physician metrics can be computed until a physicist chooses the reference structure in the study viewer. Names containing "GTV", or "ITV"/"iGTV", are recognised; expansions and helpers ("PTV", "CTV", "GTV+5mm", "zGTV") are not.`,
    };
  }
  const parts: string[] = [];
  if (gtv.length > 0) {
    const phased = gtv.filter((s) => s.phasePercent !== null);
    parts.push(
      `GTV ${quoteList(gtv.map((s) => s.name), 10)}${phased.length > 0 ? ` (on ${new Set(phased.map((s) => s.phasePercent)).size} phase${phased.length === 1 ? '' : 's'})` : ''}`,
    );
  }
  if (itv.length > 0) parts.push(`ITV ${quoteList(itv.map((s) => s.name), 5)}`);
  const notes: string[] = [];
  if (itv.length > 1) notes.push(`${itv.length} structures read as an ITV: the first is used; a physicist can choose another in the study viewer.`);
  if (gtv.length === 0) notes.push('No GTV: only the ITV is compared.');
  if (itv.length === 0) notes.push('No ITV: only the GTVs are compared.');
  return {
    code: 'REFERENCE_STRUCTURES',
    severity: 'info',
    message: `Reference (physician) structures the machine contours are measured against: ${parts.join('; ')}.${notes.length ? ` ${notes.join(' ')}` : ''}`,
  };
}
