/**
 * The role of a structure from its name: ordered rules, each with an id, so an import finding can
 * say which rule decided (docs/structure-roles.md). Pure.
 *
 * The site's own rules (admin-edited, versioned; site-rules.ts) come first, in their order; then
 * the built-in rules below, in this order; the first that matches decides:
 *
 * | id                  | role    | matches |
 * |---------------------|---------|---------|
 * | helper-prefix       | HELPER  | a leading "_", or "z"/"x" before a separator, a capital or a structure word ("zGTV", "z_ITV", "xPTV", "_GTV"): TG-263 marks structures not for evaluation so |
 * | helper-expansion    | HELPER  | an expansion: "+" and a number ("GTV+5", "PTV + 3mm"), or a margin in mm/cm ("GTV_5mm", "GTV-3 mm"); not a PRV ("SpinalCord_PRV_5mm") |
 * | helper-keyword      | HELPER  | ring, avoid, shell, expand, dvh, copy anywhere; or a word opt/optim, old, dummy, temp/tmp, block, hot, cold, overlap, dose/isodose |
 * | helper-non-anatomic | HELPER  | a word couch, table, marker, fiducial, bb, artifact, bolus, clip, seed(s), override, contrast, implant, prosthesis, pacemaker, support, board |
 * | organ-minus-target  | organ's | an organ minus a target ("Lungs-GTV", "Lung_L - ITV", "Heart minus PTV"): the organ's role, TG-263 "Lungs-GTV" |
 * | target-minus-target | HELPER  | a target minus a target ("PTV-GTV", "CTV - ITV") |
 * | ptv                 | PTV     | "ptv" anywhere ("PTV", "PTV_5000", "PTVp", "ptv60") |
 * | ctv                 | CTV     | "ctv" anywhere ("CTV", "CTV_60", "CTVn", "ICTV", "CTV_GTV") |
 * | itv                 | ITV     | "itv" or "igtv" anywhere ("ITV", "iGTV", "ITV_final") |
 * | gtv                 | GTV     | "gtv" anywhere ("GTV", "GTVp", "GTV_1", "gtv primary", "GTV_50%", "GTVn", "GTV LN"); primary or nodal from a word p/prim/primary/t/tumour or n/ln/node/nodal/lymph |
 * | body                | BODY    | the body outline: External, Body, Skin, Outline, Patient, Body_Contour… |
 * | lung                | LUNG    | a lung: Lung_L, Lung_R, "Lt Lung", "LUNG_RT", Lungs, "Lung Total", "Both Lungs"… |
 * | oar                 | OAR     | an organ of organs.ts (Heart, Esophagus, SpinalCord, Trachea, …), with its TG-263 name; a PRV of one ("SpinalCord_PRV", "Cord PRV 5mm" → "SpinalCord_PRV05") |
 * | unknown             | UNKNOWN | anything else |
 *
 * The order keeps what the GTV/ITV rules did before (helpers, PTV and CTV are never a GTV or ITV;
 * ITV before GTV) and adds: a lung or organ minus a target is the organ, not a GTV.
 * Only GTV and ITV are reference structures (kind GTV / ITV); every other role is kind OTHER.
 * The phase percent comes from the name (phase-from-name.ts), or from the site rule that decided.
 */
import { normaliseStructureName, splitGluedSide, type Laterality, type NormalisedStructureName } from './normalise-structure-name';
import { organByKey, organName, type OrganEntry } from './organs';
import { siteRuleMatches, type SiteRuleSet } from './site-rules';

export const STRUCTURE_ROLES = ['GTV', 'ITV', 'CTV', 'PTV', 'BODY', 'LUNG', 'OAR', 'HELPER', 'UNKNOWN'] as const;
export type StructureRole = (typeof STRUCTURE_ROLES)[number];

/** What the reference rules and the database keep: GTV, ITV, or anything else. */
export type StructureKindName = 'GTV' | 'ITV' | 'OTHER';

