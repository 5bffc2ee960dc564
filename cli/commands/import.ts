/**
 * iseg-qa import DIR [--json] [--phase-map SERIES_UID=percent,…] [--patient-id ID] [--observer NAME]
 *
 * Bulk import into the database: DIR is one study, or holds one study per subfolder (see
 * lib/server/studies/find-study-folders.ts). Progress goes to stderr: a bar when stderr is a
 * terminal, plain lines otherwise. The summary (JSON with --json) lists per study its id,
 * patient pseudonym, series and structure counts, findings and whether it was already imported.
 * Uses DATABASE_URL, or the embedded database of a running `npm start`. The CLI acts as a
 * physicist, recorded in the audit log as `cli:<os user>`.
 * Exit 0 when every study was imported (or already was), 1 when any failed, 2 on bad usage.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Caller } from '../../lib/server/auth/roles';
import { createDb } from '../../lib/server/db/client';
import { resolveDatabaseUrl } from '../../lib/server/db/resolve-database-url';
import { parseEnv } from '../../lib/server/env';
import { toAppError, type ErrorContext } from '../../lib/server/errors';
import type { PgBoss } from 'pg-boss';
import { createBoss } from '../../lib/server/jobs/boss';
import type { DefaultSegmentation } from '../../lib/server/runs/request-default-segmentation';
import { createVolumeStore } from '../../lib/server/storage/volume-store';
import { findStudyFolders } from '../../lib/server/studies/find-study-folders';
import type { ImportProgress, ImportStudyResult } from '../../lib/server/studies/import-study';
import { importStudyAndQueue } from '../../lib/server/studies/import-study-and-queue';
import { parsePhaseMap } from '../../lib/server/studies/parse-phase-map';
import { fail, printJson } from '../output';

const USAGE = `Usage: iseg-qa import DIR [--json] [--phase-map SERIES_UID=percent,...] [--patient-id ID] [--observer NAME]
  DIR            a study folder (DICOM CT / 4D CT + RTSTRUCT, or NIfTI ct*.nii.gz + masks),
                 or a folder with one study per subfolder
  --phase-map    4D CT phases by hand, e.g. 1.2.3.4=0,1.2.3.5=10
  --patient-id   NIfTI only: the patient's ID, so that studies of one patient share a pseudonym
  --observer     who drew the structures (instead of the RTSTRUCTs' OperatorsName; docs/observers.md)
  --json         one JSON object on stdout`;

function progressReporter(label: string) {
  const tty = Boolean(process.stderr.isTTY);
  let lastStage = '';
  return {
    update(p: ImportProgress) {
      if (tty) {
        const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
        const width = 24;
        const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
        const line = `${label} [${bar}] ${p.stage} ${p.done}/${p.total}${p.message ? ` ${p.message}` : ''}`;
        const cols = process.stderr.columns || 100;
        process.stderr.write(`\r${line.slice(0, cols - 1).padEnd(cols - 1)}`);
      } else if (p.stage !== lastStage) {
        process.stderr.write(`${label}: ${p.stage}${p.total ? ` (${p.total})` : ''}${p.message ? ` ${p.message}` : ''}\n`);
      }
      lastStage = p.stage;
    },
    end() {
      if (tty) process.stderr.write(`\r${' '.repeat((process.stderr.columns || 100) - 1)}\r`);
    },
  };
}

function studyJson(dir: string, r: ImportStudyResult) {
  const count = (s: string) => r.findings.filter((f) => f.severity === s).length;
  return {
    dir,
    studyId: r.studyId,
    pseudonym: r.pseudonym,
    alreadyImported: r.alreadyImported,
    source: r.source,
    seriesCount: r.seriesCount,
    structureCount: r.structureCount,
    structures: r.structures,
    findingCounts: { error: count('error'), warning: count('warning'), info: count('info') },
    findings: r.findings,
  };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        'phase-map': { type: 'string' },
        'patient-id': { type: 'string' },
        observer: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) fail(`import takes one folder. ${USAGE.split('\n')[0]}`);
  let phaseMapping: Record<string, number> | undefined;
  try {
    phaseMapping = parsePhaseMap(values['phase-map']);
  } catch (e) {
    fail((e as Error).message);
  }
  const env = parseEnv();
  const url = resolveDatabaseUrl(env);
  if (!url) fail('DATABASE_URL is not set and no embedded database exists: start the app with `npm start` (in another terminal) or set DATABASE_URL.');
  const dir = path.resolve(positionals[0]);
  let folders: string[];
  let skipped: string[];
  try {
    ({ folders, skipped } = await findStudyFolders(dir));
  } catch (e) {
    fail((e as Error).message);
  }

  const user = os.userInfo().username;
  const caller: Caller = { userId: `cli:${user}`, email: `cli:${user}`, name: `cli:${user}`, role: 'PHYSICIST', userAgent: 'iseg-qa import' };
  // What an unreachable database or a full volume disk is named as (one line, no password).
  const errorContext: ErrorContext = {
    databaseUrl: url,
    databaseHint: env.DATABASE_URL
      ? 'check that Postgres is running there and that DATABASE_URL names the right host, port and database.'
      : `this is the embedded Postgres of \`npm start\` (ISEG_PG_PORT ${env.ISEG_PG_PORT}): is \`npm start\` running in this checkout?`,
    storage: `the volume store at ${env.volumeDir}`,
    storageHint:
      'Free space on that disk (df -h) or set ISEG_VOLUME_DIR to a larger one, then import again; studies already reported as imported are complete.',
  };
  const db = createDb(url);
  let boss: PgBoss | undefined;
  const store = createVolumeStore({ dir: env.volumeDir });
  const studies: (ReturnType<typeof studyJson> & { segmentation: DefaultSegmentation | null })[] = [];
  const failed: { dir: string; error: { code: string; message: string } }[] = [];
  try {
    let n = 0;
    for (const folder of folders) {
      n++;
      const rel = path.relative(process.cwd(), folder) || '.';
      const label = folders.length > 1 ? `[${n}/${folders.length}] ${rel}` : rel;
      const progress = progressReporter(label);
      try {
        const getBoss = async () => (boss ??= await createBoss({ databaseUrl: url, worker: false }));
        const r = await importStudyAndQueue({
          db,
          boss: getBoss,
          caller,
          dir: folder,
          store,
          phaseMapping,
          patientId: values['patient-id'],
          observer: values.observer,
          onProgress: (p) => progress.update(p),
        });
        progress.end();
        const { segmentation } = r;
        studies.push({ ...studyJson(folder, r), segmentation });
        if (!values.json && segmentation)
          console.log(`${rel}: ${segmentation.queued ? `segmentation run ${segmentation.runId} queued` : `not segmented: ${segmentation.reason}`}`);
        if (!values.json) {
          const errors = r.findings.filter((f) => f.severity === 'error').length;
          const warnings = r.findings.filter((f) => f.severity === 'warning').length;
          console.log(
            `${rel}: ${r.alreadyImported ? 'already imported' : 'imported'} study ${r.studyId} (patient ${r.pseudonym}): ${r.seriesCount} series, ${r.structureCount} structures, ${errors} error and ${warnings} warning finding(s)`,
          );
          for (const f of r.findings.filter((x) => x.severity !== 'info')) console.log(`  ${f.severity} ${f.code}: ${f.message}`);
        }
      } catch (e) {
        progress.end();
        const mapped = toAppError(e, errorContext);
        // The database gone or the disk full stops the run: every further study would fail the same way.
        if (mapped.code === 'UNAVAILABLE' || mapped.code === 'STORAGE_FULL') throw mapped;
        if (mapped.code !== 'INTERNAL') {
          failed.push({ dir: folder, error: { code: mapped.code, message: mapped.message } });
          if (!values.json) console.error(`${rel}: not imported (${mapped.code}): ${mapped.message}`);
        } else throw e;
      }
    }
  } catch (e) {
    const mapped = toAppError(e, errorContext);
    if (mapped.code === 'UNAVAILABLE' || mapped.code === 'STORAGE_FULL') {
      const done = studies.length > 0 ? ` (${studies.length} stud${studies.length === 1 ? 'y' : 'ies'} done before it)` : '';
      fail(`import stopped${done}: ${mapped.message}`, 1);
    }
    throw e;
  } finally {
    await boss?.stop({ graceful: false });
    await db.$disconnect();
  }
  const summary = {
    dir,
    imported: studies.filter((s) => !s.alreadyImported).length,
    alreadyImported: studies.filter((s) => s.alreadyImported).length,
    failed: failed.length,
    studies,
    failures: failed,
    skippedFolders: skipped,
  };
  if (values.json) printJson(summary);
  else
    console.log(
      `${summary.imported} imported, ${summary.alreadyImported} already imported, ${summary.failed} failed${skipped.length ? `; ${skipped.length} folder(s) without DICOM or NIfTI skipped` : ''}.`,
    );
  return failed.length > 0 ? 1 : 0;
}
