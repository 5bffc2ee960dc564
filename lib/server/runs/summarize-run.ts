/**
 * Builds the QA summary of a segmentation run (lib/server/runs/run-summary.types.ts) from what
 * the run stored: its metric rows ('overlap', 'voxel', 'discordance') and its machine and
 * physician masks (centroids and motion). Called by executeSegmentationRun just before it marks
 * the run SUCCEEDED (the summary goes in the same update), and by backfillRunSummaries for runs
 * that succeeded before summaries existed. Reads only; writes nothing.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { parseNifti } from '../../nifti';
import { sameGrid, type Grid } from '../../core/volume';
import { buildRunSummary, type DiscordanceValues, type FlagThresholds, type MetricValues } from '../../core/stats/run-summary';
import { RunSummary } from './run-summary.types';
import { AppError } from '../errors';

export interface SummarizeRunOptions {
  store: VolumeStore;
  runId: string;
  thresholds?: Partial<FlagThresholds>;
}

/**
 * @throws AppError NOT_FOUND for an unknown run; INVALID_INPUT when the run has no machine GTV
 *   (nothing to summarise) or a stored mask cannot be read (names the mask and the store).
 */
export async function summarizeRun(db: Db, { store, runId, thresholds }: SummarizeRunOptions): Promise<RunSummary> {
  const run = await db.segmentationRun.findUnique({
    where: { id: runId },
    include: {
      structures: { include: { series: { select: { phasePercent: true } } } },
      metricResults: { where: { convention: { in: ['overlap', 'voxel', 'discordance'] } }, include: { referenceStructure: true } },
    },
  });
  if (!run) throw new AppError('NOT_FOUND', `Segmentation run ${runId} does not exist.`);

  const readMask = async (key: string | null, what: string): Promise<{ grid: Grid; data: Uint8Array }> => {
    if (!key) throw new AppError('INVALID_INPUT', `Run ${runId}: ${what} has no stored mask; re-run the segmentation.`);
    try {
      const v = parseNifti(await store.getVolume(key), { source: what });
      return { grid: v.grid, data: Uint8Array.from(v.data as ArrayLike<number>, (x) => (x ? 1 : 0)) };
    } catch (e) {
      throw new AppError('INVALID_INPUT', `Run ${runId}: cannot read ${what} (${key}) from the volume store at ${store.root}: ${(e as Error).message}`);
    }
  };
  const rowsOf = (testStructureId: string) => run.metricResults.filter((m) => m.testStructureId === testStructureId);
  const values = (rows: typeof run.metricResults, convention: string) => (rows.find((r) => r.convention === convention)?.values ?? null) as MetricValues | null;

  const gtvs = run.structures
    .filter((s) => s.kind === 'GTV')
    .sort((a, b) => (a.phaseIndex ?? -1) - (b.phaseIndex ?? -1));
  if (gtvs.length === 0) throw new AppError('INVALID_INPUT', `Run ${runId} has no machine GTV to summarise (status ${run.status}).`);

  const phases = [];
  let grid: Grid | null = null;
  for (const s of gtvs) {
    const machine = await readMask(s.maskKey, `machine ${s.label}`);
    grid ??= machine.grid;
    if (!sameGrid(machine.grid, grid)) throw new AppError('INVALID_INPUT', `Run ${runId}: machine ${s.label} is on another grid than the first phase; the phases must share one grid.`);
    const rows = rowsOf(s.id);
    const ref = rows[0]?.referenceStructure ?? null;
    let physicianMask: Uint8Array | null = null;
    if (ref?.maskKey) {
      const r = await readMask(ref.maskKey, `physician structure ${ref.id}`);
      // A reference on another grid was never compared voxel-wise (see executeSegmentationRun).
      if (sameGrid(r.grid, grid)) physicianMask = r.data;
    }
    phases.push({
      phaseIndex: s.phaseIndex,
      phasePercent: s.series?.phasePercent ?? ref?.phasePercent ?? null,
      machineMask: machine.data,
      physicianMask,
      overlap: values(rows, 'overlap'),
      voxel: values(rows, 'voxel'),
    });
  }

  const itvStructure = run.structures.find((s) => s.kind === 'ITV');
  const itvRows = itvStructure ? rowsOf(itvStructure.id) : [];
  const itvOverlap = values(itvRows, 'overlap');
  const summary = buildRunSummary({
    grid: grid!,
    phases,
    itv: itvOverlap ? { overlap: itvOverlap, voxel: values(itvRows, 'voxel'), discordance: values(itvRows, 'discordance') as unknown as DiscordanceValues | null } : null,
    machineItvCc: itvStructure?.volumeCc ?? NaN,
    thresholds,
  });
  // Validated at the boundary: what is stored is exactly the documented shape.
  return RunSummary.parse(summary);
}
