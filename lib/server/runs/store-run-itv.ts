/**
 * The ITV stage of a run: the union of the phase GTVs (all 4D CT phases share one grid;
 * lib/core/metrics/motion.ts computeItv), stored as the run's machine structure 'ITV'.
 * Phases on different grids fail the run with RunError PHASE_GRIDS_DIFFER.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { putNiftiVolume } from '../storage/volume-store';
import type { Grid } from '../../core/volume';
import { sameGrid, voxelVolumeCc } from '../../core/volume';
import { computeItv } from '../../core/metrics';
import { countMaskVoxels } from '../../core/runs/compute-run-metrics';
import { RunError } from './run-error';
import type { RunPhaseGtv } from './segment-run-phases';
import type { RunProgress } from './track-run-progress';

export interface RunItv {
  structureId: string;
  mask: Uint8Array;
  grid: Grid;
  sha256: string;
}

export async function storeRunItv(o: { db: Db; store: VolumeStore; runId: string; phases: readonly RunPhaseGtv[]; progress: RunProgress }): Promise<RunItv> {
  const { db, store, runId } = o;
  const [first] = o.phases;
  if (!first) throw new RunError('NO_CT', `Run ${runId} has no phase GTV to make an ITV of.`);
  const grid = first.grid;
  for (const g of o.phases) {
    if (!sameGrid(g.grid, grid))
      throw new RunError(
        'PHASE_GRIDS_DIFFER',
        `Phase grids differ (${g.grid.dims.join('×')} vs ${grid.dims.join('×')}): the ITV needs all phases on one grid.`,
      );
  }
  const mask = await o.progress.time('itv', async () =>
    computeItv(
      o.phases.map((g) => g.mask),
      grid,
    ),
  );
  const { stored, itv } = await o.progress.time('itv:write', async () => {
    const stored = await putNiftiVolume(store, { grid, data: mask }, { intent: 'mask', description: 'machine ITV' });
    const n = countMaskVoxels(mask);
    const itv = await db.machineStructure.upsert({
      where: { runId_label: { runId, label: 'ITV' } },
      create: {
        runId,
        seriesId: first.seriesId,
        kind: 'ITV',
        phaseIndex: null,
        label: 'ITV',
        maskKey: stored.key,
        maskSha256: stored.sha256,
        voxelCount: n,
        volumeCc: n * voxelVolumeCc(grid),
      },
      update: { maskKey: stored.key, maskSha256: stored.sha256, voxelCount: n, volumeCc: n * voxelVolumeCc(grid) },
    });
    return { stored, itv };
  });
  return { structureId: itv.id, mask, grid, sha256: stored.sha256 };
}
