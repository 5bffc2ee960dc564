/**
 * One segmentation run, as the worker executes it, in stages (docs/architecture.md, "Run pipeline"):
 *   claim (claim-segmentation-run.ts) → segment every phase into a GTV (segment-run-phases.ts) →
 *   ITV = union of the phase GTVs (store-run-itv.ts) → for each physician structure to compare
 *   (find-metric-pairs.ts): read its mask, then the metric rows (pure, lib/core/runs/
 *   compute-run-metrics.ts) → the run's summary (pure, same file) → persist metric rows, summary
 *   and SUCCEEDED in one transaction (persist-run-results.ts) → when the study has a dose, the dose
 *   metrics of the run's regions (measure-run-dose.ts; never fails the succeeded run) → when the
 *   study has several physician observers, the inter-observer metrics (lib/server/observers/
 *   measure-run-observers.ts; never fails the succeeded run either).
 *
 * Idempotent and resumable: machine structures are keyed (run, label) and metric rows
 * (reference, test, convention), so a retry after a crash skips phases already stored and
 * overwrites nothing with different numbers. State changes are compare-and-set on the run row.
 * The abort signal is checked between phases, between metric pairs and, inside `segment`,
 * between patches. A failed attempt is recorded on the run (record-run-failure.ts) and rethrown.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { sameGrid } from '../../core/volume';
import { computePairMetrics, computeRunSummary, type PairMetrics } from '../../core/runs/compute-run-metrics';
import { claimSegmentationRun } from './claim-segmentation-run';
import { findMetricPairs } from './find-metric-pairs';
import { persistRunResults } from './persist-run-results';
import { measureRunDose } from './measure-run-dose';
import { measureRunObservers, type MachineTarget } from '../observers/measure-run-observers';
import { readRunMask } from './read-run-volume';
import { recordRunFailure } from './record-run-failure';
import { throwIfRunAborted } from './run-error';
import { segmentRunPhases, type SegmentFn } from './segment-run-phases';
import { storeRunItv } from './store-run-itv';
import { trackRunProgress } from './track-run-progress';

export { RunError } from './run-error';
export type { SegmentFn } from './segment-run-phases';

export interface ExecuteSegmentationRunOptions {
  db: Db;
  store: VolumeStore;
  runId: string;
  segment: SegmentFn;
  /** The attempt number pg-boss reports (1 = first), and how many there will be in all. */
  attempt: number;
  maxAttempts: number;
  codeVersion: string;
  signal?: AbortSignal;
  /** Surface Dice tolerance (mm); default 2. */
  toleranceMm?: number;
  /** The worker executing it (WorkerInstance id), recorded on the run when it is claimed. */
  workerId?: string;
  /**
   * The model `segment` runs. A run of any other model version (name or sha256 differ) is
   * refused before it is claimed, with RunError MODEL_MISMATCH: a run is only ever executed by
   * its own model (the per-model queues route it; this is the check behind them).
   */
  expectedModel?: { name: string; sha256: string };
  /** Called after each stage is recorded on the run row (reading, segmenting, ITV, metrics, writing results). */
  onStage?: (stage: string) => Promise<void> | void;
  /**
   * Called once the run succeeded, with the wall and CPU milliseconds of every step (the keys of
   * the run row's timings, plus `persist`, `dose` and `observers`, which come after that row is
   * written). For bench:pipeline's per-stage table.
   */
  onTimings?: (t: { wallMs: Record<string, number>; cpuMs: Record<string, number> }) => void;
}

export type RunOutcome = 'succeeded' | 'already-finished' | 'cancelled';

export async function executeSegmentationRun(o: ExecuteSegmentationRunOptions): Promise<RunOutcome> {
  const { db, store, runId, signal } = o;
  const claim = await claimSegmentationRun(o);
  if ('outcome' in claim) return claim.outcome;
  const { studyId } = claim.claimed;
  const progress = trackRunProgress({ db, runId, timings: claim.claimed.timings as Record<string, number>, onStage: o.onStage });
  try {
    const phases = await segmentRunPhases({ db, store, runId, studyId, segment: o.segment, progress, signal });
    const late = phases.length / (phases.length + 1); // the progress bar's share for the stages after segmentation
    await progress.enterStage(late, 'ITV');
    const itv = await storeRunItv({ db, store, runId, phases, progress });

    const measured: PairMetrics[] = [];
    for (const { reference, test } of await findMetricPairs({ db, studyId, phases, itv })) {
      throwIfRunAborted(signal);
      await progress.enterStage(late, `metrics ${reference.kind}`);
      // By id: the ROI name is DICOM free text (docs/security.md), never copied into run rows.
      const mask = await progress.time(`reference:${reference.id}:read`, () =>
        readRunMask({ store, key: reference.maskKey, what: `physician ${reference.kind} structure ${reference.id}` }),
      );
      if (!sameGrid(mask.grid, test.grid)) continue; // a planning-CT GTV on another grid is not comparable voxel-wise
      const pair = { reference: { ...reference, mask: mask.data, sha256: reference.maskSha256 }, test, grid: test.grid };
      measured.push(
        await progress.time(`metrics:${reference.id}`, async () => computePairMetrics(pair, { codeVersion: o.codeVersion, toleranceMm: o.toleranceMm })),
      );
    }

    await progress.enterStage(late, 'writing results');
    const summary = await progress.time('summary', async () => computeRunSummary({ grid: itv.grid, phases, itv, measured }));
    const timings = { ...progress.timings };
    const outcome = await progress.time('persist', () => persistRunResults({ db, runId, studyId, measured, summary, timings }));
    if (outcome === 'succeeded') {
      await progress.time('dose', () => measureRunDose({ db, store, runId, studyId, codeVersion: o.codeVersion }));
      const targets: MachineTarget[] = [
        { structureId: itv.structureId, role: 'ITV', mask: itv.mask, grid: itv.grid, seriesId: null, phasePercent: null },
        ...phases.map((g) => ({
          structureId: g.structureId,
          role: 'GTV' as const,
          mask: g.mask,
          grid: g.grid,
          seriesId: g.seriesId,
          phasePercent: g.phasePercent,
        })),
      ];
      const readMask = (key: string, what: string) => readRunMask({ store, key, what });
      await progress.time('observers', () =>
        measureRunObservers({ db, readMask, runId, studyId, targets, codeVersion: o.codeVersion, toleranceMm: o.toleranceMm }),
      );
      o.onTimings?.({ wallMs: { ...progress.timings }, cpuMs: { ...progress.cpu } });
    }
    return outcome;
  } catch (e) {
    await recordRunFailure({ db, runId, error: e, attempt: o.attempt, maxAttempts: o.maxAttempts, timings: progress.timings });
    throw e;
  }
}