export function kindOfRole(role: StructureRole): StructureKindName {
  return role === 'GTV' ? 'GTV' : role === 'ITV' ? 'ITV' : 'OTHER';
}

export function isStructureRole(v: unknown): v is StructureRole {
  return typeof v === 'string' && (STRUCTURE_ROLES as readonly string[]).includes(v);
}

export interface StructureRoleResult {
  /** The name as given, trimmed. */
  name: string;
  role: StructureRole;
  kind: StructureKindName;
  /** Respiratory phase percent (0 ≤ p < 100) from the name or the deciding site rule, else null. */
  phasePercent: number | null;
  laterality: Laterality | null;
  /** TG-263 name where recognised (organs, lungs, body outline), else null. */
  tg263Name: string | null;
  /** GTV only: primary or nodal when the name says so. */
  target: 'primary' | 'nodal' | null;
  /** The rule that decided: a built-in id ("gtv", "lung", …) or a site rule's id ("site-3"). */
  ruleId: string;
  /** The site rules version, when a site rule decided; else null. */
  siteRuleVersion: number | null;
}

interface Decision {
  role: StructureRole;
  tg263Name?: string | null;
  target?: 'primary' | 'nodal' | null;
  laterality?: Laterality | null;
}

interface BuiltInRule {
  id: string;
  /** One line, for the admin page and the findings. */
  description: string;
  decide: (n: NormalisedStructureName, lower: string) => Decision | null;
}

const TARGET = /igtv|itv|gtv|ctv|ptv/;
const STRUCTURE_WORD = /^(?:i?gtv|itv|i?ctv|ptv|ring|opt|lung|heart|body|cord|eso|oar|prv|avoid|shell|skin|ext)/i;

const words = (n: NormalisedStructureName, list: readonly string[]) => n.words.some((w) => list.includes(w));

/** An organ from a normalised name: its entry, side and TG-263 name (a PRV suffix kept). */
function lookupOrgan(n: NormalisedStructureName): { entry: OrganEntry; side: Laterality | null; tg263: string } | null {
  let side = n.laterality;
  // "SpinalCord_PRV05", "Cord PRV 5mm": the organ, and the margin as TG-263 writes it.
  const prvAt = n.words.indexOf('prv');
  let key = n.key;
  let prv: string | null = null;
  if (prvAt > 0) {
    const after = n.words.slice(prvAt + 1);
    if (after.every((w) => /^\d+$/.test(w) || w === 'mm' || SIDE.has(w))) {
      const margin = after.find((w) => /^\d+$/.test(w));
      prv = margin ? `_PRV${margin.padStart(2, '0')}` : '_PRV';
      key = n.words
        .slice(0, prvAt)
        .filter((w) => !(n.laterality && SIDE.has(w)))
        .join('');
    }
  }
  let entry = organByKey(key);
  if (!entry) {
    const glued = splitGluedSide(key, (k) => organByKey(k)?.paired === true);
    if (glued && !side) {
      entry = organByKey(glued.key);
      side = glued.laterality;
    }
  }
  if (!entry) return null;
  if (!entry.paired) side = null;
  return { entry, side, tg263: organName(entry, side) + (prv ?? '') };
}
const SIDE = new Set(['l', 'lt', 'left', 'lft', 'r', 'rt', 'right', 'rgt']);

/** "A-B", "A - B", "A minus B": the two sides, or null. */
function minusParts(raw: string): [string, string] | null {
  const m = /^(.+?)(?:\s*-\s*|[\s_]+minus[\s_]+)(.+)$/i.exec(raw);
  return m && m[1] && m[2] ? [m[1], m[2]] : null;
}

function gtvTarget(n: NormalisedStructureName): 'primary' | 'nodal' | null {
  if (words(n, ['n', 'ln', 'node', 'nodes', 'nodal', 'lymph', 'ln1', 'ln2'])) return 'nodal';
  if (words(n, ['p', 'prim', 'primary', 'tumor', 'tumour'])) return 'primary';
  return null;
}

