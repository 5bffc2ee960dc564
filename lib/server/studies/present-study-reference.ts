/**
 * Which physician structures of a study are the reference the machine contours are measured
 * against, as the study viewer says it: recognised from the ROI names (classify-structure.ts),
 * chosen by a physicist (choose-reference-structure.ts), or none, with the structures a
 * physicist may choose from. Names go through the caller's free-text presenter (the ROI names as
 * stored only for identifiers:view, audited by the caller of this function). Pure.
 */
export interface ReferenceStructureView {
  id: string;
  /** As this caller may see it. */
  name: string;
  kind: 'GTV' | 'ITV' | 'OTHER';
  phaseIndex: number | null;
  phasePercent: number | null;
  /** Set by a physicist in the viewer rather than recognised from the name. */
  chosen: boolean;
}

export interface StudyReference {
  /** 'recognised' from the names; 'chosen' when a physicist set any of them; 'none' without a GTV or ITV. */
  status: 'recognised' | 'chosen' | 'none';
  /** The reference GTVs and ITV(s). */
  structures: ReferenceStructureView[];
  /** Every physician structure with a mask (what a physicist can choose from). */
  candidates: ReferenceStructureView[];
  /** The caller holds studies:choose-reference. */
  canChoose: boolean;
}

export interface StructureForView {
  id: string;
  name: string;
  kind: 'GTV' | 'ITV' | 'OTHER';
  phaseIndex: number | null;
  phasePercent: number | null;
  interpretedType: string | null;
  maskKey: string | null;
  kindChosenAt: Date | null;
}

export function presentStudyReference(
  structures: readonly StructureForView[],
  { name, canChoose }: { name: (s: StructureForView) => string; canChoose: boolean },
): StudyReference {
  const view = (s: StructureForView): ReferenceStructureView => ({
    id: s.id,
    name: name(s),
    kind: s.kind,
    phaseIndex: s.phaseIndex,
    phasePercent: s.phasePercent,
    chosen: s.kindChosenAt !== null,
  });
  const withMask = structures.filter((s) => s.maskKey);
  const refs = withMask
    .filter((s) => s.kind !== 'OTHER')
    .sort((a, b) => (a.kind === b.kind ? (a.phaseIndex ?? -1) - (b.phaseIndex ?? -1) : a.kind === 'GTV' ? -1 : 1));
  const status: StudyReference['status'] = refs.length === 0 ? 'none' : structures.some((s) => s.kindChosenAt !== null) ? 'chosen' : 'recognised';
  return { status, structures: refs.map(view), candidates: withMask.map(view), canChoose };
}
