/**
 * The inter-observer stage of a run (docs/observers.md), after its metrics are persisted
 * (lib/server/runs/execute-segmentation-run.ts), for a study with two or more physician observers
 * of its ITV or of a phase's GTV:
 *   - physician vs physician, every unordered pair of observers (runId null: they do not depend
 *     on the run; the earlier-listed observer, the reference one first, is the reference side);
 *   - the machine against each physician;
 *   - the machine against the physicians' consensus: majority vote (strict: more than half of the
 *     observers; with two observers their intersection) and STAPLE (lib/core/consensus).
 * Every comparison is measured with the metric core (lib/core/metrics, conventions 'overlap',
 * 'voxel' and 'surfel', docs/metrics.md) and upserted into ObserverMetric by its key, so a rerun
 * writes the same rows. A physician structure on another grid than the machine's is left out.
 * Like the dose stage, a failure is logged and never fails the run that has succeeded.
 */
import type { Db } from '../db/client';
import type { Prisma } from '../db/generated/client';
import { sameGrid, type Grid } from '../../core/volume';
import { computeMetrics, toMetricRows, type MetricRow } from '../../core/metrics';
import { majorityVote, staple } from '../../core/consensus';

export interface MachineTarget {
  /** The MachineStructure id. */
  structureId: string;
  role: 'GTV' | 'ITV';
  mask: Uint8Array;
  grid: Grid;
  /** The CT series of a phase GTV (physician GTVs on it are compared); null for the ITV. */
  seriesId: string | null;
  phasePercent: number | null;
}

interface PhysicianRow {
  id: string;
  kind: string;
  seriesId: string;
  observer: string | null;
  referenceObserver: boolean;
  maskKey: string | null;
}

export interface ObserverMetricRow {
  key: string;
  runId: string | null;
  role: 'GTV' | 'ITV';
  phasePercent: number | null;
  comparison: 'physician-physician' | 'machine-physician' | 'machine-consensus';
  referenceStructureId: string | null;
  testStructureId: string | null;
  machineStructureId: string | null;
  consensus: 'majority' | 'staple' | null;
  observerCount: number;
  convention: MetricRow['convention'];
  values: Record<string, unknown>;
  nullReasons: Record<string, unknown>;
  toleranceMm: number | null;
  codeVersion: string;
}

/** One structure per observer (the reference observer first, then by observer, then by id): the structures of `kind` that match. */
export function observerStructures<T extends PhysicianRow>(rows: readonly T[], match: (r: T) => boolean): T[] {
  const byObserver = new Map<string, T>();
  const sorted = rows
    .filter((r) => r.maskKey && match(r))
    .sort(
      (a, b) => Number(b.referenceObserver) - Number(a.referenceObserver) || (a.observer ?? '').localeCompare(b.observer ?? '') || a.id.localeCompare(b.id),
    );
  for (const r of sorted) {
    const who = r.referenceObserver ? '\u0000reference' : `o:${r.observer ?? r.id}`;
    if (!byObserver.has(who)) byObserver.set(who, r);
  }
  return [...byObserver.values()];
}

/**
 * The rows of one target (pure): pairs, machine vs each, consensus. `physicians` are one mask per
 * observer on the target's grid, reference observer first.
 */
