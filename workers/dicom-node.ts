/**
 * The DICOM node process (`npm start` starts and supervises it; `npx tsx workers/dicom-node.ts`
 * runs it alone): the C-ECHO / C-STORE listener (lib/dicom/net/store-scp.ts) on
 * ISEG_DICOM_HOST:ISEG_DICOM_PORT as ISEG_DICOM_AET, and the import of received studies.
 *
 * - Associations are accepted only from allow-listed calling AE titles (decide-dicom-association.ts).
 * - Each instance is written to <data>/dicom-spool/<StudyInstanceUID>/<SOPInstanceUID>.dcm
 *   (temp file, fsync, rename) and answered Success only once it is on disk and recorded.
 * - With ISEG_DICOM_PREPARE_SECONDS set (off by default), a CT series that has had no new instance for that long (or whose
 *   association was released) is decoded and its volume stored ahead of the import, on a worker thread
 *   (received-series-preparer.ts, prepare-received-series.ts): the import then takes it ready.
 * - Every second: studies quiet for ISEG_DICOM_QUIET_SECONDS, or asked for with "import now", are
 *   imported (import-due-dicom-studies.ts); the import queues their segmentation run.
 * - At start (and every minute) the spool is reconciled with the database (sync-dicom-spool.ts):
 *   nothing received is lost when this process dies between receipt and import.
 * - The spool is measured every few seconds (spool-capacity.ts): while it holds
 *   ISEG_DICOM_SPOOL_MAX_GB or its disk has less than ISEG_DICOM_SPOOL_MIN_FREE_GB free, new
 *   C-STOREs are answered 0xA700 (out of resources); the change is logged and audited.
 * - An association silent for ISEG_DICOM_IDLE_TIMEOUT_S is aborted and recorded TIMED_OUT; what
 *   it sent is imported when quiet.
 * - SIGTERM/SIGINT: stop listening, let an import in progress finish, exit 0.
 * Exits 0 at once when ISEG_DICOM_PORT is 0 / off (no listener wanted), 2 on bad configuration,
 * 4 when the port cannot be bound (restarting would not help).
 */
import path from 'node:path';
import { parseEnv, ConfigError } from '../lib/server/env';
import { createDb } from '../lib/server/db/client';
import { resolveDatabaseUrl } from '../lib/server/db/resolve-database-url';
import { createBoss } from '../lib/server/jobs/boss';
import { createVolumeStore } from '../lib/server/storage/volume-store';
import { startStoreScp, type StoreScp } from '../lib/dicom/net/store-scp';
import { decideDicomAssociation } from '../lib/server/dicom-receive/decide-dicom-association';
import { recordReceivedInstance } from '../lib/server/dicom-receive/record-received-instance';
import { recordRefusedInstance } from '../lib/server/dicom-receive/record-refused-instance';
import { endDicomAssociation } from '../lib/server/dicom-receive/end-dicom-association';
import { syncDicomSpool } from '../lib/server/dicom-receive/sync-dicom-spool';
import { importDueDicomStudies } from '../lib/server/dicom-receive/import-due-dicom-studies';
import { recordDicomSpoolState } from '../lib/server/dicom-receive/record-dicom-spool-state';
import { SpoolCapacity, bytesFromGb, type SpoolUsage } from '../lib/dicom/net/spool-capacity';
import { ReceivedSeriesPreparer } from '../lib/server/dicom-receive/received-series-preparer';
import { prepareReceivedSeries } from '../lib/server/dicom-receive/prepare-received-series';
import { startPrepareSeriesThread } from '../lib/server/dicom-receive/prepare-series-thread';
import type { PgBoss } from 'pg-boss';

/** Exit code when the port cannot be bound (in use, or not permitted): not restarted. */
export const EXIT_PORT_UNAVAILABLE = 4;

const TICK_MS = 1_000;
const SYNC_MS = 60_000;
const MEASURE_MS = 5_000;

