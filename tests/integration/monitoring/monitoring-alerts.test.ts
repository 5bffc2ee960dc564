/**
 * Drift alerts (issue #17.3) on a real Postgres with a real worker process: 20 studies of an
 * in-control baseline (ITV Dice 0.990/0.992), then a real segmentation run (the tiny-test model,
 * a fixed filter whose ITV Dice is far below 0.99) on a later study. The worker evaluates the
 * alerts after the run succeeds and records one Shewhart alert for that study on the overall
 * Dice series; evaluating again (a retry, a second worker) adds nothing. Acknowledging needs a
 * comment and monitoring:manage (anonymous and researchers refused, a physicist may), is
 * audited, and the alert stays listed as acknowledged; researchers see alerts without who
 * acknowledged them or the comment. The stored configuration is versioned and audited. With a
 * webhook for Dice alerts (a real HTTP server started here), the worker POSTs each new Dice alert
 * of the run once (tests/integration/monitoring/alert-webhooks.test.ts covers the webhook itself).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor } from '../helpers/worker-process';
import { seedRunStudy } from '../runs/seed-run-study';
import { createBoss } from '@/lib/server/jobs/boss';
import { createVolumeStore, type VolumeStore } from '@/lib/server/storage/volume-store';
import { createSegmentationRun } from '@/lib/server/runs/create-segmentation-run';
import { runSummaryCreate, type RunSummary } from '@/lib/server/runs/run-summary.types';
import { evaluateMonitoringAlerts } from '@/lib/server/monitoring/evaluate-monitoring-alerts';
import { findMonitoringAlerts } from '@/lib/server/monitoring/find-monitoring-alerts';
import { acknowledgeMonitoringAlert } from '@/lib/server/monitoring/acknowledge-monitoring-alert';
import { saveMonitoringConfig } from '@/lib/server/monitoring/save-monitoring-config';
import { loadMonitoringConfig } from '@/lib/server/monitoring/load-monitoring-config';
import { DEFAULT_ALERT_CONFIG } from '@/lib/core/spc';
import type { Caller } from '@/lib/server/auth/roles';

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@x.org`, name: role, role });

function summary(itvDice: number, fpCc: number, hd95Mm: number): RunSummary {
  return {
    schemaVersion: 1,
    phases: [],
    gtv: { medianDice: itvDice, minDice: itvDice, medianHd95Mm: hd95Mm, medianFpCc: fpCc },
    itv: {
      dice: itvDice,
      hd95Mm,
      fpVoxels: 10,
      fpCc,
      fpFraction: 0.1,
      fnCc: 1,
      machineCc: 20,
      physicianCc: 20,
      maxFpDistanceMm: 3,
      largestFpRegionCc: 1,
    },
    motion: { machine: null, physician: null },
    flags: [],
    thresholds: { itvDice: 0.65, phaseGtvDice: 0.5, largeFpCc: 5, distantFpMm: 10 },
  };
}

describe('drift alerts', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let store: VolumeStore;
  let volumeDir: string;
  let studyId: string;
  let runId: string;
  let alertId: string;
  let hookServer: http.Server;
  const hookBodies: { alertId: string; alertType: string }[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('monitoring_alerts');
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    volumeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-vol-'));
    store = createVolumeStore({ dir: volumeDir });
    const inst = await t.db.institution.upsert({ where: { name: 'Test' }, create: { name: 'Test' }, update: {} });
    const mv = await t.db.modelVersion.create({ data: { name: 'baseline-model', version: '1', sha256: 'b'.repeat(64), manifest: {} } });
    for (let i = 0; i < 20; i++) {
      const p = await t.db.patient.create({ data: { pseudonym: `BASE${String(i).padStart(2, '0')}`, institutionId: inst.id } });
      const st = await t.db.study.create({
        data: { patientId: p.id, studyInstanceUid: `2.25.9100${i}`, contentHash: `base-${i}`, studyDate: new Date(Date.UTC(2024, 0, 1 + i)) },
      });
      await t.db.segmentationRun.create({
        data: {
          studyId: st.id,
          modelVersionId: mv.id,
          status: 'SUCCEEDED',
          queuedAt: new Date('2024-04-01T00:00:00Z'),
          finishedAt: new Date('2024-04-01T01:00:00Z'),
          summary: { create: runSummaryCreate(summary(i % 2 ? 0.992 : 0.99, 1 + (i % 2) * 0.1, 3 + (i % 2) * 0.2)) },
        },
      });
    }
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hookBodies.push(JSON.parse(body));
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    await t.db.alertWebhook.create({ data: { alertType: 'dice', url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook` } });
    const seeded = await seedRunStudy(t, store, 'drift');
    studyId = seeded.study.id;
    await t.db.study.update({ where: { id: studyId }, data: { studyDate: new Date('2024-06-01T00:00:00Z') } });
  }, 120_000);
  afterAll(async () => {
    await boss?.stop({ graceful: false }).catch(() => undefined);
    await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
    await t?.drop();
    fs.rmSync(volumeDir, { recursive: true, force: true });
  });

  it('a run that puts the Dice chart out of control: the worker records one alert for its study, and evaluating again adds none', async () => {
    // Before the run: the 20 baseline studies alone raise nothing (alerts start after the baseline).
    expect(await evaluateMonitoringAlerts(t.db)).toMatchObject({ configVersion: 0, created: 0, found: 0 });
    const worker = await startWorker(t.url, { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: volumeDir });
    try {
      runId = (await createSegmentationRun(t.db, boss, { caller: who('PHYSICIST'), studyId, modelDir: MODEL_DIR })).runId;
      const dice = await waitFor(
        'the run to succeed',
        async () => {
          const r = await t.db.segmentationRun.findUnique({ where: { id: runId }, select: { status: true, summary: { select: { itvDice: true } } } });
          expect(r?.status, worker.output()).not.toBe('FAILED');
          return r?.status === 'SUCCEEDED' ? { dice: r.summary!.itvDice } : null;
        },
        240_000,
      );
      expect(dice.dice).not.toBeNull();
      expect(dice.dice!).toBeLessThan(0.98);
      const alert = await waitFor(
        'the worker to record the alert',
        () => t.db.monitoringAlert.findFirst({ where: { studyId, metric: 'dice', split: 'none', chart: 'shewhart' } }),
        60_000,
      );
      expect(alert).toMatchObject({
        configVersion: 0,
        seriesKey: 'dice|none|',
        splitLabel: 'All studies',
        runId,
        triggeredByRunId: runId,
        pseudonym: 'P-drift',
        position: 21,
        direction: 'down',
        acknowledgedAt: null,
      });
      expect(alert.value).toBeCloseTo(dice.dice!, 12);
      expect(alert.statistic).toBeCloseTo(dice.dice!, 12);
      // The lower limit: baseline mean 0.991 − 3 σ, σ = MR̄/1.128 = 0.002/1.128.
      expect(alert.limit).toBeCloseTo(0.991 - (3 * 0.002) / 1.128, 9);
      expect(alert.baselineMean).toBeCloseTo(0.991, 12);
      expect(worker.output()).toMatch(new RegExp(`run ${runId}: \\d+ new drift alert`));
      // The webhook for Dice alerts: each of the run's Dice alerts POSTed once, answered 204.
      const diceAlerts = await t.db.monitoringAlert.findMany({ where: { triggeredByRunId: runId, metric: 'dice' }, select: { id: true } });
      expect(diceAlerts.length).toBeGreaterThan(0);
      const sent = await waitFor(
        'the Dice alerts to be sent to the webhook',
        async () => {
          const rows = await t.db.alertWebhookDelivery.findMany({ where: { state: 'SENT' } });
          return rows.length === diceAlerts.length ? rows : null;
        },
        60_000,
      );
      expect(new Set(sent.map((d) => d.alertId))).toEqual(new Set(diceAlerts.map((a) => a.id)));
      expect(sent.every((d) => d.attempts === 1 && d.lastStatus === 204)).toBe(true);
      expect(hookBodies.map((b) => b.alertId).sort()).toEqual(diceAlerts.map((a) => a.id).sort());
      expect(new Set(hookBodies.map((b) => b.alertType))).toEqual(new Set(['dice']));
    } finally {
      await worker.stop();
    }
    const before = await t.db.monitoringAlert.count();
    // Every alert is this study's (the only point after the baseline), one per series and chart at most.
    const rows = await t.db.monitoringAlert.findMany();
    expect(new Set(rows.map((r) => r.studyId))).toEqual(new Set([studyId]));
    expect(new Set(rows.map((r) => `${r.seriesKey}/${r.chart}`)).size).toBe(rows.length);
    // Institution split: the same Dice alert on the institution's series.
    expect(rows.some((r) => r.metric === 'dice' && r.split === 'institution' && r.splitLabel === 'Test' && r.chart === 'shewhart')).toBe(true);
    // A retry or a second evaluation finds the same alerts and stores none.
    const again = await evaluateMonitoringAlerts(t.db, { triggeredByRunId: runId });
    expect(again).toMatchObject({ configVersion: 0, created: 0, found: before });
    const twice = await Promise.all([evaluateMonitoringAlerts(t.db), evaluateMonitoringAlerts(t.db)]);
    expect(twice.map((x) => x.created)).toEqual([0, 0]);
    expect(await t.db.monitoringAlert.count()).toBe(before);
    alertId = (await t.db.monitoringAlert.findFirstOrThrow({ where: { studyId, seriesKey: 'dice|none|', chart: 'shewhart' } })).id;
  }, 360_000);

  it('acknowledging: anonymous and researchers are refused, a comment is required, a physicist acknowledges (audited) and the alert stays listed', async () => {
    await expect(acknowledgeMonitoringAlert(t.db, { caller: null, alertId, comment: 'x' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(acknowledgeMonitoringAlert(t.db, { caller: who('RESEARCHER'), alertId, comment: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(acknowledgeMonitoringAlert(t.db, { caller: who('REVIEWER'), alertId, comment: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(acknowledgeMonitoringAlert(t.db, { caller: who('PHYSICIST'), alertId, comment: '   ' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/Write a comment/),
    });
    await expect(acknowledgeMonitoringAlert(t.db, { caller: who('PHYSICIST'), alertId: 'nope', comment: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await t.db.monitoringAlert.findUniqueOrThrow({ where: { id: alertId } })).acknowledgedAt).toBeNull();

    const open = (await findMonitoringAlerts(t.db, { caller: who('PHYSICIST') })).open;
    const r = await acknowledgeMonitoringAlert(t.db, { caller: who('PHYSICIST'), alertId, comment: ' Test model on purpose; no drift. ' });
    const row = await t.db.monitoringAlert.findUniqueOrThrow({ where: { id: alertId } });
    expect(row).toMatchObject({
      acknowledgedById: 'u-PHYSICIST',
      acknowledgedByEmail: 'physicist@x.org',
      acknowledgeComment: 'Test model on purpose; no drift.',
    });
    expect(row.acknowledgedAt).toEqual(r.acknowledgedAt);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'monitoring.alert.acknowledge' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ userEmail: 'physicist@x.org', role: 'PHYSICIST', target: `monitoring-alert:${alertId}` });
    expect(audit[0]!.details).toMatchObject({ alertId, comment: 'Test model on purpose; no drift.', chart: 'shewhart', pseudonym: 'P-drift' });
    // Once only.
    await expect(acknowledgeMonitoringAlert(t.db, { caller: who('ADMIN'), alertId, comment: 'again' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/already acknowledged by physicist@x.org/),
    });

    const physicist = await findMonitoringAlerts(t.db, { caller: who('PHYSICIST') });
    expect(physicist.open).toBe(open - 1);
    const mine = physicist.alerts.find((a) => a.id === alertId)!;
    expect(mine).toMatchObject({ status: 'acknowledged', acknowledged: { byEmail: 'physicist@x.org', comment: 'Test model on purpose; no drift.' } });
    // Researchers see the alert (pseudonym only) and that it was acknowledged, not by whom or why.
    const researcher = await findMonitoringAlerts(t.db, { caller: who('RESEARCHER') });
    const seen = researcher.alerts.find((a) => a.id === alertId)!;
    expect(seen).toMatchObject({ pseudonym: 'P-drift', status: 'acknowledged', acknowledged: { byEmail: null, comment: null } });
    await expect(findMonitoringAlerts(t.db, { caller: null })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('the monitoring configuration: versions, audited, refused to researchers and on a stale page; the save evaluates with it at once', async () => {
    const input = {
      ...DEFAULT_ALERT_CONFIG,
      metrics: ['dice'],
      splits: ['none'],
      shewhart: { enabled: true, L: 3 },
      ewma: { enabled: false, lambda: 0.2, L: 2.86 },
    };
    await expect(saveMonitoringConfig(t.db, { caller: who('RESEARCHER'), input })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(saveMonitoringConfig(t.db, { caller: who('PHYSICIST'), input: { ...input, baselineN: 1 } })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/baselineN/),
    });
    const saved = await saveMonitoringConfig(t.db, { caller: who('PHYSICIST'), input, note: 'Dice only', basedOnVersion: '0' });
    expect(saved.version).toBe(1);
    expect((await loadMonitoringConfig(t.db)).config).toMatchObject({ metrics: ['dice'], splits: ['none'], ewma: { enabled: false } });
    await expect(saveMonitoringConfig(t.db, { caller: who('ADMIN'), input, basedOnVersion: '0' })).rejects.toMatchObject({ code: 'CONFLICT' });
    const audit = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'monitoring.config.save' } });
    expect(audit.details).toMatchObject({ version: 1, previousVersion: 0, note: 'Dice only', config: { metrics: ['dice'] } });
    // The save evaluates at once under version 1: only the overall Dice series, with Shewhart and CUSUM.
    const v1 = await t.db.monitoringAlert.findMany({ where: { configVersion: 1 } });
    expect(v1.length).toBe(saved.newAlerts);
    expect((await evaluateMonitoringAlerts(t.db)).created).toBe(0);
    expect(v1.every((a) => a.seriesKey === 'dice|none|' && a.chart !== 'ewma')).toBe(true);
    expect(v1.some((a) => a.chart === 'shewhart' && a.studyId === studyId)).toBe(true);
  });
});
