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
  /** Runs `fn` and records its duration under `key`. */
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
  let written: Promise<unknown> = Promise.resolve();
  const report = (fraction: number, stage: string): Promise<void> => {
    const data = { progress: Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 10, stage, heartbeatAt: new Date(), timings: { ...timings } };
    const write = written.catch(() => undefined).then(() => o.db.segmentationRun.update({ where: { id: o.runId }, data }));
    written = write;
    return write.then(() => undefined);
  };
  return {
    timings,
    async time(key, fn) {
      const t0 = performance.now();
      const r = await fn();
      timings[key] = Math.round(performance.now() - t0);
      return r;
    },
    report,
    async enterStage(fraction, stage) {
      await report(fraction, stage);
      await o.onStage?.(stage);
    },
  };
}
