/**
 * prepareReceivedSeries on a worker thread (node:worker_threads), so that a series' decoding
 * (seconds of synchronous work per 512×512×100 series) runs on the second core instead of the
 * DICOM node's main thread, which answers the C-STOREs. This file is both: imported, it gives
 * `startPrepareSeriesThread`; loaded as the worker (workerData.role), it serves the jobs.
 * The worker inherits the parent's execArgv (`--import tsx` in the node), so it loads TypeScript.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { createVolumeStore } from '../storage/volume-store';
import { prepareReceivedSeries, type PreparedVolumeRecord } from './prepare-received-series';

const ROLE = 'iseg-prepare-series';

interface Job {
  id: number;
  files: string[];
  dir: string;
}
type Reply = { id: number; records: PreparedVolumeRecord[] } | { id: number; error: string };

export interface PrepareSeriesThread {
  run(job: { files: string[]; dir: string }): Promise<PreparedVolumeRecord[]>;
  close(): Promise<void>;
}

/** A worker thread preparing one series at a time into the store at `storeDir`; restarted if it dies. */
export function startPrepareSeriesThread({ storeDir }: { storeDir: string }): PrepareSeriesThread {
  let worker: Worker | null = null;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (r: PreparedVolumeRecord[]) => void; reject: (e: Error) => void }>();
  const failAll = (e: Error) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
    worker = null;
  };
  const get = () => {
    if (worker) return worker;
    const w = new Worker(new URL(import.meta.url), { workerData: { role: ROLE, storeDir } });
    w.on('message', (m: Reply) => {
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      if (waiting.size === 0) w.unref();
      if ('error' in m) p.reject(new Error(m.error));
      else p.resolve(m.records);
    });
    w.on('error', (e) => failAll(e));
    w.on('exit', (code) => failAll(new Error(`the preparing thread exited (code ${code})`)));
    w.unref();
    worker = w;
    return w;
  };
  return {
    run(job) {
      return new Promise((resolve, reject) => {
        const id = nextId++;
        waiting.set(id, { resolve, reject });
        // Kept alive while it has work; idle, it does not hold the process open.
        get().ref();
        get().postMessage({ id, ...job } satisfies Job);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      await w?.terminate();
    },
  };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === ROLE) {
  const store = createVolumeStore({ dir: (workerData as { storeDir: string }).storeDir });
  parentPort!.on('message', (job: Job) => {
    prepareReceivedSeries({ files: job.files, dir: job.dir, store }).then(
      (records) => parentPort!.postMessage({ id: job.id, records } satisfies Reply),
      (e: Error) => parentPort!.postMessage({ id: job.id, error: e.message } satisfies Reply),
    );
  });
}
