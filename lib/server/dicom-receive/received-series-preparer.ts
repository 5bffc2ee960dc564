/**
 * The DICOM node's scheduler of early volume preparation (prepare-received-series.ts): it is told
 * of each CT instance put in the spool, and once a series has had no new instance for `settleMs`
 * (or the association that carried it was released, or its study is about to be imported) it
 * prepares that series' volume, one series at a time, with `run` (in the node: a worker thread,
 * prepare-series-thread.ts, so that decoding does not hold up the listener). A series that gets
 * another instance after its preparation is prepared again once it settles.
 *
 * Memory only: after a restart nothing is tracked and the import decodes what has no record.
 */
import type { PreparedVolumeRecord } from './prepare-received-series';
import { preparedDirOf } from './prepare-received-series';

export interface ReceivedSeriesPreparerOptions {
  spoolDir: string;
  /** A series is prepared once no instance of it has arrived for this long. */
  settleMs: number;
  run: (job: { files: string[]; dir: string }) => Promise<PreparedVolumeRecord[]>;
  log?: (line: string) => void;
  now?: () => number;
}

interface TrackedSeries {
  studyUid: string;
  seriesUid: string;
  files: Set<string>;
  lastAt: number;
  /** Bumped by every instance; the preparation done (or tried) was of `doneVersion`. */
  version: number;
  doneVersion: number;
}

export class ReceivedSeriesPreparer {
  private readonly series = new Map<string, TrackedSeries>();
  private running: TrackedSeries | null = null;
  private waiters: { studyUid: string; resolve: () => void }[] = [];
  private readonly now: () => number;

  constructor(private readonly options: ReceivedSeriesPreparerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A CT instance of this series is in the spool (new, or sent again). */
  noteInstance(studyUid: string, seriesUid: string, file: string): void {
    const id = `${studyUid}/${seriesUid}`;
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = { studyUid, seriesUid, files: new Set(), lastAt: 0, version: 0, doneVersion: 0 }));
    s.files.add(file);
    s.lastAt = this.now();
    s.version++;
  }

  /** Prepare the study's series now, without waiting for them to settle. */
  settleStudy(studyUid: string): void {
    for (const s of this.series.values()) if (s.studyUid === studyUid) s.lastAt = -Infinity;
    this.pump();
  }

  /** Resolves once none of the study's series waits for or is in preparation (settling them first). */
  whenSettled(studyUid: string): Promise<void> {
    this.settleStudy(studyUid);
    if (!this.pending(studyUid)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ studyUid, resolve }));
  }

  /** The study's files were imported (and removed from the spool): stop tracking them. */
  forgetFiles(studyUid: string, files: readonly string[]): void {
    const gone = new Set(files);
    for (const [id, s] of this.series) {
      if (s.studyUid !== studyUid || s === this.running) continue;
      for (const f of s.files) if (gone.has(f)) s.files.delete(f);
      if (s.files.size === 0) this.series.delete(id);
    }
  }

  /** Series tracked and not yet prepared at their latest version (for logs and tests). */
  backlog(): number {
    return [...this.series.values()].filter((s) => s.doneVersion !== s.version).length;
  }

  private pending(studyUid: string): boolean {
    return [...this.series.values()].some((s) => s.studyUid === studyUid && (s.doneVersion !== s.version || s === this.running));
  }

  /** Starts the next settled series, if none is in preparation. Call it every second or so. */
  pump(): void {
    if (this.running) return;
    this.wake();
    const due = this.now() - this.options.settleMs;
    let next: TrackedSeries | null = null;
    for (const s of this.series.values()) if (s.doneVersion !== s.version && s.lastAt <= due && (!next || s.lastAt < next.lastAt)) next = s;
    if (!next) return;
    const s = next;
    const version = s.version;
    const files = [...s.files].sort();
    this.running = s;
    const t0 = performance.now();
    this.options.log?.(`preparing CT series ${s.seriesUid} of study ${s.studyUid} before its import (${files.length} file(s))`);
    void this.options
      .run({ files, dir: preparedDirOf(this.options.spoolDir, s.studyUid) })
      .then(
        (records) =>
          this.options.log?.(
            `prepared CT series ${s.seriesUid} of study ${s.studyUid} before its import (${files.length} file(s), ${records.length} volume(s), ${((performance.now() - t0) / 1000).toFixed(1)} s)`,
          ),
        (e: Error) =>
          this.options.log?.(`could not prepare CT series ${s.seriesUid} of study ${s.studyUid} before its import (the import decodes it): ${e.message}`),
      )
      .finally(() => {
        s.doneVersion = version;
        this.running = null;
        this.pump();
      });
  }

  /** Resolves the waiters whose study has nothing left to prepare. */
  private wake(): void {
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.pending(w.studyUid)) still.push(w);
      else w.resolve();
    }
    this.waiters = still;
  }
}
