/**
 * One segmentation run, as the worker executes it:
 *   every phase → GTV (the injected `segment`, i.e. the model) → ITV = union of phase GTVs →
 *   metrics against the physician GTV of the same phase and the physician ITV → discordance
 *   regions → result rows.
 *
 * Idempotent and resumable: machine structures are keyed (run, label) and metric rows
 * (reference, test, convention), so a retry after a crash skips phases already stored and
 * overwrites nothing with different numbers. State changes are compare-and-set on the run row.
 * The abort signal is checked between phases and, inside `segment`, between patches.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { putNiftiVolume } from '../storage/volume-store';
import { parseNifti } from '../../nifti';
import type { Grid, Mask, Volume, VoxelArray } from '../../core/volume';
import { sameGrid, voxelVolumeCc } from '../../core/volume';
import { computeItv, computeMetrics, findDiscordanceRegions, toMetricRows } from '../../core/metrics';
import { buildRunSummary, type DiscordanceValues, type MetricValues, type RunSummaryPhaseInput } from '../../core/stats/run-summary';
import { runSummaryCreate } from './run-summary.types';

export type SegmentFn = (
  ct: Volume<VoxelArray>,
  options: { signal?: AbortSignal; onProgress?: (fraction: number) => void },
) => Promise<{ mask: Mask; timingsMs: Record<string, number> }>;

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
  /** Surface Dice tolerance (mm). */
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
}

export type RunOutcome = 'succeeded' | 'already-finished' | 'cancelled';

export class RunError extends Error {
  constructor(
    readonly code: 'RUN_NOT_FOUND' | 'NO_CT' | 'PHASE_GRIDS_DIFFER' | 'VOLUME_UNREADABLE' | 'MODEL_MISMATCH',
    message: string,
  ) {
    super(message);
  }
}

function countVoxels(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) n++;
  return n;
}

