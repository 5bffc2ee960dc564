/**
 * Who drew each physician structure (docs/observers.md, "Observers"). Pure: no I/O.
 *
 * - An ROI name with an observer suffix on a GTV or ITV ("GTV_dr2", "ITV (obs B)", "GTV_20% obs2")
 *   is that observer's structure ("dr2", "obsB", "obs2"); its role comes from the name without the
 *   suffix. The suffix is a separator, then dr / obs / observer, then one letter or up to three
 *   digits; only on names whose remainder is a GTV or ITV, so "Heart_Drain" is never an observer.
 * - Otherwise the structure set's OperatorsName (0008,1070) names the observer, when written.
 * - One observer is the study's reference (the one the machine is compared with, MetricResult):
 *   structures without an observer suffix, from the structure sets with no OperatorsName when
 *   there are any, else those whose OperatorsName is the study's ReferringPhysicianName, else
 *   those of the first structure set read. An import with one observer is therefore all
 *   reference, as before observers existed.
 */
import type { StructureKindName } from '@/lib/core/structures';

export interface ObserverSuffix {
  /** The name without the suffix ("GTV_dr2" → "GTV"). */
  base: string;
  /** Normalised observer id: lower-case prefix + id ("dr2", "obsB"). */
  observer: string;
}

const SUFFIX = [
  // "ITV (obs B)", "GTV (dr. 2)", "GTV [observer 3]"
  /^(.*\S)\s*[([]\s*(dr|obs|observer)\.?[\s_-]*([a-z]|\d{1,3})\s*[)\]]$/i,
  // "GTV_dr2", "GTV obs B", "GTV-observer-3"
  /^(.*\S)[\s_-]+(dr|obs|observer)\.?[\s_-]*([a-z]|\d{1,3})$/i,
];

/**
 * The observer suffix of an ROI name, when it has one and the rest of the name is a GTV or ITV
 * (as `classify` says); null otherwise.
 */
export function observerSuffix(name: string, classify: (name: string) => StructureKindName): ObserverSuffix | null {
  const trimmed = name.trim();
  for (const re of SUFFIX) {
    const m = re.exec(trimmed);
    if (!m) continue;
    const base = m[1]!.replace(/[\s_-]+$/, '');
    const kind = classify(base);
    if (kind !== 'GTV' && kind !== 'ITV') return null;
    const prefix = m[2]!.toLowerCase() === 'observer' ? 'obs' : m[2]!.toLowerCase();
    return { base, observer: `${prefix}${m[3]!.toUpperCase()}` };
  }
  return null;
}

/** The observer of a structure set from its OperatorsName (trimmed; null when empty). */
export function structureSetObserver(operatorsName: string | undefined | null): string | null {
  const v = operatorsName?.replace(/\s+/g, ' ').trim();
  return v ? v : null;
}

/**
 * Which structure-set observer is the reference (see the file comment): null (no OperatorsName)
 * when any set has none, else the one equal to the study's referring physician, else the first.
 * `observers` are the sets' observers in the order they were read.
 */
export function chooseReferenceObserver(observers: readonly (string | null)[], referringPhysician: string | null): string | null {
  if (observers.length === 0 || observers.includes(null)) return null;
  const norm = (s: string) =>
    s
      .replace(/[\^\s]+/g, ' ')
      .trim()
      .toLowerCase();
  const referring = referringPhysician ? norm(referringPhysician) : null;
  return (referring ? observers.find((o) => o !== null && norm(o) === referring) : undefined) ?? observers[0]!;
}

/**
 * An observer named at import (`iseg-qa import --observer NAME`): every structure of the import
 * that has no observer suffix is that observer's (instead of its structure set's OperatorsName),
 * and, within the import, the reference one; a merge into a stored study then compares it with the
 * stored reference observer (merge-study.ts). Blank or absent: nothing changes.
 */
export function applyExplicitObserver<T extends { name: string; observer?: string | null; referenceObserver?: boolean }>(
  structures: T[],
  observer: string | undefined | null,
  hasSuffix: (name: string) => boolean,
): void {
  const name = structureSetObserver(observer);
  if (!name) return;
  for (const s of structures) {
    if (hasSuffix(s.name)) continue;
    s.observer = name;
    s.referenceObserver = true;
  }
}

/** Longest observer name accepted at import (a DICOM PN component group holds 64 characters). */
export const MAX_OBSERVER_NAME_LENGTH = 64;

/**
 * The observer named at import (`iseg-qa import --observer`, the Import page's "Observer" field),
 * checked: whitespace runs become one space; blank means none (undefined); otherwise 1 to 64
 * characters, no control characters and no backslash (DICOM's value separator). An Error message
 * names the rule and what to enter.
 */
export function checkObserverName(input: string | undefined | null): { name: string | undefined } | { error: string } {
  const name = structureSetObserver(input);
  if (!name) return { name: undefined };
  if (name.length > MAX_OBSERVER_NAME_LENGTH)
    return {
      error: `The observer "${name.slice(0, 40)}…" is ${name.length} characters long; at most ${MAX_OBSERVER_NAME_LENGTH} are accepted: enter the physician's name or initials (e.g. "Dr Smith" or "obs B").`,
    };
  if (/[\p{Cc}\\]/u.test(name))
    return { error: `The observer ${JSON.stringify(name)} contains a control character or a backslash: enter the physician's name or initials only.` };
  return { name };
}
