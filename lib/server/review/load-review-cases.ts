/**
 * The review cases: every study with a succeeded segmentation run, its latest such run's key
 * numbers, its decisions (newest first), ranked by the chosen criterion. Shared by the queue,
 * the presenter view (previous / next) and the tests; callers authorise and audit. The study
 * description is DICOM free text: as stored only when `identified` (the callers audit that view),
 * else "CT study" (lib/server/deid/present-free-text.ts).
 */
import type { Db } from '../db/client';
import { KEY_NUMBERS_SELECT, keyNumbersOfRuns } from './read-run-key-numbers';
import type { CaseKeyNumbers } from '@/lib/core/review/case-key-numbers';
import { rankReviewCases, type ReviewCriterion } from '@/lib/core/review/rank-review-cases';
import type { ReviewDecisionKind } from './review.types';
import { presentStudyDescription } from '../deid/present-free-text';

export interface ReviewDecisionView {
  id: string;
  decision: ReviewDecisionKind;
  comment: string | null;
  meeting: string | null;
  reviewerName: string;
  createdAt: Date;
  runId: string | null;
  /** Whether the decision was about the run now shown (a newer run supersedes it). */
  forCurrentRun: boolean;
  /** A correction: the decision it replaces, and why. */
  supersedesId: string | null;
  correctionReason: string | null;
  /** The correction that replaced this decision (the decision is kept, but is no longer current). */
  supersededById: string | null;
}

export interface ReviewCase {
  studyId: string;
  patientId: string;
  pseudonym: string;
  /** Only for roles with identifiers:view; otherwise undefined (never fetched). */
  identity?: { name: string | null; mrn: string | null };
  /** DICOM StudyDescription for roles with identifiers:view, else "CT study" (never the stored text). */
  studyDescription: string | null;
  runId: string;
  runFinishedAt: Date | null;
  model: { name: string; version: string; sha256: string };
  numbers: CaseKeyNumbers | null;
  /** Newest first. */
  decisions: ReviewDecisionView[];
  /** No decision yet for the current run. */
  undecided: boolean;
  /** 1-based position in the full ranked queue (before any filter). */
  rank: number;
}

export async function loadReviewCases(
  db: Db,
  {
    criterion,
    identified,
    studyIds,
    withPhases = true,
  }: {
    criterion: ReviewCriterion;
    identified: boolean;
    studyIds?: string[];
    /**
     * Read each run's phase rows too (false: the summary row only). The ranking and the numbers
     * need only the summary row; the phases only word the flags per phase (flagDetails), so the
     * queue reads them for the page it shows (find-review-queue.ts) rather than for every study.
     */
    withPhases?: boolean;
  },
): Promise<ReviewCase[]> {
  const runs = await db.segmentationRun.findMany({
    where: { status: 'SUCCEEDED', ...(studyIds ? { studyId: { in: studyIds } } : {}) },
    select: {
      id: true,
      studyId: true,
      finishedAt: true,
      queuedAt: true,
      ...(withPhases ? KEY_NUMBERS_SELECT : { summary: true }),
      modelVersion: { select: { name: true, version: true, sha256: true } },
    },
    // Latest run first: by finish time, then queue time (a run without finishedAt counts as oldest).
    orderBy: [{ finishedAt: { sort: 'desc', nulls: 'last' } }, { queuedAt: 'desc' }, { id: 'desc' }],
  });
  const latestRun = new Map<string, (typeof runs)[number]>();
  for (const r of runs) if (!latestRun.has(r.studyId)) latestRun.set(r.studyId, r);
  const ids = [...latestRun.keys()];
  if (ids.length === 0) return [];
  // Relation filters rather than `id IN (…thousands…)` when the whole queue is wanted.
  const studyWhere = studyIds ? { id: { in: ids } } : { runs: { some: { status: 'SUCCEEDED' as const } } };
  const [studies, decisions, numbers] = await Promise.all([
    db.study.findMany({
      where: studyWhere,
      // Same pseudonym, same numbers (two studies of one patient): the study id keeps the order fixed.
      orderBy: { id: 'asc' },
      select: {
        id: true,
        description: true,
        patient: { select: { id: true, pseudonym: true, ...(identified ? { identity: { select: { name: true, mrn: true } } } : {}) } },
      },
    }),
    db.reviewDecision.findMany({
      where: studyIds ? { studyId: { in: ids } } : { study: studyWhere },
      select: {
        id: true,
        studyId: true,
        runId: true,
        decision: true,
        comment: true,
        meeting: true,
        createdAt: true,
        reviewer: { select: { name: true } },
        supersedesId: true,
        correctionReason: true,
        supersededBy: { select: { id: true } },
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    }),
    keyNumbersOfRuns([...latestRun.values()].map((r) => ({ id: r.id, summary: r.summary ? { phases: [], ...r.summary } : null }))),
  ]);
  const decisionsByStudy = new Map<string, ReviewDecisionView[]>();
  for (const d of decisions) {
    if (!latestRun.has(d.studyId)) continue;
    const list = decisionsByStudy.get(d.studyId) ?? [];
    list.push({
      id: d.id,
      decision: d.decision,
      comment: d.comment,
      meeting: d.meeting,
      reviewerName: d.reviewer.name,
      createdAt: d.createdAt,
      runId: d.runId,
      forCurrentRun: d.runId === latestRun.get(d.studyId)!.id,
      supersedesId: d.supersedesId,
      correctionReason: d.correctionReason,
      supersededById: d.supersededBy?.id ?? null,
    });
    decisionsByStudy.set(d.studyId, list);
  }
  // A run that succeeded between the two queries: its study waits for the next load.
  const cases = studies
    .filter((s) => latestRun.has(s.id))
    .map((s) => {
      const run = latestRun.get(s.id)!;
      const list = decisionsByStudy.get(s.id) ?? [];
      const identity = (s.patient as { identity?: { name: string | null; mrn: string | null } | null }).identity;
      return {
        studyId: s.id,
        patientId: s.patient.id,
        pseudonym: s.patient.pseudonym,
        ...(identified ? { identity: { name: identity?.name ?? null, mrn: identity?.mrn ?? null } } : {}),
        studyDescription: presentStudyDescription(s.description, { identified }),
        runId: run.id,
        runFinishedAt: run.finishedAt,
        model: run.modelVersion,
        numbers: numbers.get(run.id) ?? null,
        decisions: list,
        undecided: !list.some((d) => d.forCurrentRun && !d.supersededById),
        rank: 0,
      } satisfies ReviewCase;
    });
  return rankReviewCases(cases, criterion).map((c, i) => ({ ...c, rank: i + 1 }));
}
