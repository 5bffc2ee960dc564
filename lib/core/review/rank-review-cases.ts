/**
 * Orders review cases by discordance. The criterion picks the number that matters most to the
 * meeting; the other two break ties, then the pseudonym, so the order is total and stable.
 * Cases without the criterion's number (no physician ITV, run without metrics) are not ranked:
 * they go last, in pseudonym order, and say why on the page.
 */
import type { CaseKeyNumbers } from './case-key-numbers';

export const REVIEW_CRITERIA = ['low-dice', 'large-fp', 'distant-fp'] as const;
export type ReviewCriterion = (typeof REVIEW_CRITERIA)[number];

export const REVIEW_CRITERION_LABELS: Record<ReviewCriterion, string> = {
  'low-dice': 'Lowest ITV Dice first',
  'large-fp': 'Largest ITV false-positive volume (cc) first',
  'distant-fp': 'Most distant false-positive region (mm) first',
};

export interface RankableCase {
  pseudonym: string;
  numbers: CaseKeyNumbers | null;
}

/** The value a criterion sorts on, oriented so that larger = more discordant; null = not ranked. */
export function discordanceScore(numbers: CaseKeyNumbers | null, criterion: ReviewCriterion): number | null {
  if (!numbers) return null;
  switch (criterion) {
    case 'low-dice':
      return numbers.itvDice === null ? null : -numbers.itvDice;
    case 'large-fp':
      return numbers.itvFpCc;
    case 'distant-fp':
      return numbers.maxFpDistanceMm;
  }
}

const TIE_BREAK: Record<ReviewCriterion, ReviewCriterion[]> = {
  'low-dice': ['low-dice', 'large-fp', 'distant-fp'],
  'large-fp': ['large-fp', 'distant-fp', 'low-dice'],
  'distant-fp': ['distant-fp', 'large-fp', 'low-dice'],
};

function compareScores(a: number | null, b: number | null): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1; // not ranked: after every ranked case
  if (b === null) return -1;
  return b - a; // more discordant first
}

/** A sorted copy; the input is not changed. */
export function rankReviewCases<T extends RankableCase>(cases: readonly T[], criterion: ReviewCriterion): T[] {
  const order = TIE_BREAK[criterion];
  return [...cases].sort((a, b) => {
    for (const c of order) {
      const d = compareScores(discordanceScore(a.numbers, c), discordanceScore(b.numbers, c));
      if (d !== 0) return d;
    }
    return a.pseudonym < b.pseudonym ? -1 : a.pseudonym > b.pseudonym ? 1 : 0;
  });
}

/** Parses a criterion from a search parameter; unknown or missing → 'low-dice'. */
export function parseReviewCriterion(v: string | null | undefined): ReviewCriterion {
  return (REVIEW_CRITERIA as readonly string[]).includes(v ?? '') ? (v as ReviewCriterion) : 'low-dice';
}
