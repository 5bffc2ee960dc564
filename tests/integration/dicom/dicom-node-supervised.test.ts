/**
 * `npm start` runs the DICOM node beside the web server and the worker: it answers C-ECHO on the
 * configured port, is restarted after a kill -9 (and answers again), and stops on Ctrl-C before
 * the database. Real `npm start` (scripts/start.ts, the built web app reused), real echoscu.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  alive,
  ensureWebBuild,
  freePort,
  killEverything,
  killGroup,
  removeRelocatedCluster,
  startApp,
  waitUntil,
  type App,
  type AppSettings,
} from '../faults/app-process';
import { echoscu, haveDcmtk } from '../../peers/dcmtk';

describe.skipIf(!haveDcmtk())('npm start supervises the DICOM node', () => {
  let s: AppSettings;
  let app: App | undefined;
  let dicomPort: number;
  beforeAll(async () => {
    ensureWebBuild();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-dicom-supervised-'));
    fs.chmodSync(base, 0o755);
    fs.mkdirSync(path.join(base, 'tmp'));
    s = { dataDir: path.join(base, 'data'), tmpDir: path.join(base, 'tmp'), port: await freePort(), pgPort: await freePort() };
    dicomPort = await freePort();
  });
  afterAll(async () => {
    await killEverything(app, s.dataDir);
    removeRelocatedCluster(s.dataDir);
    fs.rmSync(path.dirname(s.dataDir), { recursive: true, force: true });
  });

  it('starts it, restarts it after a kill -9, and stops it on Ctrl-C', async () => {
    app = startApp(s, { ISEG_DICOM_PORT: String(dicomPort), ISEG_DICOM_ALLOWED_AETS: 'SUPERVISED' });
    await app.waitFor(/iSeg QA is running at/, { timeoutMs: 240_000 });
    await app.waitFor(new RegExp(`listening as ISEG_QA on 127\\.0\\.0\\.1:${dicomPort}`));
    expect(app.output()).toContain(`DICOM listener: AE title ISEG_QA on 127.0.0.1:${dicomPort}`);
    const target = { port: dicomPort, calledAe: 'ISEG_QA', callingAe: 'SUPERVISED' };
    expect((await echoscu(target)).code).toBe(0);

    const first = Number((await app.waitFor(/The DICOM node started \(pid (\d+)\)/))[1]);
    const mark = app.output().length;
    process.kill(first, 'SIGKILL');
    const second = Number((await app.waitFor(/The DICOM node restarted \(pid (\d+)\)/, { from: mark }))[1]);
    expect(second).not.toBe(first);
    await app.waitFor(/listening as ISEG_QA/, { from: mark });
    const again = await echoscu(target);
    expect(again.code, again.output).toBe(0);

    killGroup(app.pid, 'SIGINT');
    const exit = await app.exited;
    expect(exit.code).toBe(0);
    await waitUntil('the DICOM node to stop', () => !alive(second), 10_000);
    const out = app.output();
    const nodeStopped = out.lastIndexOf('stopping: closing the listener');
    expect(nodeStopped).toBeGreaterThan(0);
    expect(out.indexOf('[iseg-qa] Database stopped.')).toBeGreaterThan(nodeStopped);
  });
});
