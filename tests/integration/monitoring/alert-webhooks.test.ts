/**
 * Alert webhooks (issue #17.3, docs/monitoring.md "Webhooks") on a real Postgres, a real worker
 * process and a real HTTP server started here (nothing of ours is replaced but the session lookup
 * of the route, which needs Next's request context):
 * - configuration through POST /api/admin/alert-webhooks: anonymous 401, every other role 403, a
 *   forged Origin 403, a plain-http or credentialed URL refused with a message naming the rule;
 *   an admin's save is audited and the secret never comes back;
 * - a delivery answered 200: SENT after one attempt; the body carries the alert, no identifier,
 *   and the HMAC signature checks with the secret;
 * - a 500 then a 200: retried with backoff, SENT on attempt 2, both attempts recorded;
 * - a dead URL (a closed port): every attempt recorded (no status, ECONNREFUSED, a duration) and
 *   the delivery FAILED with a message that says all attempts failed;
 * - queueing twice sends nothing twice.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PgBoss } from 'pg-boss';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { startWorker, waitFor, type WorkerProcess } from '../helpers/worker-process';
import { createBoss } from '@/lib/server/jobs/boss';
import { queueAlertWebhooks } from '@/lib/server/monitoring/queue-alert-webhooks';
import { findAlertWebhooks } from '@/lib/server/monitoring/find-alert-webhooks';
import type { Caller } from '@/lib/server/auth/roles';

const session: { caller: Caller | null } = { caller: null };
vi.mock('@/lib/server/auth/get-caller', () => ({
  getCaller: async () => session.caller,
  requireCaller: async () => {
    if (!session.caller) throw new Error('test: no caller');
    return session.caller;
  },
}));

const MODEL_DIR = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'models', 'tiny-test');
const who = (role: Caller['role']): Caller => ({ userId: `u-${role}`, email: `${role.toLowerCase()}@x.org`, name: role, role });
const SECRET = 'test-secret-0123456789abcdef';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('alert webhooks', () => {
  let t: TestDatabase;
  let boss: PgBoss;
  let worker: WorkerProcess | null = null;
  let server: http.Server;
  let base: string;
  let deadUrl: string;
  let volumeDir: string;
  const received: Received[] = [];
  const flakyCalls = { n: 0 };
  let route: typeof import('@/app/api/admin/alert-webhooks/route');
  const alerts: Record<string, string> = {};

  const post = (body: unknown, origin = 'http://localhost') =>
    route.POST(
      new Request('http://localhost/api/admin/alert-webhooks', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, host: 'localhost' },
        body: JSON.stringify(body),
      }),
      { params: Promise.resolve({}) },
    );
  const get = () => route.GET(new Request('http://localhost/api/admin/alert-webhooks'), { params: Promise.resolve({}) });

  async function alert(metric: string, chart: string): Promise<string> {
    const a = await t.db.monitoringAlert.create({
      data: {
        configVersion: 0,
        seriesKey: `${metric}|none|`,
        metric,
        split: 'none',
        splitLabel: 'All studies',
        chart,
        studyId: `study-${metric}`,
        runId: `run-${metric}`,
        pseudonym: `P-${metric}`,
        position: 21,
        value: 0.5,
        statistic: 0.5,
        limit: 0.9857,
        direction: 'down',
        baselineMean: 0.991,
        baselineSigma: 0.0018,
      },
    });
    return a.id;
  }

  beforeAll(async () => {
    t = await createTestDatabase('alert_webhooks');
    process.env.DATABASE_URL = t.url;
    volumeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'iseg-webhook-vol-'));
    boss = await createBoss({ databaseUrl: t.url, worker: false });
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ path: req.url ?? '', headers: req.headers, body });
        if (req.url === '/flaky' && flakyCalls.n++ === 0) {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver busy');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // A port nobody listens on: bind one, then close it.
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    deadUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/dead`;
    await new Promise<void>((r) => probe.close(() => r()));
    route = await import('@/app/api/admin/alert-webhooks/route');
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false }).catch(() => undefined);
    await new Promise<void>((r) => server?.close(() => r()));
    await t?.drop();
    if (volumeDir) fs.rmSync(volumeDir, { recursive: true, force: true });
  });

  it('only admins configure: anonymous 401, other roles 403, a forged Origin 403, nothing stored or audited', async () => {
    session.caller = null;
    expect((await post({ alertType: 'dice', url: `${base}/ok` })).status).toBe(401);
    expect((await get()).status).toBe(401);
    for (const role of ['PHYSICIST', 'RESEARCHER', 'REVIEWER'] as const) {
      session.caller = who(role);
      const res = await post({ alertType: 'dice', url: `${base}/ok` });
      expect(res.status, role).toBe(403);
      expect((await res.json()).error.code).toBe('FORBIDDEN');
      expect((await get()).status, role).toBe(403);
    }
    session.caller = who('ADMIN');
    expect((await post({ alertType: 'dice', url: `${base}/ok` }, 'http://evil.example')).status).toBe(403);
    expect(await t.db.alertWebhook.count()).toBe(0);
    expect(await t.db.auditEvent.count({ where: { action: { startsWith: 'monitoring.webhook' } } })).toBe(0);
  });

  it('bad input is a 400 that names the rule: plain http to another host, credentials in the URL, a short secret, an unknown type', async () => {
    session.caller = who('ADMIN');
    const cases: [unknown, RegExp][] = [
      [{ alertType: 'dice', url: 'http://hooks.example.org/x' }, /must use https:\/\/ \(plain http:\/\/ only to localhost/],
      [{ alertType: 'dice', url: 'https://user:pw@hooks.example.org/x' }, /must not contain a user name or password/],
      [{ alertType: 'dice', url: 'not a url' }, /is not a URL/],
      [{ alertType: 'dice', url: `${base}/ok`, secret: 'short' }, /secret must be 16 to 200 printable characters/],
      [{ alertType: 'volume', url: `${base}/ok` }, /Unknown alert type "volume": use one of dice, fp, hd95/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json()).error.message).toMatch(message);
    }
    expect(await t.db.alertWebhook.count()).toBe(0);
  });

  it('an admin sets a webhook per alert type (audited; the secret is never returned)', async () => {
    session.caller = who('ADMIN');
    const ok = await post({ alertType: 'dice', url: `${base}/ok`, secret: SECRET });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ alertType: 'dice', url: `${base}/ok`, hasSecret: true, enabled: true, removed: false });
    expect((await post({ alertType: 'fp', url: `${base}/flaky` })).status).toBe(200);
    expect((await post({ alertType: 'hd95', url: deadUrl })).status).toBe(200);
    const audit = await t.db.auditEvent.findMany({ where: { action: 'monitoring.webhook.save' }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => a.target).sort()).toEqual(['alert-webhook:dice', 'alert-webhook:fp', 'alert-webhook:hd95']);
    const dice = audit.find((a) => a.target === 'alert-webhook:dice')!;
    expect(dice).toMatchObject({ userEmail: 'admin@x.org', role: 'ADMIN' });
    expect(dice.details).toMatchObject({ url: `${base}/ok`, previousUrl: null, hasSecret: true, secretChanged: true });
    expect(JSON.stringify(audit.map((a) => a.details))).not.toContain(SECRET);
    const view = await (await get()).json();
    expect(JSON.stringify(view)).not.toContain(SECRET);
    expect(view.webhooks).toMatchObject([
      { alertType: 'dice', url: `${base}/ok`, hasSecret: true, enabled: true },
      { alertType: 'fp', url: `${base}/flaky`, hasSecret: false },
      { alertType: 'hd95', url: deadUrl, hasSecret: false },
    ]);
  });

  it('a 200: SENT after one attempt, the body has the alert and no identifier, the signature checks', async () => {
    worker = await startWorker(t.url, { ISEG_MODELS_DIR: path.dirname(MODEL_DIR), ISEG_MODEL: 'tiny-test', ISEG_VOLUME_DIR: volumeDir });
    alerts.dice = await alert('dice', 'shewhart');
    expect(await queueAlertWebhooks(t.db, boss, { alertIds: [alerts.dice] })).toEqual({ queued: 1 });
    const d = await waitFor(
      'the dice delivery to be sent',
      async () => {
        const row = await t.db.alertWebhookDelivery.findFirst({ where: { alertId: alerts.dice }, include: { tries: true } });
        expect(row?.state, worker!.output()).not.toBe('FAILED');
        return row?.state === 'SENT' ? row : null;
      },
      60_000,
    );
    expect(d).toMatchObject({ attempts: 1, lastStatus: 200, error: null, url: `${base}/ok` });
    expect(d.tries).toHaveLength(1);
    expect(d.tries[0]).toMatchObject({ attempt: 1, statusCode: 200, error: null });
    expect(d.tries[0]!.durationMs).toBeGreaterThanOrEqual(0);
    const got = received.filter((r) => r.path === '/ok');
    expect(got).toHaveLength(1);
    const body = JSON.parse(got[0]!.body);
    expect(body).toEqual({
      event: 'monitoring.alert',
      alertId: alerts.dice,
      alertType: 'dice',
      alertTypeLabel: 'ITV Dice',
      chart: 'shewhart',
      direction: 'down',
      series: { split: 'none', label: 'All studies' },
      studyPseudonym: 'P-dice',
      position: 21,
      value: 0.5,
      statistic: 0.5,
      limit: 0.9857,
      baseline: { mean: 0.991, sigma: 0.0018 },
      configVersion: 0,
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      link: `/monitoring#alert-${alerts.dice}`,
    });
    const ts = got[0]!.headers['x-iseg-timestamp'] as string;
    const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${got[0]!.body}`).digest('hex')}`;
    expect(got[0]!.headers['x-iseg-signature']).toBe(expected);
    expect(got[0]!.headers['content-type']).toBe('application/json');
  }, 120_000);

  it('a 500 then a 200: retried, SENT on attempt 2, both attempts recorded', async () => {
    alerts.fp = await alert('fp', 'ewma');
    expect(await queueAlertWebhooks(t.db, boss, { alertIds: [alerts.fp] })).toEqual({ queued: 1 });
    const d = await waitFor(
      'the fp delivery to be sent after a retry',
      async () => {
        const row = await t.db.alertWebhookDelivery.findFirst({ where: { alertId: alerts.fp }, include: { tries: { orderBy: { attempt: 'asc' } } } });
        expect(row?.state, worker!.output()).not.toBe('FAILED');
        return row?.state === 'SENT' ? row : null;
      },
      90_000,
    );
    expect(d).toMatchObject({ attempts: 2, lastStatus: 200, error: null });
    expect(d.tries.map((x) => [x.attempt, x.statusCode])).toEqual([
      [1, 500],
      [2, 200],
    ]);
    expect(d.tries[0]!.error).toBe(`${base}/flaky answered HTTP 500: receiver busy.`);
    expect(received.filter((r) => r.path === '/flaky')).toHaveLength(2);
  }, 120_000);

  it('a dead URL: every attempt recorded without a status, then FAILED with a clear error; queueing again sends nothing twice', async () => {
    alerts.hd95 = await alert('hd95', 'cusum');
    expect(await queueAlertWebhooks(t.db, boss, { alertIds: [alerts.hd95] })).toEqual({ queued: 1 });
    const d = await waitFor(
      'the hd95 delivery to fail for good',
      async () => {
        const row = await t.db.alertWebhookDelivery.findFirst({ where: { alertId: alerts.hd95 }, include: { tries: { orderBy: { attempt: 'asc' } } } });
        return row?.state === 'FAILED' ? row : null;
      },
      150_000,
    );
    expect(d.attempts).toBe(5);
    expect(d.tries.map((x) => x.attempt)).toEqual([1, 2, 3, 4, 5]);
    for (const x of d.tries) {
      expect(x.statusCode).toBeNull();
      expect(x.error).toMatch(new RegExp(`^${deadUrl.replace(/[.]/g, '\\.')} could not be reached: ECONNREFUSED`));
      expect(x.error).toContain('Check that the receiver is running and reachable from the worker.');
    }
    expect(d.error).toMatch(/^All 5 attempts failed; the last: http:\/\/127\.0\.0\.1:\d+\/dead could not be reached: ECONNREFUSED/);
    // Idempotent: the three alerts again queue nothing.
    expect(await queueAlertWebhooks(t.db, boss, { alertIds: Object.values(alerts) })).toEqual({ queued: 0 });
    expect(await t.db.alertWebhookDelivery.count()).toBe(3);
    // The admin page's view lists every delivery with its attempts.
    const view = await findAlertWebhooks(t.db, { caller: who('ADMIN') });
    expect(view.deliveries.map((x) => [x.alertType, x.state, x.tries.length]).sort()).toEqual([
      ['dice', 'SENT', 1],
      ['fp', 'SENT', 2],
      ['hd95', 'FAILED', 5],
    ]);
    await expect(findAlertWebhooks(t.db, { caller: who('PHYSICIST') })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  }, 180_000);

  it('removing a webhook is audited; a disabled one sends nothing', async () => {
    session.caller = who('ADMIN');
    expect((await post({ alertType: 'hd95', remove: true })).status).toBe(200);
    expect(await t.db.alertWebhook.findUnique({ where: { alertType: 'hd95' } })).toBeNull();
    const removed = await t.db.auditEvent.findFirstOrThrow({ where: { action: 'monitoring.webhook.remove' } });
    expect(removed.details).toMatchObject({ alertType: 'hd95', url: deadUrl });
    expect((await post({ alertType: 'dice', url: `${base}/ok`, enabled: false })).status).toBe(200);
    const hook = await t.db.alertWebhook.findUniqueOrThrow({ where: { alertType: 'dice' } });
    expect(hook).toMatchObject({ enabled: false, secret: SECRET });
    const another = await alert('dice', 'ewma');
    expect(await queueAlertWebhooks(t.db, boss, { alertIds: [another] })).toEqual({ queued: 0 });
  });
});