export async function executeSegmentationRun(o: ExecuteSegmentationRunOptions): Promise<RunOutcome> {
  const { db, store, runId } = o;
  const run = await db.segmentationRun.findUnique({ where: { id: runId } });
  if (!run) throw new RunError('RUN_NOT_FOUND', `Segmentation run ${runId} does not exist (deleted?).`);
  if (run.status === 'SUCCEEDED') return 'already-finished';
  if (run.status === 'CANCELLED') return 'cancelled';
  if (o.expectedModel) {
    const mv = await db.modelVersion.findUniqueOrThrow({ where: { id: run.modelVersionId } });
    if (mv.sha256 !== o.expectedModel.sha256 || mv.name !== o.expectedModel.name) {
      throw new RunError('MODEL_MISMATCH', `Run ${runId} is for model ${mv.name} ${mv.version} (sha256 ${mv.sha256}) but this worker serves ${o.expectedModel.name} (sha256 ${o.expectedModel.sha256}): refused, not executed.`);
    }
  }

  // Compare-and-set: only a queued, running (crashed worker) or failed-but-retrying run starts.
  const claimed = await db.segmentationRun.updateMany({
    where: { id: runId, status: { in: ['QUEUED', 'RUNNING', 'FAILED'] } },
    data: { status: 'RUNNING', startedAt: run.startedAt ?? new Date(), heartbeatAt: new Date(), attempts: o.attempt, error: null, errorCode: null, workerId: o.workerId ?? null },
  });
  if (claimed.count === 0) return 'already-finished';

  const timings: Record<string, number> = { ...(run.timings as Record<string, number>) };
  const time = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const r = await fn();
    timings[key] = Math.round(performance.now() - t0);
    return r;
  };
  // Progress writes are chained, so one the model's patch callback fired without waiting can
  // never land after a later stage's and put an old stage back on the row.
  let written: Promise<unknown> = Promise.resolve();
  const progress = (fraction: number, stage: string): Promise<void> => {
    const data = { progress: Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10, stage, heartbeatAt: new Date(), timings: { ...timings } };
    const write = written.catch(() => undefined).then(() => db.segmentationRun.update({ where: { id: runId }, data }));
    written = write;
    return write.then(() => undefined);
  };
  const enterStage = async (fraction: number, stage: string) => {
    await progress(fraction, stage);
    await o.onStage?.(stage);
  };

  try {
    const study = await db.study.findUniqueOrThrow({
      where: { id: run.studyId },
      include: { series: true },
    });
    const withVolume = study.series.filter((s) => s.volumeKey);
    const phases = withVolume.filter((s) => s.phaseIndex !== null).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
    const targets = phases.length > 0 ? phases : withVolume.filter((s) => s.phaseIndex === null).slice(0, 1);
    if (targets.length === 0) throw new RunError('NO_CT', `Study ${study.id} has no stored CT volume to segment: re-import it.`);

    const readVolume = async (key: string, what: string) => {
      try {
        return parseNifti(await store.getVolume(key), { source: what });
      } catch (e) {
        throw new RunError('VOLUME_UNREADABLE', `Cannot read ${what} (${key}) from the volume store at ${store.root}: ${(e as Error).message}. On a worker of another machine, check that ISEG_VOLUME_DIR points at the shared directory.`);
      }
    };

    // 1. Every phase → GTV (resumes: a phase stored by an earlier attempt is not redone).
    const gtvs: { seriesId: string; phaseIndex: number | null; phasePercent: number | null; mask: Uint8Array; grid: Grid; structureId: string; sha256: string }[] = [];
    for (let p = 0; p < targets.length; p++) {
      if (o.signal?.aborted) throw new Error('The run was aborted (worker shutting down); it will be retried.');
      const series = targets[p];
      const label = series.phaseIndex === null ? 'GTV:planning' : `GTV:phase:${series.phaseIndex}`;
      const existing = await db.machineStructure.findUnique({ where: { runId_label: { runId, label } } });
      let mask: Mask;
      let structure = existing;
      if (existing?.maskKey) {
        const v = await readVolume(existing.maskKey, `machine ${label}`);
        mask = { grid: v.grid, data: Uint8Array.from(v.data as ArrayLike<number>, (x) => (x ? 1 : 0)) };
      } else {
        await enterStage(p / (targets.length + 1), `reading ${label}`);
        const ct = await time(`${label}:read`, () => readVolume(series.volumeKey!, `CT series ${series.seriesInstanceUid}`));
        await enterStage(p / (targets.length + 1), `segmenting ${label}`);
        const r = await time(`${label}:segment`, () =>
          o.segment(ct, {
            signal: o.signal,
            onProgress: (f) => void progress((p + f) / (targets.length + 1), `segmenting ${label}`).catch(() => {}),
          }),
        );
        for (const [k, v] of Object.entries(r.timingsMs)) timings[`${label}:${k}`] = Math.round(v);
        mask = r.mask;
        const stored = await putNiftiVolume(store, mask, { intent: 'mask', description: `machine ${label}` });
        const n = countVoxels(mask.data);
        structure = await db.machineStructure.upsert({
          where: { runId_label: { runId, label } },
          create: { runId, seriesId: series.id, kind: 'GTV', phaseIndex: series.phaseIndex, label, maskKey: stored.key, maskSha256: stored.sha256, voxelCount: n, volumeCc: n * voxelVolumeCc(mask.grid) },
          update: { maskKey: stored.key, maskSha256: stored.sha256, voxelCount: n, volumeCc: n * voxelVolumeCc(mask.grid) },
        });
      }
      gtvs.push({ seriesId: series.id, phaseIndex: series.phaseIndex, phasePercent: series.phasePercent, mask: mask.data, grid: mask.grid, structureId: structure!.id, sha256: structure!.maskSha256 ?? '' });
    }

    // 2. ITV = union of the phase GTVs (all 4D CT phases share one grid).
    await enterStage(targets.length / (targets.length + 1), 'ITV');
    const grid0 = gtvs[0].grid;
    for (const g of gtvs) {
      if (!sameGrid(g.grid, grid0)) throw new RunError('PHASE_GRIDS_DIFFER', `Phase grids differ (${g.grid.dims.join('×')} vs ${grid0.dims.join('×')}): the ITV needs all phases on one grid.`);
    }
    const itvData = await time('itv', async () => computeItv(gtvs.map((g) => g.mask), grid0));
    const itvStored = await putNiftiVolume(store, { grid: grid0, data: itvData }, { intent: 'mask', description: 'machine ITV' });
    const itvVoxels = countVoxels(itvData);
    const itv = await db.machineStructure.upsert({
      where: { runId_label: { runId, label: 'ITV' } },
      create: { runId, seriesId: gtvs[0].seriesId, kind: 'ITV', phaseIndex: null, label: 'ITV', maskKey: itvStored.key, maskSha256: itvStored.sha256, voxelCount: itvVoxels, volumeCc: itvVoxels * voxelVolumeCc(grid0) },
      update: { maskKey: itvStored.key, maskSha256: itvStored.sha256, voxelCount: itvVoxels, volumeCc: itvVoxels * voxelVolumeCc(grid0) },
    });

    // 3. Metrics against the physician's structures on the same grid.
    // The reference structures as they are now, not as at the start: a physicist may have chosen
    // them while this run was queued or segmenting (lib/server/studies/choose-reference-structure.ts).
    const physicianStructures = await db.physicianStructure.findMany({ where: { studyId: study.id }, orderBy: { id: 'asc' } });
    const pairs: { reference: (typeof physicianStructures)[number]; test: { id: string; mask: Uint8Array; grid: Grid; sha256: string } }[] = [];
    for (const g of gtvs) {
      const ref =
        physicianStructures.find((s) => s.kind === 'GTV' && s.seriesId === g.seriesId) ??
        physicianStructures.find((s) => s.kind === 'GTV' && g.phaseIndex !== null && s.phaseIndex === g.phaseIndex);
      if (ref?.maskKey) pairs.push({ reference: ref, test: { id: g.structureId, mask: g.mask, grid: g.grid, sha256: g.sha256 } });
    }
    const refItv = physicianStructures.find((s) => s.kind === 'ITV' && s.maskKey);
    if (refItv) pairs.push({ reference: refItv, test: { id: itv.id, mask: itvData, grid: grid0, sha256: itvStored.sha256 } });

    // What the summary needs of each compared pair, kept in memory (test structure id → values).
    const compared = new Map<string, { referenceMask: Uint8Array; referencePercent: number | null; overlap: MetricValues | null; voxel: MetricValues | null; discordance: DiscordanceValues }>();
    for (const pair of pairs) {
      if (o.signal?.aborted) throw new Error('The run was aborted (worker shutting down); it will be retried.');
      await enterStage(targets.length / (targets.length + 1), `metrics ${pair.reference.kind}`);
      const refVol = await readVolume(pair.reference.maskKey!, `physician ${pair.reference.kind} structure ${pair.reference.id}`);
      if (!sameGrid(refVol.grid, pair.test.grid)) continue; // a planning-CT GTV on another grid is not comparable voxel-wise
      const refMask = Uint8Array.from(refVol.data as ArrayLike<number>, (x) => (x ? 1 : 0));
      // By id: the ROI name is DICOM free text (docs/security.md), never copied into run rows.
      const key = `metrics:${pair.reference.id}`;
      const result = await time(key, async () => computeMetrics({ reference: refMask, test: pair.test.mask, grid: pair.test.grid, toleranceMm: o.toleranceMm ?? 2, conventions: ['voxel', 'surfel'] }));
      const rows = toMetricRows({ result, grid: pair.test.grid, codeVersion: o.codeVersion, referenceSha256: pair.reference.maskSha256, testSha256: pair.test.sha256 });
      const discordance = findDiscordanceRegions({ reference: refMask, test: pair.test.mask, grid: pair.test.grid });
      compared.set(pair.test.id, {
        referenceMask: refMask,
        referencePercent: pair.reference.phasePercent,
        overlap: (rows.find((r) => r.convention === 'overlap')?.values ?? null) as MetricValues | null,
        voxel: (rows.find((r) => r.convention === 'voxel')?.values ?? null) as MetricValues | null,
        discordance: discordance as unknown as DiscordanceValues,
      });
      const all = [
        ...rows,
        { ...rows[0], convention: 'discordance' as const, values: discordance as unknown as Record<string, number | null>, nullReasons: {}, toleranceMm: null },
      ];
      for (const row of all) {
        const data = {
          studyId: study.id,
          runId,
          values: row.values as object,
          nullReasons: row.nullReasons as object,
          toleranceMm: row.toleranceMm,
          spacingMm: row.spacingMm,
          dims: row.dims,
          codeVersion: row.codeVersion,
          referenceSha256: row.referenceSha256,
          testSha256: row.testSha256,
        };
        await db.metricResult.upsert({
          where: { referenceStructureId_testStructureId_convention: { referenceStructureId: pair.reference.id, testStructureId: pair.test.id, convention: row.convention } },
          create: { ...data, referenceStructureId: pair.reference.id, testStructureId: pair.test.id, convention: row.convention },
          update: data,
        });
      }
    }

    // The QA summary the cohort page and review queue read; stored in the same update that
    // marks the run SUCCEEDED, so a succeeded run always has one.
    await enterStage(targets.length / (targets.length + 1), 'writing results');
    const summary = await time('summary', async () => {
      const phases: RunSummaryPhaseInput[] = gtvs.map((g) => {
        const c = compared.get(g.structureId);
        return { phaseIndex: g.phaseIndex, phasePercent: g.phasePercent ?? c?.referencePercent ?? null, machineMask: g.mask, physicianMask: c?.referenceMask ?? null, overlap: c?.overlap ?? null, voxel: c?.voxel ?? null };
      });
      const c = compared.get(itv.id);
      return buildRunSummary({ grid: grid0, phases, itv: c?.overlap ? { overlap: c.overlap, voxel: c.voxel, discordance: c.discordance } : null, machineItvCc: itv.volumeCc ?? NaN });
    });
    // Compare-and-set on RUNNING, and the summary rows in the same transaction: a succeeded
    // run always has exactly one summary (a retry after a crash replaces a stale one).
    const done = await db.$transaction(async (tx) => {
      const w = await tx.segmentationRun.updateMany({
        where: { id: runId, status: 'RUNNING' },
        data: { status: 'SUCCEEDED', progress: 100, stage: 'done', finishedAt: new Date(), timings, error: null, errorCode: null },
      });
      if (w.count === 1) {
        await tx.runSummary.deleteMany({ where: { runId } });
        await tx.runSummary.create({ data: { run: { connect: { id: runId } }, ...runSummaryCreate(summary) } });
      }
      return w.count;
    });
    return done === 1 ? 'succeeded' : 'cancelled';
  } catch (e) {
    const err = e as Error & { code?: string };
    const final = o.attempt >= o.maxAttempts;
    await db.segmentationRun.updateMany({
      where: { id: runId, status: 'RUNNING' },
      data: {
        // Not final: pg-boss retries the job; the run shows the last error while it waits.
        status: final ? 'FAILED' : 'QUEUED',
        error: `${final ? 'Failed' : `Attempt ${o.attempt} of ${o.maxAttempts} failed, will retry`}: ${err.message}`,
        errorCode: err.code ?? 'RUN_FAILED',
        finishedAt: final ? new Date() : null,
        timings,
      },
    });
    throw e;
  }
}
