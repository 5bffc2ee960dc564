/**
 * The segmentation stage of a run: every CT phase of the study (or its planning CT when it has
 * no phases) → the model's GTV (`segment`: resampling, inference, post-processing), stored as
 * a machine structure (mask in the volume store, row keyed by (run, label)).
 *
 * Resumable: a phase whose GTV an earlier attempt stored is read back, not segmented again. The
 * abort signal is checked between phases and, inside `segment`, between patches.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { putNiftiVolume } from '../storage/volume-store';
import type { Grid, Mask, Volume, VoxelArray } from '../../core/volume';
import { voxelVolumeCc } from '../../core/volume';
import { countMaskVoxels } from '../../core/runs/compute-run-metrics';
import { RunError, throwIfRunAborted } from './run-error';
import { readRunMask, readRunVolume } from './read-run-volume';
import type { RunProgress } from './track-run-progress';

/** Least time between two progress writes from inside a phase's segmentation (ms). */
const PATCH_PROGRESS_MS = 1_000;

export type SegmentFn = (
  ct: Volume<VoxelArray>,
  options: { signal?: AbortSignal; onProgress?: (fraction: number) => void },
) => Promise<{ mask: Mask; timingsMs: Record<string, number>; cpuMs?: Record<string, number> }>;

/** The machine GTV of one phase, in memory and as stored. */
export interface RunPhaseGtv {
  seriesId: string;
  phaseIndex: number | null;
  phasePercent: number | null;
  structureId: string;
  mask: Uint8Array;
  grid: Grid;
  sha256: string;
}

export async function segmentRunPhases(o: {
  db: Db;
  store: VolumeStore;
  runId: string;
  studyId: string;
  segment: SegmentFn;
  progress: RunProgress;
  signal?: AbortSignal;
}): Promise<RunPhaseGtv[]> {
  const { db, store, runId, progress } = o;
  const study = await db.study.findUniqueOrThrow({ where: { id: o.studyId }, include: { series: true } });
  const withVolume = study.series.filter((s) => s.volumeKey);
  const phases = withVolume.filter((s) => s.phaseIndex !== null).sort((a, b) => a.phaseIndex! - b.phaseIndex!);
  const targets = phases.length > 0 ? phases : withVolume.filter((s) => s.phaseIndex === null).slice(0, 1);
  if (targets.length === 0) throw new RunError('NO_CT', `Study ${study.id} has no stored CT volume to segment: re-import it.`);

  // The ITV and metrics stages take the last share of the progress bar.
  const fraction = (done: number) => done / (targets.length + 1);
  const gtvs: RunPhaseGtv[] = [];
  for (const [p, series] of targets.entries()) {
    throwIfRunAborted(o.signal);
    const label = series.phaseIndex === null ? 'GTV:planning' : `GTV:phase:${series.phaseIndex}`;
    const existing = await db.machineStructure.findUnique({ where: { runId_label: { runId, label } } });
    let mask: Mask;
    let structure = existing;
    if (existing?.maskKey) {
      mask = await readRunMask({ store, key: existing.maskKey, what: `machine ${label}` });
    } else {
      await progress.enterStage(fraction(p), `reading ${label}`);
      const ct = await progress.time(`${label}:read`, () => readRunVolume({ store, key: series.volumeKey!, what: `CT series ${series.seriesInstanceUid}` }));
      await progress.enterStage(fraction(p), `segmenting ${label}`);
      let reportedAt = performance.now();
      const r = await progress.time(`${label}:segment`, () =>
        o.segment(ct, {
          signal: o.signal,
          // At most one row write a second (a write per patch cost more CPU than the patch's stitching).
          onProgress: (f) => {
            const now = performance.now();
            if (now - reportedAt < PATCH_PROGRESS_MS) return;
            reportedAt = now;
            void progress.report(fraction(p + f), `segmenting ${label}`).catch(() => {});
          },
        }),
      );
      for (const [k, v] of Object.entries(r.timingsMs)) progress.timings[`${label}:${k}`] = Math.round(v);
      for (const [k, v] of Object.entries(r.cpuMs ?? {})) progress.cpu[`${label}:${k}`] = Math.round(v);
      mask = r.mask;
      const written = mask;
      structure = await progress.time(`${label}:write`, async () => {
        const stored = await putNiftiVolume(store, written, { intent: 'mask', description: `machine ${label}` });
        const n = countMaskVoxels(written.data);
        return db.machineStructure.upsert({
          where: { runId_label: { runId, label } },
          create: {
            runId,
            seriesId: series.id,
            kind: 'GTV',
            phaseIndex: series.phaseIndex,
            label,
            maskKey: stored.key,
            maskSha256: stored.sha256,
            voxelCount: n,
            volumeCc: n * voxelVolumeCc(written.grid),
          },
          update: { maskKey: stored.key, maskSha256: stored.sha256, voxelCount: n, volumeCc: n * voxelVolumeCc(written.grid) },
        });
      });
    }
    gtvs.push({
      seriesId: series.id,
      phaseIndex: series.phaseIndex,
      phasePercent: series.phasePercent,
      mask: mask.data,
      grid: mask.grid,
      structureId: structure!.id,
      sha256: structure!.maskSha256 ?? '',
    });
  }
  return gtvs;
}