export function computeObserverRows(o: {
  runId: string;
  target: MachineTarget;
  physicians: readonly { id: string; mask: Uint8Array }[];
  codeVersion: string;
  toleranceMm?: number;
}): ObserverMetricRow[] {
  const { target, physicians, codeVersion } = o;
  const toleranceMm = o.toleranceMm ?? 2;
  const out: ObserverMetricRow[] = [];
  const measure = (
    reference: Uint8Array,
    test: Uint8Array,
    base: Omit<ObserverMetricRow, 'key' | 'convention' | 'values' | 'nullReasons' | 'toleranceMm'>,
    keyBase: string,
  ) => {
    const result = computeMetrics({ reference, test, grid: target.grid, toleranceMm, conventions: ['voxel', 'surfel'] });
    for (const row of toMetricRows({ result, grid: target.grid, codeVersion })) {
      out.push({
        ...base,
        key: `${keyBase}|${row.convention}`,
        convention: row.convention,
        values: row.values as Record<string, unknown>,
        nullReasons: row.nullReasons as Record<string, unknown>,
        toleranceMm: row.toleranceMm,
      });
    }
  };
  const common = { role: target.role, phasePercent: target.phasePercent, observerCount: physicians.length, codeVersion };
  for (let a = 0; a < physicians.length; a++)
    for (let b = a + 1; b < physicians.length; b++) {
      const ra = physicians[a]!,
        rb = physicians[b]!;
      measure(
        ra.mask,
        rb.mask,
        {
          ...common,
          runId: null,
          comparison: 'physician-physician',
          referenceStructureId: ra.id,
          testStructureId: rb.id,
          machineStructureId: null,
          consensus: null,
        },
        `pp|${ra.id}|${rb.id}`,
      );
    }
  for (const p of physicians)
    measure(
      p.mask,
      target.mask,
      {
        ...common,
        runId: o.runId,
        comparison: 'machine-physician',
        referenceStructureId: p.id,
        testStructureId: null,
        machineStructureId: target.structureId,
        consensus: null,
      },
      `mp|${p.id}|${target.structureId}`,
    );
  const masks = physicians.map((p) => p.mask);
  const consensus: { method: 'majority' | 'staple'; mask: () => Uint8Array }[] = [
    { method: 'majority', mask: () => majorityVote(masks) },
    { method: 'staple', mask: () => staple(masks).consensus },
  ];
  for (const c of consensus) {
    let mask: Uint8Array;
    try {
      mask = c.mask();
    } catch (e) {
      // STAPLE is undefined for an empty (or full) domain: nothing to compare with.
      console.error(`Run ${o.runId}: no ${c.method} consensus of the ${target.role}: ${(e as Error).message}`);
      continue;
    }
    measure(
      mask,
      target.mask,
      {
        ...common,
        runId: o.runId,
        comparison: 'machine-consensus',
        referenceStructureId: null,
        testStructureId: null,
        machineStructureId: target.structureId,
        consensus: c.method,
      },
      `mc|${c.method}|${physicians.map((p) => p.id).join(',')}|${target.structureId}`,
    );
  }
  return out;
}

export interface MeasureRunObserversOptions {
  db: Db;
  /** Reads a stored physician mask (the run's reader, lib/server/runs/read-run-volume.ts: checks its key). */
  readMask: (key: string, what: string) => Promise<{ grid: Grid; data: Uint8Array }>;
  runId: string;
  studyId: string;
  /** The run's machine ITV and phase GTVs. */
  targets: readonly MachineTarget[];
  codeVersion: string;
  toleranceMm?: number;
}

/** @returns the number of rows written (0 when the study has one observer, or on a failure, which is logged). */
export async function measureRunObservers(o: MeasureRunObserversOptions): Promise<number> {
  try {
    const physician: PhysicianRow[] = await o.db.physicianStructure.findMany({
      where: { studyId: o.studyId, kind: { in: ['GTV', 'ITV'] }, maskKey: { not: null } },
      select: { id: true, kind: true, seriesId: true, observer: true, referenceObserver: true, maskKey: true },
    });
    if (!physician.some((p) => !p.referenceObserver)) return 0;
    const rows: ObserverMetricRow[] = [];
    for (const target of o.targets) {
      const chosen = observerStructures(physician, (p) => p.kind === target.role && (target.seriesId === null || p.seriesId === target.seriesId));
      if (chosen.length < 2) continue;
      const masks: { id: string; mask: Uint8Array }[] = [];
      for (const p of chosen) {
        const m = await o.readMask(p.maskKey!, `physician ${target.role} structure ${p.id}`);
        if (sameGrid(m.grid, target.grid)) masks.push({ id: p.id, mask: m.data });
      }
      if (masks.length < 2) continue;
      rows.push(...computeObserverRows({ runId: o.runId, target, physicians: masks, codeVersion: o.codeVersion, toleranceMm: o.toleranceMm }));
    }
    await o.db.$transaction(async (tx) => {
      for (const r of rows) {
        const data = {
          ...r,
          studyId: o.studyId,
          values: r.values as Prisma.InputJsonValue,
          nullReasons: r.nullReasons as Prisma.InputJsonValue,
        };
        await tx.observerMetric.upsert({ where: { key: r.key }, create: data, update: data });
      }
    });
    return rows.length;
  } catch (e) {
    console.error(`Run ${o.runId}: the inter-observer metrics of study ${o.studyId} could not be computed: ${(e as Error).message}`);
    return 0;
  }
}
