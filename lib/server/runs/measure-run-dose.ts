/**
 * The dose stage of a run, after its metrics are persisted (execute-segmentation-run.ts): when the
 * study has a dose grid, the dose metrics of the run's regions (machine GTV/ITV, FP, FN) and of
 * the physician's (lib/server/dose/compute-study-dose-metrics.ts). The run has succeeded by then:
 * a failure here is logged and leaves the run as it is (the metrics are recomputed on the next
 * import or prescription entry), never failing a run over its dose.
 */
import type { Db } from '../db/client';
import type { VolumeStore } from '../storage/volume-store';
import { computeStudyDoseMetrics } from '../dose/compute-study-dose-metrics';

export async function measureRunDose(o: { db: Db; store: VolumeStore; runId: string; studyId: string; codeVersion: string }): Promise<number> {
  try {
    if ((await o.db.doseGrid.count({ where: { studyId: o.studyId } })) === 0) return 0;
    return (await computeStudyDoseMetrics(o)).rows;
  } catch (e) {
    console.error(`Run ${o.runId}: the dose metrics of study ${o.studyId} could not be computed: ${(e as Error).message}`);
    return 0;
  }
}