function log(msg: string): void {
  console.log(`[dicom ${process.pid}] ${msg}`);
}

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`[dicom] ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  if (env.ISEG_DICOM_PORT === 0) {
    log('ISEG_DICOM_PORT is 0/off: no DICOM listener.');
    return;
  }
  const databaseUrl = resolveDatabaseUrl(env);
  if (!databaseUrl) {
    console.error('[dicom] No database: set DATABASE_URL, or start `npm start` first so the embedded Postgres exists.');
    process.exit(2);
  }
  const db = createDb(databaseUrl);
  const spoolDir = path.join(env.dataDir, 'dicom-spool');
  const store = createVolumeStore({ dir: env.volumeDir });
  let boss: PgBoss | undefined;
  const getBoss = async () => (boss ??= await createBoss({ databaseUrl, worker: false }));
  // Early preparation of received CT series on a worker thread (in this thread if none can start).
  const prepareSeconds = env.ISEG_DICOM_PREPARE_SECONDS;
  let thread: ReturnType<typeof startPrepareSeriesThread> | null = null;
  let preparer: ReceivedSeriesPreparer | undefined;
  if (prepareSeconds !== 'off') {
    try {
      thread = startPrepareSeriesThread({ storeDir: store.root });
    } catch (e) {
      log(`no worker thread for preparing received series (${(e as Error).message}); preparing on the main thread`);
    }
    preparer = new ReceivedSeriesPreparer({
      spoolDir,
      settleMs: prepareSeconds * 1000,
      run: (job) => (thread ? thread.run(job) : prepareReceivedSeries({ ...job, store })),
      log,
    });
  }

  const sync = async (atStart: boolean) => {
    try {
      const r = await syncDicomSpool({ db, spoolDir, removePartFiles: atStart });
      if (r.removedPartFiles)
        log(`removed ${r.removedPartFiles} unfinished transfer file(s) from ${path.join(spoolDir, '.incoming')} (never acknowledged; the sender resends them)`);
      if (r.pickedUp.length)
        log(
          `picked up ${r.pickedUp.length} received stud${r.pickedUp.length === 1 ? 'y' : 'ies'} from the spool ${spoolDir} (received before, not yet imported)`,
        );
    } catch (e) {
      log(`could not reconcile the spool ${spoolDir} with the database: ${(e as Error).message}`);
    }
  };
  await sync(true);

  const capacity = new SpoolCapacity(spoolDir, {
    maxBytes: bytesFromGb(env.ISEG_DICOM_SPOOL_MAX_GB),
    minFreeBytes: bytesFromGb(env.ISEG_DICOM_SPOOL_MIN_FREE_GB),
  });
  let wasFull = false;
  /** Logs and audits a change between "full" and "has room". */
  const noteCapacity = async (u: SpoolUsage) => {
    const full = u.fullReason !== null;
    if (full === wasFull) return;
    wasFull = full;
    if (full) log(`SPOOL FULL: refusing new C-STORE requests with 0xA700 (out of resources): ${u.fullReason}`);
    else log(`spool has room again (${Math.round(u.usedBytes / 1024 / 1024)} MB used): accepting C-STORE requests`);
    await recordDicomSpoolState({ db, usage: u, spoolDir }).catch((e: Error) => log(`could not audit the spool state: ${e.message}`));
  };
  const measure = async () => {
    try {
      await noteCapacity(await capacity.measure());
    } catch (e) {
      log(`could not measure the spool ${spoolDir}: ${(e as Error).message}`);
    }
  };
  await measure();

  /** Study UIDs each open association has sent to. */
  const sentBy = new Map<string, Set<string>>();
  let scp: StoreScp;
  try {
    scp = await startStoreScp({
      aeTitle: env.ISEG_DICOM_AET,
      host: env.ISEG_DICOM_HOST,
      port: env.ISEG_DICOM_PORT,
      spoolDir,
      log,
      idleTimeoutMs: env.ISEG_DICOM_IDLE_TIMEOUT_S * 1000,
      admitInstance: () => {
        const u = capacity.current();
        if (u.fullReason && !wasFull) void noteCapacity(u);
        return u.fullReason;
      },
      decideAssociation: async (info) => {
        const d = await decideDicomAssociation({ db, ...info, ourAeTitle: env.ISEG_DICOM_AET, envAllowed: env.ISEG_DICOM_ALLOWED_AETS });
        if (d.accept) sentBy.set(d.associationId, new Set());
        return d;
      },
      onInstanceStored: async (s) => {
        sentBy.get(s.associationId)?.add(s.studyInstanceUid);
        capacity.add(s.bytes);
        if (s.header.modality === 'CT' && s.header.seriesInstanceUid) preparer?.noteInstance(s.studyInstanceUid, s.header.seriesInstanceUid, s.file);
        await recordReceivedInstance({
          db,
          associationId: s.associationId,
          callingAeTitle: s.callingAeTitle,
          studyInstanceUid: s.studyInstanceUid,
          modality: s.header.modality ?? null,
          patientId: s.header.patientId ?? null,
          institutionName: s.header.institutionName ?? null,
          replaced: s.replaced,
        });
      },
      onInstanceFailed: async (f) => {
        if (f.associationId) await recordRefusedInstance({ db, associationId: f.associationId });
      },
      onAssociationEnded: async (e) => {
        const studies = [...(sentBy.get(e.associationId) ?? [])];
        sentBy.delete(e.associationId);
        // Released: what it sent is complete, so its series need not wait to settle.
        if (e.endState === 'RELEASED') for (const uid of studies) preparer?.settleStudy(uid);
        await endDicomAssociation({ db, associationId: e.associationId, endState: e.endState, studyInstanceUids: studies });
      },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    console.error(
      `[dicom] Cannot listen on ${env.ISEG_DICOM_HOST}:${env.ISEG_DICOM_PORT} (${err.code ?? err.message}): ${err.code === 'EADDRINUSE' ? 'another program (another iSeg QA, or a DICOM node such as Orthanc or storescp) uses that port; stop it or set ISEG_DICOM_PORT to a free port (or off)' : 'check ISEG_DICOM_HOST and ISEG_DICOM_PORT (ports below 1024 need privileges)'}.`,
    );
    await db.$disconnect().catch(() => undefined);
    process.exit(EXIT_PORT_UNAVAILABLE);
  }
  const allowed = env.ISEG_DICOM_ALLOWED_AETS.length ? env.ISEG_DICOM_ALLOWED_AETS.join(', ') : '(none from ISEG_DICOM_ALLOWED_AETS)';
  log(
    `listening as ${env.ISEG_DICOM_AET} on ${scp.host}:${scp.port}; allowed calling AE titles: ${allowed} plus the admin page's list; import after ${env.ISEG_DICOM_QUIET_SECONDS} s quiet; CT volumes prepared ${prepareSeconds === 'off' ? 'by the import only (ISEG_DICOM_PREPARE_SECONDS=off)' : `once a series has had no instance for ${prepareSeconds} s`}; silent associations aborted after ${env.ISEG_DICOM_IDLE_TIMEOUT_S} s; spool limit ${env.ISEG_DICOM_SPOOL_MAX_GB} GB, free-disk floor ${env.ISEG_DICOM_SPOOL_MIN_FREE_GB} GB`,
  );

  let stopping = false;
  let busy: Promise<void> = Promise.resolve();
  let lastSync = Date.now();
  let lastMeasure = Date.now();
  const tick = async () => {
    if (Date.now() - lastMeasure > MEASURE_MS) {
      lastMeasure = Date.now();
      await measure();
    }
    try {
      const imported = await importDueDicomStudies({
        db,
        spoolDir,
        quietSeconds: env.ISEG_DICOM_QUIET_SECONDS,
        boss: getBoss,
        store,
        modelsRoot: env.modelsDir,
        log,
        ...(preparer ? { preparer } : {}),
      });
      if (imported.length) await measure();
    } catch (e) {
      log(`import step failed: ${(e as Error).message}`);
    }
    if (Date.now() - lastSync > SYNC_MS) {
      lastSync = Date.now();
      await sync(false);
    }
  };
  let running = false;
  const timer = setInterval(() => {
    preparer?.pump();
    if (stopping || running) return;
    running = true;
    busy = tick().finally(() => {
      running = false;
    });
  }, TICK_MS);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    log('stopping: closing the listener, finishing an import in progress');
    await scp.close();
    await busy.catch(() => undefined);
    await thread?.close().catch(() => undefined);
    await boss?.stop({ graceful: false }).catch(() => undefined);
    await db.$disconnect().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

void main();
