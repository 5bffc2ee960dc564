/**
 * The demo's scanner change through the alert data layer on a real Postgres (issue #17.7;
 * docs/monitoring.md, "The demo's scanner change"): the institution's studies with the ITV Dice
 * the real demo model gave on the seed's images (tests/fixtures/spc/demo-scanner-signal.json,
 * measured by bench/monitoring/demo-scanner-signal.ts), arriving one run at a time in study-date
 * order as the seed queues them, each followed by the worker's evaluation under the configuration
 * the seed stores (DEMO_ALERT_CONFIG). Alerts are raised for studies after the change only, the
 * same ones a single evaluation of the whole series finds; with the default configuration
 * (baseline 20) the 16-study series raises none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { DEMO_ALERT_CONFIG, DEMO_SCANNER_CHANGE } from '../../../lib/core/phantom/scanner';
import { evaluateMonitoringAlerts } from '../../../lib/server/monitoring/evaluate-monitoring-alerts';
import { saveMonitoringConfig } from '../../../lib/server/monitoring/save-monitoring-config';
import { runSummaryCreate } from '../../../lib/server/runs/run-summary.types';
import type { Caller } from '../../../lib/server/auth/roles';
import { monitoringRunSummary } from '../helpers/monitoring-run-summary';

const fixture = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/spc/demo-scanner-signal.json'), 'utf8')) as {
  studies: { patientId: string; studyDate: string; newScanner: boolean; itvDice: number }[];
};
const seedCaller: Caller = { userId: 'system:demo-seed', email: 'system:demo-seed', name: 'demo seed', role: 'PHYSICIST' };
const day = (yyyymmdd: string) => new Date(`${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6)}T00:00:00Z`);

describe('demo scanner change: drift alerts as the runs come in', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('demo_scanner_alerts');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('raises alerts on the Dice series only for studies after the change, one run at a time as for the whole series', async () => {
    const db = t.db;
    // No configuration yet: the default (baseline 20) cannot judge a 16-study series.
    const inst = await db.institution.create({ data: { name: 'Phantom University Clinic' } });
    const model = await db.modelVersion.create({ data: { name: 'demo', version: '1.0.0', sha256: 'd'.repeat(64), manifest: {} } });
    const insert = async (s: (typeof fixture.studies)[number], n: number) => {
      const p = await db.patient.create({ data: { pseudonym: `SYN${s.patientId.slice(-4)}`, institutionId: inst.id } });
      const study = await db.study.create({
        data: {
          patientId: p.id,
          studyInstanceUid: `2.25.170717${n}`,
          contentHash: `demo-signal-${s.patientId}`,
          studyDate: day(s.studyDate),
          scanner: s.newScanner ? 'SYNTHETIC PhantomScan Ultra 256' : 'SYNTHETIC PhantomScan Pro 128',
        },
      });
      const run = await db.segmentationRun.create({
        data: {
          studyId: study.id,
          modelVersionId: model.id,
          status: 'SUCCEEDED',
          finishedAt: new Date(),
          summary: { create: runSummaryCreate(monitoringRunSummary(s.itvDice)) },
        },
      });
      return run.id;
    };
    // The default configuration first, on the whole series: nothing.
    const all = [...fixture.studies];
    for (const [n, s] of all.entries()) await insert(s, n);
    expect((await evaluateMonitoringAlerts(db)).created).toBe(0);
    // The seed's configuration; saving it evaluates at once (the whole series).
    await saveMonitoringConfig(db, { caller: seedCaller, input: DEMO_ALERT_CONFIG, basedOnVersion: 0 });
    const whole = await db.monitoringAlert.findMany({ where: { configVersion: 1 } });
    const dates = new Map((await db.study.findMany({ select: { id: true, studyDate: true } })).map((s) => [s.id, s.studyDate!]));
    expect(whole.length).toBeGreaterThan(0);
    const changeDate = day(DEMO_SCANNER_CHANGE.fromStudyDate);
    for (const a of whole) {
      expect(a.metric).toBe('dice');
      expect(a.direction).toBe('down');
      expect(dates.get(a.studyId)!.getTime()).toBeGreaterThanOrEqual(changeDate.getTime());
    }
    // Overall and per institution are the same 16 studies here: the same alerts in both.
    const keys = (split: string) =>
      whole
        .filter((a) => a.split === split)
        .map((a) => `${a.chart}@${a.position}`)
        .sort();
    expect(keys('institution')).toEqual(keys('none'));
    expect(new Set(whole.map((a) => a.chart))).toEqual(new Set(['shewhart', 'ewma', 'cusum']));

    // Now as the runs arrive one by one (the seed queues them in study-date order): a fresh
    // configuration version (a new key space), the studies removed and inserted again, each run
    // followed by the worker's evaluation.
    await db.monitoringAlert.deleteMany();
    await db.runSummary.deleteMany();
    await db.segmentationRun.deleteMany();
    await db.study.deleteMany();
    await db.patient.deleteMany();
    await saveMonitoringConfig(db, { caller: seedCaller, input: DEMO_ALERT_CONFIG, basedOnVersion: 1 });
    for (const [n, s] of all.entries()) {
      const runId = await insert(s, n);
      await evaluateMonitoringAlerts(db, { triggeredByRunId: runId });
    }
    const arriving = await db.monitoringAlert.findMany({ where: { configVersion: 2 } });
    const sig = (xs: { split: string; chart: string; position: number; pseudonym: string }[]) =>
      xs.map((a) => `${a.split}|${a.chart}|${a.position}|${a.pseudonym}`).sort();
    expect(sig(arriving)).toEqual(sig(whole));
  }, 120_000);
});
