/**
 * The progress of one executing run, as its row shows it: the stage, the fraction done, the
 * heartbeat and the timings of each step so far. Used by every stage of executeSegmentationRun.
 *
 * Progress writes are chained, so one the model's patch callback fired without waiting can never
 * land after a later stage's and put an old stage back on the row.
 */
import type { Db } from '../db/client';

export interface RunProgress {
  /** Milliseconds per step (`GTV:phase:0:read`, `itv`, `metrics:<reference id>`, `summary`, …), stored on the run row. */
  readonly timings: Record<string, number>;
  /**
   * CPU milliseconds of this process (all threads) per step, same keys as `timings` (the
   * segmentation's inner steps when the model reports them). Not stored on the run row:
   * executeSegmentationRun hands them to its `onTimings` hook (bench:pipeline).
   */
  readonly cpu: Record<string, number>;
  /** Runs `fn` and records its duration (wall under `key` in timings, CPU in cpu). */
  time<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Writes progress (0…1) and stage to the run row, after any earlier write. */
  report(fraction: number, stage: string): Promise<void>;
  /** report, then the caller's onStage hook (the worker's fault hold in the kill -9 tests). */
  enterStage(fraction: number, stage: string): Promise<void>;
}

export function trackRunProgress(o: {
  db: Db;
  runId: string;
  timings?: Record<string, number>;
  onStage?: (stage: string) => Promise<void> | void;
}): RunProgress {
  const timings: Record<string, number> = { ...o.timings };
  const cpu: Record<string, number> = {};
  let written: Promise<unknown> = Promise.resolve();
  const report = (fraction: number, stage: string): Promise<void> => {
    const data = { progress: Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10, stage, heartbeatAt: new Date(), timings: { ...timings } };
    const write = written.catch(() => undefined).then(() => o.db.segmentationRun.update({ where: { id: o.runId }, data }));
    written = write;
    return write.then(() => undefined);
  };
  return {
    timings,
    cpu,
    async time(key, fn) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const r = await fn();
      timings[key] = Math.round(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[key] = Math.round((c.user + c.system) / 1000);
      return r;
    },
    report,
    async enterStage(fraction, stage) {
      await report(fraction, stage);
      await o.onStage?.(stage);
    },
  };
}