const BUILT_IN: readonly BuiltInRule[] = [
  {
    id: 'helper-prefix',
    description: 'A leading "_", or "z"/"x" before a separator, a capital or a structure word ("zGTV", "z_ITV", "_GTV"): not for evaluation (TG-263).',
    decide: (n) => {
      const raw = n.raw;
      if (raw.startsWith('_')) return { role: 'HELPER' };
      if (/^[zx][\s_.-]+\S/i.test(raw) || /^[zx][A-Z]/.test(raw) || /^[ZX][A-Z]/.test(raw) || (/^[zx]/i.test(raw) && STRUCTURE_WORD.test(raw.slice(1))))
        return { role: 'HELPER' };
      return null;
    },
  },
  {
    id: 'helper-expansion',
    description: 'An expansion: "+" and a number ("GTV+5"), or a margin in mm/cm ("GTV_5mm", "GTV-3 mm"); a PRV is not one.',
    decide: (n, lower) => {
      if (n.words.includes('prv')) return null;
      return /\+\s*\d/.test(lower) || /(^|[\s_-])\d+(\.\d+)?\s*(mm|cm)\b/.test(lower) ? { role: 'HELPER' } : null;
    },
  },
  {
    id: 'helper-keyword',
    description:
      'A helper word: ring, avoid, shell, expand, dvh, copy anywhere; or opt/optim, old, dummy, temp/tmp, block, hot, cold, overlap, dose/isodose as a word.',
    decide: (n, lower) =>
      /ring|avoid|shell|expand|dvh|copy/.test(lower) ||
      words(n, ['opt', 'optim', 'optimization', 'optimisation', 'old', 'dummy', 'temp', 'tmp', 'block', 'hot', 'cold', 'overlap', 'dose', 'isodose']) ||
      /^opt/.test(lower)
        ? { role: 'HELPER' }
        : null,
  },
  {
    id: 'helper-non-anatomic',
    description:
      'Not anatomy: couch, table, marker, fiducial, bb, artifact, bolus, clip, seed, override, contrast, implant, prosthesis, pacemaker, support, board.',
    decide: (n) =>
      n.words.some((w) =>
        /^(couch\w*|table|markers?|fiducials?|bb|artifacts?|artefacts?|bolus|clips?|seeds?|override|contrast|implants?|prosthesis|pacemaker|support|board)$/.test(
          w,
        ),
      )
        ? { role: 'HELPER' }
        : null,
  },
  {
    id: 'organ-minus-target',
    description: 'An organ minus a target ("Lungs-GTV", "Heart minus PTV"): the organ\'s role, TG-263 "Lungs-GTV".',
    decide: (n) => {
      const parts = minusParts(n.raw);
      if (!parts) return null;
      const [left, right] = parts;
      const found = TARGET.exec(right.toLowerCase());
      if (!found || TARGET.test(left.toLowerCase())) return null;
      const organ = lookupOrgan(normaliseStructureName(left));
      if (!organ) return null;
      const target = found[0] === 'igtv' ? 'ITV' : found[0].toUpperCase();
      return { role: organ.entry.role, tg263Name: `${organ.tg263}-${target}`, laterality: organ.side };
    },
  },
  {
    id: 'target-minus-target',
    description: 'A target minus a target ("PTV-GTV", "CTV - ITV"): a derived structure.',
    decide: (n) => {
      const parts = minusParts(n.raw);
      if (!parts) return null;
      return TARGET.test(parts[0].toLowerCase()) && TARGET.test(parts[1].toLowerCase()) ? { role: 'HELPER' } : null;
    },
  },
  { id: 'ptv', description: '"PTV" anywhere ("PTV", "PTV_5000", "PTVp").', decide: (_n, lower) => (lower.includes('ptv') ? { role: 'PTV' } : null) },
  { id: 'ctv', description: '"CTV" anywhere ("CTV", "CTV_60", "CTVn", "ICTV").', decide: (_n, lower) => (lower.includes('ctv') ? { role: 'CTV' } : null) },
  {
    id: 'itv',
    description: '"ITV" or "iGTV" anywhere ("ITV", "iGTV", "ITV_final").',
    decide: (_n, lower) => (/itv|igtv/.test(lower) ? { role: 'ITV' } : null),
  },
  {
    id: 'gtv',
    description: '"GTV" anywhere ("GTV", "GTVp", "GTV_1", "gtv primary", "GTV_50%", "GTVn", "GTV LN"); primary or nodal when a word says so.',
    decide: (n, lower) => (lower.includes('gtv') ? { role: 'GTV', target: gtvTarget(n) } : null),
  },
  ...(['body', 'lung', 'oar'] as const).map((id): BuiltInRule => ({
    id,
    description:
      id === 'body'
        ? 'The body outline: External, Body, Skin, Outline, Patient, Body_Contour (TG-263 "External").'
        : id === 'lung'
          ? 'A lung: Lung_L, Lung_R, "Lt Lung", "LUNG_RT", Lungs, "Lung Total", "Both Lungs" (TG-263 Lung_L, Lung_R, Lungs).'
          : 'An organ at risk with its TG-263 name: Heart, Esophagus, SpinalCord, SpinalCanal, Trachea, Bronchus, GreatVes, Liver, Kidney_L/R, …; a PRV of one ("SpinalCord_PRV05").',
    decide: (n) => {
      const organ = lookupOrgan(n);
      const role = id === 'body' ? 'BODY' : id === 'lung' ? 'LUNG' : 'OAR';
      return organ && organ.entry.role === role ? { role, tg263Name: organ.tg263, laterality: organ.side } : null;
    },
  })),
  { id: 'unknown', description: 'Anything else.', decide: () => ({ role: 'UNKNOWN' }) },
];

