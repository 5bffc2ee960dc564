/**
 * Physician structure kind from its ROI (or mask file) name, on top of the structure-role rules
 * of lib/core/structures (docs/structure-roles.md): GTV and ITV are the reference kinds; every
 * other role (CTV, PTV, BODY, LUNG, OAR, HELPER, UNKNOWN) is OTHER. Planning systems give no
 * reliable machine-readable tumour type (RTROIInterpretedType is often "GTV" for an ITV, or
 * missing), so the name decides. The site's own rules (admin-edited, versioned) come first when
 * the caller passes them (the importer does: lib/server/structure-roles/load-structure-rules.ts).
 *
 * Phase in the name: a percent ("GTV_20%", "GTV 20 %", "GTV20pct"), "phase" followed by a
 * multiple of ten ("GTV_phase_20"), or a 4D bin "T50"/"CT50" in a GTV name; see
 * lib/core/structures/phase-from-name.ts.
 */
import { assignStructureRole, describeStructureRoles, type SiteRuleSet, type StructureKindName, type StructureRoleResult } from '@/lib/core/structures';

export { phaseFromName } from '@/lib/core/structures';
export type { StructureKindName };

export interface StructureClass {
  kind: StructureKindName;
  /** Respiratory phase percent named in the structure name (0 ≤ p < 100), else null. */
  phasePercent: number | null;
  /** Which rule decided, for the findings report: a built-in rule id ("gtv", "helper-prefix", …) or a site rule id ("site-3"). */
  rule: string;
  /** The full role assignment (role, TG-263 name, site rules version). */
  role: StructureRoleResult;
}

/** Classify one structure name (site rules first, when given; then the built-in rules). */
export function classifyStructure(name: string, site?: SiteRuleSet | null): StructureClass {
  const role = assignStructureRole(name, site);
  return { kind: role.kind, phasePercent: role.phasePercent, rule: role.ruleId, role };
}

/**
 * The import finding that lists which structure became which role and by which rule, naming the
 * site rules version applied (the record of which version an import used).
 */
export function structureRolesFinding(names: readonly string[], site: SiteRuleSet | null): { code: 'STRUCTURE_ROLES'; severity: 'info'; message: string } {
  return {
    code: 'STRUCTURE_ROLES',
    severity: 'info',
    message: describeStructureRoles(
      names.map((n) => assignStructureRole(n, site)),
      site?.version ?? null,
    ),
  };
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
  names
    .slice(0, max)
    .map((n) => `"${n}"`)
    .join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');

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
        message:
          'No physician structure was imported (no RTSTRUCT or mask file with this study): the machine contours have nothing to be compared with. Import the physician’s RTSTRUCT (it is added to this study).',
      };
    return {
      code: 'NO_REFERENCE_STRUCTURE',
      severity: 'warning',
      message: `None of the ${structures.length} physician structures is recognised as the GTV or ITV by its name (${quoteList(structures.map((s) => s.name))}): the segmentation runs, but no machine-vs-physician metrics can be computed until a physicist chooses the reference structure in the study viewer (the study page, "No reference structure"). Names containing "GTV", or "ITV"/"iGTV", are recognised; expansions and helpers ("PTV", "CTV", "GTV+5mm", "zGTV") are not. If this site names its targets otherwise, an admin can add a structure rule (Admin → Structure roles) for the next imports.`,
    };
  }
  const parts: string[] = [];
  if (gtv.length > 0) {
    const phased = gtv.filter((s) => s.phasePercent !== null);
    parts.push(
      `GTV ${quoteList(
        gtv.map((s) => s.name),
        10,
      )}${phased.length > 0 ? ` (on ${new Set(phased.map((s) => s.phasePercent)).size} phase${phased.length === 1 ? '' : 's'})` : ''}`,
    );
  }
  if (itv.length > 0)
    parts.push(
      `ITV ${quoteList(
        itv.map((s) => s.name),
        5,
      )}`,
    );
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
