/**
 * A study's physician observers and its inter-observer metrics, for the study page
 * (docs/observers.md): who contoured the GTV/ITV (the reference observer first), and for the ITV
 * and the mean over the phase GTVs, physician vs physician beside the machine (latest succeeded
 * run) vs each physician and vs their consensus. Observer names are DICOM free text (OperatorsName
 * or an ROI-name suffix): callers with identifiers:view see them as stored (audited, as every
 * identifier shown), everyone else a keyed pseudonym ("Physician K7Q2MX",
 * lib/server/deid/present-free-text.ts), the same as the study's physician pseudonym where the
 * observer is that physician. Null when the study has one observer.
 */
import type { Db } from '../db/client';
import { authorize, type Caller } from '../auth/roles';
import { AppError } from '../errors';
import { freeTextPresenter } from '../deid/present-free-text';
import { recordAuditEvent } from '../audit/record-audit-event';

export interface StudyObserver {
  /** Index in `observers` (0 = reference). */
  index: number;
  /** As the caller may see it; "Observer n" when no name was recorded. */
  label: string;
  reference: boolean;
  /** Physician GTV/ITV structures drawn by this observer. */
  structures: number;
}

export interface ObserverComparisonRow {
  comparison: 'physician-physician' | 'machine-physician' | 'machine-consensus';
  /** "Physician A vs Physician B", "Machine vs Physician A", "Machine vs majority vote (2 observers)". */
  label: string;
  /** ITV values, or means over the phase GTVs (with `phases` how many). */
  dice: number | null;
  hd95Mm: number | null;
  meanSurfaceDistanceMm: number | null;
  surfaceDice: number | null;
  phases: number;
}

export interface StudyObservers {
  observers: StudyObserver[];
  runId: string | null;
  itv: ObserverComparisonRow[];
  gtv: ObserverComparisonRow[];
}

type MetricRow = {
  runId: string | null;
  role: string;
  comparison: string;
  referenceStructureId: string | null;
  testStructureId: string | null;
  consensus: string | null;
  observerCount: number;
  convention: string;
  values: unknown;
};

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export async function getStudyObservers(db: Db, o: { caller: Caller; studyId: string }): Promise<StudyObservers | null> {
  const who = authorize(o.caller, 'studies:view');
  const study = await db.study.findUnique({
    where: { id: o.studyId },
    select: {
      id: true,
      patientId: true,
      physicianStructures: { where: { kind: { in: ['GTV', 'ITV'] } }, select: { id: true, observer: true, referenceObserver: true } },
    },
  });
  if (!study) throw new AppError('NOT_FOUND', `Study ${o.studyId} does not exist (deleted, or a wrong link).`);
  if (!study.physicianStructures.some((p) => !p.referenceObserver)) return null;

  const present = await freeTextPresenter(db, who);
  // Observers: the reference one first, then the others by stored name.
  const keyOf = (p: { observer: string | null; referenceObserver: boolean }) => (p.referenceObserver ? '\u0000' : `o:${p.observer ?? ''}`);
  const groups = new Map<string, { observer: string | null; reference: boolean; ids: string[] }>();
  for (const p of [...study.physicianStructures].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    const g = groups.get(keyOf(p)) ?? { observer: p.observer, reference: p.referenceObserver, ids: [] };
    g.ids.push(p.id);
    groups.set(keyOf(p), g);
  }
  const observers: StudyObserver[] = [...groups.values()].map((g, index) => ({
    index,
    label: (g.observer ? present.physician(g.observer) : null) ?? `Observer ${index + 1}`,
    reference: g.reference,
    structures: g.ids.length,
  }));
  const observerOf = new Map<string, StudyObserver>();
  [...groups.values()].forEach((g, n) => g.ids.forEach((id) => observerOf.set(id, observers[n]!)));
  if (present.identified && [...groups.values()].some((g) => g.observer))
    await recordAuditEvent(db, { action: 'study.observers.view', caller: who, patientId: study.patientId, target: `study:${study.id}` });

  const run = await db.segmentationRun.findFirst({
    where: { studyId: study.id, status: 'SUCCEEDED' },
    orderBy: [{ finishedAt: 'desc' }, { id: 'desc' }],
    select: { id: true },
  });
  const rows: MetricRow[] = await db.observerMetric.findMany({
    where: { studyId: study.id, OR: [{ runId: null }, ...(run ? [{ runId: run.id }] : [])] },
    orderBy: [{ comparison: 'asc' }, { key: 'asc' }],
  });
  return { observers, runId: run?.id ?? null, itv: summariseRows(rows, 'ITV', observerOf), gtv: summariseRows(rows, 'GTV', observerOf) };
}

/** One line per comparison (pair, observer, consensus), values averaged over the phases for GTVs. */
function summariseRows(rows: readonly MetricRow[], role: 'GTV' | 'ITV', observerOf: Map<string, StudyObserver>): ObserverComparisonRow[] {
  const name = (id: string | null) => (id ? (observerOf.get(id)?.label ?? 'a removed structure') : '?');
  const lines = new Map<string, { comparison: ObserverComparisonRow['comparison']; label: string; values: Record<string, number[]> }>();
  for (const r of rows) {
    if (r.role !== role || (r.convention !== 'overlap' && r.convention !== 'voxel')) continue;
    const comparison = r.comparison as ObserverComparisonRow['comparison'];
    const label =
      comparison === 'physician-physician'
        ? `${name(r.referenceStructureId)} vs ${name(r.testStructureId)}`
        : comparison === 'machine-physician'
          ? `Machine vs ${name(r.referenceStructureId)}`
          : `Machine vs ${r.consensus === 'staple' ? 'STAPLE consensus' : 'majority vote'} (${r.observerCount} observers)`;
    const line = lines.get(label) ?? { comparison, label, values: {} };
    const v = (r.values ?? {}) as Record<string, unknown>;
    const add = (field: string, value: unknown) => {
      const x = num(value);
      if (x !== null) (line.values[field] ??= []).push(x);
    };
    if (r.convention === 'overlap') {
      add('dice', v.dice);
      add('phases', 1);
    } else {
      add('hd95Mm', v.hd95Mm);
      add('meanSurfaceDistanceMm', v.meanSurfaceDistanceMm);
      add('surfaceDice', v.surfaceDice);
    }
    lines.set(label, line);
  }
  const mean = (xs: number[] | undefined) => (xs && xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const order = { 'physician-physician': 0, 'machine-physician': 1, 'machine-consensus': 2 } as const;
  return [...lines.values()]
    .sort((a, b) => order[a.comparison] - order[b.comparison] || a.label.localeCompare(b.label))
    .map((l) => ({
      comparison: l.comparison,
      label: l.label,
      dice: mean(l.values.dice),
      hd95Mm: mean(l.values.hd95Mm),
      meanSurfaceDistanceMm: mean(l.values.meanSurfaceDistanceMm),
      surfaceDice: mean(l.values.surfaceDice),
      phases: l.values.phases?.length ?? 0,
    }));
}