/** The built-in rules in order, as the admin page and docs list them. */
export const BUILT_IN_STRUCTURE_RULES: readonly { id: string; description: string }[] = BUILT_IN.map(({ id, description }) => ({ id, description }));

/**
 * The role of one structure name: the site's rules first (enabled ones, in order), then the
 * built-in rules (see the module comment). Never throws.
 */
export function assignStructureRole(name: string, site?: SiteRuleSet | null): StructureRoleResult {
  const n = normaliseStructureName(name);
  const lower = n.raw.toLowerCase();
  if (site) {
    for (const rule of site.rules) {
      if (!rule.enabled || !siteRuleMatches(rule, n.raw)) continue;
      const organ = rule.role === 'OAR' || rule.role === 'LUNG' || rule.role === 'BODY' ? lookupOrgan(n) : null;
      return {
        name: n.raw,
        role: rule.role,
        kind: kindOfRole(rule.role),
        phasePercent: rule.phasePercent ?? n.phasePercent,
        laterality: n.laterality,
        tg263Name: organ && organ.entry.role === rule.role ? organ.tg263 : null,
        target: rule.role === 'GTV' ? gtvTarget(n) : null,
        ruleId: rule.id,
        siteRuleVersion: site.version,
      };
    }
  }
  for (const rule of BUILT_IN) {
    const d = rule.decide(n, lower);
    if (!d) continue;
    return {
      name: n.raw,
      role: d.role,
      kind: kindOfRole(d.role),
      phasePercent: n.phasePercent,
      laterality: d.laterality !== undefined ? d.laterality : n.laterality,
      tg263Name: d.tg263Name ?? null,
      target: d.target ?? null,
      ruleId: rule.id,
      siteRuleVersion: null,
    };
  }
  // Not reached: the last rule matches everything.
  return {
    name: n.raw,
    role: 'UNKNOWN',
    kind: 'OTHER',
    phasePercent: n.phasePercent,
    laterality: n.laterality,
    tg263Name: null,
    target: null,
    ruleId: 'unknown',
    siteRuleVersion: null,
  };
}
