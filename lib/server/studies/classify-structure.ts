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
