/**
 * TG-263-style normalisation of a structure (ROI) name, the first step of the role rules
 * (assign-structure-role.ts; docs/structure-roles.md). Pure.
 *
 * AAPM TG-263 names are written as words in CamelCase joined by "_" (for example "SpinalCord",
 * "Lung_L", "SpinalCord_PRV05"), with the side as a "_L"/"_R" suffix. Names from planning
 * systems are written every other way ("Spinal Cord", "LUNG_LT", "Lt Lung", "lung-left"), so
 * before any rule looks at a name it is cut into lower-case words:
 * - separators (space, "_", "-", ".", "+", "%", …) split words;
 * - CamelCase splits ("SpinalCord" → spinal cord, "iGTV" → i gtv, "RtLung" → rt lung), and so
 *   does a target abbreviation before a lower-case tail ("GTVp" → gtv p, "PTVopt" → ptv opt);
 * - letters and digits split ("GTV1" → gtv 1, "PTV5000" → ptv 5000, "PRV05" → prv 05);
 * - the side is read from a word L/Lt/Left/R/Rt/Right (also glued to the end of a one-word name
 *   written all upper or lower case: "LUNGL", "lunglt");
 * - the respiratory phase is read as before (phase-from-name.ts).
 */
import { phaseFromName } from './phase-from-name';

export type Laterality = 'L' | 'R';

export interface NormalisedStructureName {
  /** The name as given, trimmed. */
  raw: string;
  /** Lower-case words in order (separators, CamelCase and letter/digit changes split). */
  words: string[];
  /** The words without the side word, joined with nothing ("spinalcord", "lung", "lungs"). */
  key: string;
  /** Side from a word L/Lt/Left/R/Rt/Right or a side glued to the end of the name; else null. */
  laterality: Laterality | null;
  /** Respiratory phase percent named in the name (see phase-from-name.ts), else null. */
  phasePercent: number | null;
}

const SIDE_WORDS: Record<string, Laterality> = { l: 'L', lt: 'L', left: 'L', lft: 'L', r: 'R', rt: 'R', right: 'R', rgt: 'R' };

/** Cut a name into lower-case words (see the module comment). */
export function splitStructureWords(name: string): string[] {
  const spaced = name
    // lower → Upper: SpinalCord, iGTV, RtLung
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    // a target abbreviation and a lower-case tail: GTVp, GTVn, CTVn, PTVopt, ITVfinal
    .replace(/(?<![A-Za-z])(I?GTV|ITV|I?CTV|PTV|PRV)(?=[a-z])/g, '$1 ')
    // an upper-case run before a capitalised word: GTVPrimary → GTV Primary
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    // letters ↔ digits: GTV1, PTV5000, PRV05, Marker1
    .replace(/([A-Za-z])(\d)/g, '$1 $2')
    .replace(/(\d)([A-Za-z])/g, '$1 $2');
  return spaced
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Normalise one name (see the module comment). */
export function normaliseStructureName(name: string): NormalisedStructureName {
  const raw = name.trim();
  const words = splitStructureWords(raw);
  let laterality: Laterality | null = null;
  const rest: string[] = [];
  // A side word counts only beside another word ("L" alone is not a structure).
  for (const w of words) {
    const side = words.length > 1 ? SIDE_WORDS[w] : undefined;
    if (side && laterality === null) laterality = side;
    else rest.push(w);
  }
  return { raw, words, key: rest.join(''), laterality, phasePercent: phaseFromName(raw) };
}

/**
 * A side glued to the end of a one-word key ("lungl", "lunglt", "kidneyright"): the key without
 * it and the side, when the rest is in `known`; else null.
 */
export function splitGluedSide(key: string, known: (k: string) => boolean): { key: string; laterality: Laterality } | null {
  for (const [suffix, side] of [
    ['left', 'L'],
    ['right', 'R'],
    ['lt', 'L'],
    ['rt', 'R'],
    ['l', 'L'],
    ['r', 'R'],
  ] as const) {
    if (key.length > suffix.length + 2 && key.endsWith(suffix) && known(key.slice(0, -suffix.length)))
      return { key: key.slice(0, -suffix.length), laterality: side };
  }
  return null;
}
